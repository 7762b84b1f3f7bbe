import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { stringify as toYaml } from 'yaml';
import { Command, CommanderError, Option } from 'commander';
import { readConfig, formatProblem } from '../config/read-config';
import { validateConfig } from '../config/validate-config';
import { ERROR_CATALOGUE, isRuneError, RuneError } from '../core/errors';
import { loadRegistry } from '../plugins/load-registry';
import { checkRulesAgainstRegistry } from '../rules/check-rules-against-registry';
import { resolveNode } from '../orchestrator/resolve-node';
import { mapBounded, runAction } from '../orchestrator/run-action';
import { createLocalTransport } from '../transports/local-transport';
import { createSshTransport } from '../transports/ssh-transport';
import { rateControlProblem } from '../transports/ssm-rate-controls';
import type { SsmRateControlsSpec, Result, TransportKind } from '../core/types';
import { createSsmTransport } from '../transports/ssm-transport';
import type { Transport } from '../transports/transport';
import { parseDuration, formatDuration } from '../util/duration';
import { callServer } from './call-server';
import { exitCodeForAll } from './exit-code';
import { formatActionsText, formatResults, type OutputFormat } from './format-result';
import { jobsCancel, jobsList, jobsRetry, jobsShow, type JobsListFlags, type JobsServerFlags } from './jobs-commands';
import { parseCliParams } from './parse-params';
import { tokensAdd, tokensList, tokensRemove, type TokensAddFlags } from './tokens-commands';
import { readServerTarget, readServeSettings, readSettings, type Settings } from '../settings/read-settings';
import { DEFAULTS } from '../settings/defaults';
import type { Logger } from '../core/logger';
import { createLogger } from '../server/create-logger';
import { rulesReplayCommand, type ReplayFlags } from './rules-replay-command';
import { rulesTestCommand, type RulesTestFlags } from './rules-test-command';
import { startServer } from '../server/start-server';
import type { CliIo } from './cli-io';

export interface CliDeps {
  /** Builds the transports for a run; tests may wrap the real ones. */
  createTransports?: (s: Settings) => Partial<Record<TransportKind, Transport>>;
  createLogger?: () => Logger;
  /** For the commands that talk to a running server (pause, resume, breaker, guards). */
  fetch?: typeof fetch;
}

function processIo(): CliIo {
  return {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    env: process.env,
    stderrIsTTY: Boolean(process.stderr.isTTY),
  };
}

/**
 * The real transports. SSM takes region, credentials and endpoint (AWS_ENDPOINT_URL_SSM) from the
 * AWS SDK's own default chain, which reads process.env itself; `env` only supplies RUNE's settings.
 */
export function defaultTransports(s: Settings): Partial<Record<TransportKind, Transport>> {
  const bucket = s.ssmOutputS3Bucket;
  return {
    local: createLocalTransport(),
    ssh: createSshTransport({
      ...(s.sshKey ? { keyPath: s.sshKey } : {}),
      ...(s.sshAgent ? { agentSock: s.sshAgent } : {}),
      knownHostsPath: s.knownHosts,
    }),
    ssm: createSsmTransport(bucket ? { outputS3Bucket: bucket } : {}),
  };
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** The CLI entry: the only place where errors become exit codes (docs/architecture.md, CLI). */
export async function main(argv: string[], io: CliIo = processIo(), deps: CliDeps = {}): Promise<number> {
  let exitCode = 0;
  const program = new Command('rune')
    .description('RUNE: Remediation & Unified Node Executor')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');

  const outputOption = () =>
    new Option('-o, --output <format>', 'json (one Result per line), yaml or text')
      .choices(['json', 'yaml', 'text'])
      .default('text');

  program
    .command('run')
    .description('run an action (plugin) on one or more nodes of the inventory')
    .argument('<action>', 'plugin name, see `rune actions`')
    .option(
      '-n, --node <host>',
      'node name or address from the inventory (repeat for several)',
      collect,
      [] as string[],
    )
    .option('-p, --param <key=value>', 'a plugin parameter (repeatable)', collect, [] as string[])
    .option('--params-json <json>', 'all parameters as one JSON object (--param wins per key)')
    .option('--dry-run', 'show the plan (node, transport, payload) without contacting any node')
    .option('--on-node', 'with --dry-run: run the plugin on the node with dry_run=true (it reports, changes nothing)')
    .addOption(outputOption())
    .option('--ssm', 'run through AWS SSM Run Command instead of SSH (nodes by instance id or instance_id)')
    .option(
      '--max-concurrency <n>',
      'SSM only: MaxConcurrency of each SendCommand, a count or a percentage (e.g. 10, 25%)',
    )
    .option('--max-errors <n>', 'SSM only: MaxErrors of each SendCommand, a count or a percentage (e.g. 0, 10%)')
    .option('--timeout <duration>', "override the plugin's run timeout (e.g. 60s, 5m)")
    .option('--concurrency <n>', 'nodes contacted at once (default: defaults.concurrency in rules.yaml, 20)')
    .option('-c, --config <file>', `rules file with the nodes: inventory (env RUNE_CONFIG, default ${DEFAULTS.config})`)
    .option('--plugins <dir>', 'plugins folder (env RUNE_PLUGINS_DIR)')
    .action(async (action: string, o: RunFlags) => {
      exitCode = await runCommand(action, o, io, deps);
    });

  const actions = (name: string) =>
    program
      .command(name)
      .description(name === 'actions' ? 'list the available actions (plugins)' : 'alias of `rune actions`')
      .addOption(outputOption())
      .option('--plugins <dir>', 'plugins folder (env RUNE_PLUGINS_DIR)')
      .action((o: { output: OutputFormat; plugins?: string }) => {
        exitCode = actionsCommand(o, io);
      });
  actions('actions');
  actions('show-available-actions');

  const rules = program.command('rules').description('work with rules.yaml');
  rules
    .command('check')
    .description('validate a rules file and print every problem with file:line and path')
    .argument('[file]', `rules file (default: RUNE_CONFIG or ${DEFAULTS.config})`)
    .option('--plugins <dir>', 'plugins folder the actions are checked against (env RUNE_PLUGINS_DIR)')
    .action((file: string | undefined, o: { plugins?: string }) => {
      exitCode = rulesCheckCommand(file, o, io);
    });

  rules
    .command('test')
    .description('explain what the rules would do with a payload (nothing runs), or run rule unit tests with --tests')
    .argument(
      '[payload]',
      'Alertmanager webhook, PagerDuty webhook or alerts list, or bare alert(s) {labels, …} (JSON file)',
    )
    .option('--tests <file>', 'rule unit tests (YAML): alerts and the invocations they must give (see docs/rules.md)')
    .option('-c, --config <file>', `rules file (env RUNE_CONFIG, default ${DEFAULTS.config})`)
    .option('--plugins <dir>', 'plugins folder (env RUNE_PLUGINS_DIR)')
    .option(
      '--db <file>',
      `RUNE's database, read-only, for the guards' state (env RUNE_DB, default ${DEFAULTS.db}; absent: fresh state)`,
    )
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action(async (payload: string | undefined, o: RulesTestFlags) => {
      exitCode = await rulesTestCommand(payload, o, io);
    });
  rules
    .command('replay')
    .description(
      're-match stored webhooks with (new) rules and show what would have been done differently; runs and writes nothing',
    )
    .requiredOption('--since <when>', 'from how long ago (24h, 7d) or an RFC 3339 time')
    .option('--until <when>', 'up to how long ago or an RFC 3339 time (default now)')
    .option('-c, --config <file>', `the rules to replay (env RUNE_CONFIG, default ${DEFAULTS.config})`)
    .option('--plugins <dir>', 'plugins folder (env RUNE_PLUGINS_DIR)')
    .option('--db <file>', `RUNE's database, opened read-only (env RUNE_DB, default ${DEFAULTS.db})`)
    .option('--all', 'show every alert, not only those whose decisions differ')
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action((o: ReplayFlags) => {
      exitCode = rulesReplayCommand(o, io);
    });

  program
    .command('serve')
    .description('run the service: Alertmanager and PagerDuty webhooks, the REST API, the job queue')
    .option('-c, --config <file>', `rules file (env RUNE_CONFIG, default ${DEFAULTS.config})`)
    .option('--plugins <dir>', 'plugins folder (env RUNE_PLUGINS_DIR)')
    .option('--listen <host:port>', `listen address (env RUNE_LISTEN, default ${DEFAULTS.listen})`)
    .option('--public-url <url>', 'URL of RUNE in links posted to incidents (env RUNE_PUBLIC_URL)')
    .option('--db <file>', `SQLite database (env RUNE_DB, default ${DEFAULTS.db})`)
    .option('--concurrency <n>', `jobs running at once (default ${DEFAULTS.serveConcurrency})`)
    .option('--dry-run', 'every job is a RUNE dry run: plans are recorded, no node is contacted')
    .option('--insecure-no-auth', 'turn off all authentication (local experiments only)')
    .option(
      '--shutdown-grace <duration>',
      `on SIGTERM, how long running jobs may finish before they are marked interrupted (default ${DEFAULTS.shutdownGrace})`,
    )
    .action(async (o: ServeCliFlags) => {
      exitCode = await serveCommand(o, io, deps);
    });

  // ---- Commands against a running `rune serve` (docs/safety.md): a tiny HTTP client, no state here.
  const serverCommand = (cmd: Command) =>
    cmd
      .option(
        '--server <url>',
        `the running RUNE (env RUNE_PUBLIC_URL, default http://${DEFAULTS.listen} or RUNE_LISTEN)`,
      )
      .option('--url <url>', 'alias of --server')
      .option('--token <token>', 'API token (env RUNE_TOKEN, else RUNE_API_TOKEN)');
  const call = async (
    o: ServerFlags,
    method: 'GET' | 'POST',
    path: string,
    body: Record<string, unknown> | undefined,
    show: (b: Record<string, unknown>) => string,
  ) => {
    const r = await callServer(readServerTarget(o, io.env), method, path, body, deps.fetch);
    if (r.status >= 200 && r.status < 300) {
      io.stdout(show(r.body));
      return 0;
    }
    const e = (r.body.error ?? {}) as { code?: string; message?: string };
    io.stderr(`rune: ${r.status} ${e.code ?? ''}: ${e.message ?? 'request failed'}\n`);
    return r.status >= 400 && r.status < 500 ? 2 : 1;
  };
  const pauseLine = (p: unknown) => {
    const v = p as { since: string; by: string; reason: string } | null;
    return v
      ? `automatic runs are PAUSED since ${v.since} by ${v.by}${v.reason ? ` (${v.reason})` : ''}\n`
      : 'automatic runs are not paused\n';
  };
  serverCommand(
    program
      .command('pause')
      .description('stop all automatic runs of a running RUNE (manual API runs need "while_paused": true)'),
  )
    .option('--reason <text>', 'why, for the audit log and /-/ready')
    .action(async (o: ServerFlags & { reason?: string }) => {
      exitCode = await call(o, 'POST', '/api/v1/pause', o.reason !== undefined ? { reason: o.reason } : {}, (b) =>
        pauseLine(b.paused),
      );
    });
  serverCommand(program.command('resume').description('let automatic runs start again after `rune pause`')).action(
    async (o: ServerFlags) => {
      exitCode = await call(o, 'POST', '/api/v1/resume', undefined, (b) =>
        b.was_paused ? 'automatic runs resumed\n' : 'automatic runs were not paused\n',
      );
    },
  );
  const breaker = program.command('breaker').description("a rule's circuit breaker on a running RUNE");
  serverCommand(
    breaker
      .command('close')
      .description('close an open circuit breaker: the rule runs again on its next match')
      .argument('<rule>', 'rule name'),
  ).action(async (rule: string, o: ServerFlags) => {
    exitCode = await call(
      o,
      'POST',
      `/api/v1/breakers/${encodeURIComponent(rule)}/close`,
      undefined,
      (b) => `breaker of rule ${rule} closed (was ${String(b.was)})\n`,
    );
  });
  serverCommand(
    program
      .command('guards')
      .description('pause state, circuit breakers and counts of suppressed runs of a running RUNE'),
  ).action(async (o: ServerFlags) => {
    exitCode = await call(o, 'GET', '/api/v1/guards', undefined, (b) => `${JSON.stringify(b, null, 2)}\n`);
  });

  // ---- API tokens (docs/security.md): the file holds hashes; the token is printed once.
  const tokens = program
    .command('tokens')
    .description('API tokens of RUNE_API_TOKENS_FILE (roles viewer, operator, admin)');
  tokens
    .command('add')
    .description('create a token, append its hash to the tokens file (mode 0600) and print the token once')
    .argument('<name>', 'who or what uses it (shown in the audit log)')
    .addOption(new Option('--role <role>', 'what it may do').choices(['viewer', 'operator', 'admin']))
    .option('--actions <a,b>', 'operator only: the actions it may run (default all)')
    .option('--nodes <globs>', "operator only: node globs it may touch, e.g. 'web-*' (default all)")
    .option('--file <path>', 'tokens file (env RUNE_API_TOKENS_FILE)')
    .action((name: string, o: TokensAddFlags) => {
      exitCode = tokensAdd(name, o, io);
    });
  tokens
    .command('list')
    .description('names, roles and scopes of the tokens (never their hashes)')
    .option('--file <path>', 'tokens file (env RUNE_API_TOKENS_FILE)')
    .addOption(outputOption())
    .action((o: { file?: string; output: string }) => {
      exitCode = tokensList(o, io);
    });
  tokens
    .command('remove')
    .description('delete a token from the tokens file')
    .argument('<name>', 'token name')
    .option('--file <path>', 'tokens file (env RUNE_API_TOKENS_FILE)')
    .action((name: string, o: { file?: string }) => {
      exitCode = tokensRemove(name, o, io);
    });

  // ---- Jobs of a running `rune serve` (docs/cli.md): same output formats as `rune run`.
  const jobs = program.command('jobs').description('jobs of a running RUNE: list, show, retry, cancel');
  const jobsCommand = (cmd: Command) => serverCommand(cmd).addOption(outputOption());
  const jobsDeps = deps.fetch ? { fetch: deps.fetch } : {};
  jobsCommand(jobs.command('list').description('history, newest first'))
    .option('--node <node>', 'only this node')
    .option('--rule <rule>', 'only this rule')
    .option('--status <status>', 'queued, running, succeeded, failed, timed_out, cancelled, skipped or interrupted')
    .option('--incident <id>', 'only jobs of this PagerDuty incident')
    .option('--limit <n>', 'at most n jobs (1-500, default 50)')
    .action(async (o: JobsListFlags) => {
      exitCode = await jobsList(o, io, jobsDeps);
    });
  jobsCommand(
    jobs.command('show').description("a job's Result, printed as `rune run` prints it").argument('<id>', 'job id'),
  ).action(async (id: string, o: JobsServerFlags) => {
    exitCode = await jobsShow(id, o, io, jobsDeps);
  });
  jobsCommand(jobs.command('retry').description('run the same request again as a new job').argument('<id>', 'job id'))
    .option('--wait', 'wait for the new job and print its Result (exit 1 if it failed)')
    .option('--timeout <duration>', 'with --wait: how long to wait (default 10m)', '10m')
    .option('--reason <text>', 'why, for the audit log')
    .option('--while-paused', 'run even though automatic runs are paused')
    .action(
      async (
        id: string,
        o: JobsServerFlags & { wait?: boolean; timeout: string; reason?: string; whilePaused?: boolean },
      ) => {
        const waitMs = parseDuration(o.timeout);
        if (!waitMs)
          throw new RuneError('USAGE', `--timeout ${JSON.stringify(o.timeout)} is not a duration like 30s or 5m`);
        exitCode = await jobsRetry(id, { ...o, waitMs }, io, jobsDeps);
      },
    );
  jobsCommand(
    jobs.command('cancel').description('cancel a queued job, or stop a running one').argument('<id>', 'job id'),
  )
    .option('--reason <text>', 'why, for the audit log and the job')
    .option('--force', 'also stop a running mutating action half-way (it may leave the node in between)')
    .action(async (id: string, o: JobsServerFlags & { reason?: string; force?: boolean }) => {
      exitCode = await jobsCancel(id, o, io, jobsDeps);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with exit 0; every other parse failure is a usage error.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (isRuneError(err)) {
      io.stderr(`rune: ${err.message}\n`);
      // The catalogue's class (2 for usage and configuration, 3 for what cannot be reached).
      return err.code === 'INTERNAL' ? 1 : ERROR_CATALOGUE[err.code].exit;
    }
    io.stderr(`rune: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
  return exitCode;
}

interface ServerFlags {
  server?: string;
  url?: string;
  token?: string;
}

interface RunFlags {
  node: string[];
  param: string[];
  paramsJson?: string;
  dryRun?: boolean;
  onNode?: boolean;
  output: OutputFormat;
  ssm?: boolean;
  maxConcurrency?: string;
  maxErrors?: string;
  timeout?: string;
  concurrency?: string;
  config?: string;
  plugins?: string;
}

async function runCommand(action: string, o: RunFlags, io: CliIo, deps: CliDeps): Promise<number> {
  const settings = readSettings({ config: o.config, plugins: o.plugins }, io.env);
  if (o.node.length === 0) throw new RuneError('USAGE', 'say where to run it: --node <host> (repeat for several)');
  if (o.onNode && !o.dryRun) throw new RuneError('USAGE', '--on-node only makes sense with --dry-run');
  let timeoutMs: number | undefined;
  if (o.timeout !== undefined) {
    timeoutMs = parseDuration(o.timeout);
    if (!timeoutMs)
      throw new RuneError('USAGE', `--timeout ${JSON.stringify(o.timeout)} is not a duration like 30s or 5m`);
  }
  const config = readConfig(settings.configPath, settings.configExplicit);
  let concurrency = config.defaults.concurrency;
  if (o.concurrency !== undefined) {
    concurrency = Number(o.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new RuneError('USAGE', '--concurrency must be a positive integer');
  }
  const ssmFlags: SsmRateControlsSpec = {};
  for (const [flag, kind, value] of [
    ['--max-concurrency', 'max_concurrency', o.maxConcurrency],
    ['--max-errors', 'max_errors', o.maxErrors],
  ] as const) {
    if (value === undefined) continue;
    const problem = rateControlProblem(kind, value);
    if (problem) throw new RuneError('USAGE', `${flag}: ${problem}`);
    ssmFlags[kind] = value;
  }
  const env = { fallbackUser: settings.fallbackUser };
  const nodes = [...new Set(o.node)];
  // AWS's MaxConcurrency paces SSM nodes, not --concurrency: they all go to the transport at once,
  // so it can put up to 50 of them in each SendCommand (docs/architecture.md, Deployment and scale).
  const overSsm = (node: string): boolean => {
    if (o.ssm) return true;
    try {
      return resolveNode(config, node, env).transport === 'ssm';
    } catch {
      return false; // planRun reports the problem in the node's Result
    }
  };
  const ssmNodes = new Set(nodes.filter(overSsm));
  if (Object.keys(ssmFlags).length > 0 && ssmNodes.size === 0) {
    throw new RuneError(
      'USAGE',
      '--max-concurrency and --max-errors apply to SSM runs only: add --ssm, or name nodes with transport: ssm',
    );
  }
  const registry = loadRegistry(settings.pluginsDir);
  for (const p of registry.problems) io.stderr(`rune: warning: broken plugin ${p.file}: ${p.reason}\n`);
  const params = parseCliParams(o.param, o.paramsJson, registry.plugins.get(action)?.params);
  const transports = deps.createTransports ? deps.createTransports(settings) : defaultTransports(settings);
  const actor = `${settings.fallbackUser}@cli`;
  const progress = io.stderrIsTTY ? io.stderr : null; // quiet when piped
  let done = 0;
  try {
    const runOne = async (node: string): Promise<Result> => {
      const result = await runAction(
        {
          action,
          node,
          params,
          dryRun: Boolean(o.dryRun) && !o.onNode,
          pluginDryRun: Boolean(o.dryRun && o.onNode),
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
          ...(o.ssm ? { transport: 'ssm' as const } : {}),
          ...(Object.keys(ssmFlags).length > 0 ? { ssm: ssmFlags } : {}),
          trigger: { kind: 'cli', actor },
          alert: null,
          jobId: randomUUID(),
          traceId: randomBytes(16).toString('hex'),
        },
        { registry, config, env, transports, readScript: (p) => readFile(p), now: () => new Date() },
      );
      done++;
      if (progress && nodes.length > 1)
        progress(
          `[${String(done).padStart(String(nodes.length).length)}/${nodes.length}] ${result.node} ${result.status} (${formatDuration(result.duration_ms)})\n`,
        );
      return result;
    };
    const byNode = new Map<string, Result>();
    await Promise.all([
      mapBounded(
        nodes.filter((n) => !ssmNodes.has(n)),
        concurrency,
        async (n) => void byNode.set(n, await runOne(n)),
      ),
      Promise.all([...ssmNodes].map(async (n) => void byNode.set(n, await runOne(n)))),
    ]);
    const results = nodes.map((n) => byNode.get(n) as Result);
    io.stdout(formatResults(results, o.output));
    return exitCodeForAll(results);
  } finally {
    await Promise.all(Object.values(transports).map((t) => t?.close()));
  }
}

interface ServeCliFlags {
  config?: string;
  plugins?: string;
  listen?: string;
  publicUrl?: string;
  db?: string;
  concurrency?: string;
  dryRun?: boolean;
  insecureNoAuth?: boolean;
  shutdownGrace?: string;
}

/** Runs until SIGTERM/SIGINT; SIGHUP reloads the rules (an invalid file keeps the old ones). */
async function serveCommand(o: ServeCliFlags, io: CliIo, deps: CliDeps): Promise<number> {
  const settings = readSettings({ config: o.config, plugins: o.plugins }, io.env);
  const serve = readServeSettings(o, io.env, (p) => readFileSync(p, 'utf8'));
  const graceMs = serve.shutdownGraceMs;
  const log = deps.createLogger?.() ?? createLogger();
  if (serve.insecureNoAuth) {
    io.stderr(
      'rune: WARNING: --insecure-no-auth: every webhook and API endpoint accepts anyone. Never use this outside a local experiment.\n',
    );
  }
  const server = await startServer({
    settings,
    serve,
    log,
    createTransports: deps.createTransports ?? defaultTransports,
  });
  io.stderr(
    `rune: serving on ${server.url} (rules ${settings.configPath}, database ${serve.dbPath}${serve.dryRun ? ', DRY RUN: no node is contacted' : ''})\n`,
  );
  log.info({ url: server.url, public_url: serve.publicUrl, db: serve.dbPath, dry_run: serve.dryRun }, 'listening');
  return new Promise<number>((resolve) => {
    const onHup = () => void server.reload();
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down: no new work; running jobs may finish');
      process.off('SIGHUP', onHup);
      void server.close(graceMs).then(() => {
        resolve(0);
        // A plugin cut off at the bound may still hold the event loop (its child process); its job
        // is already recorded as interrupted, so leave now rather than when it ends.
        setTimeout(() => process.exit(0), 200).unref();
      });
    };
    process.on('SIGHUP', onHup);
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

function actionsCommand(o: { output: OutputFormat; plugins?: string }, io: CliIo): number {
  const settings = readSettings({ plugins: o.plugins }, io.env);
  const registry = loadRegistry(settings.pluginsDir);
  const list = [...registry.plugins.values()].sort((a, b) => a.name.localeCompare(b.name));
  const shown = list.map((p) => ({
    name: p.name,
    version: p.version,
    description: p.description,
    mutating: p.mutating,
    become: p.become,
    timeout_ms: p.timeoutMs ?? null,
    params: p.params,
    path: p.path,
  }));
  if (o.output === 'json') io.stdout(JSON.stringify({ actions: shown, problems: registry.problems }, null, 2) + '\n');
  else if (o.output === 'yaml') io.stdout(toYaml({ actions: shown, problems: registry.problems }));
  else io.stdout(formatActionsText(list));
  for (const p of registry.problems) io.stderr(`rune: broken plugin ${p.file}: ${p.reason}\n`);
  // A broken plugin is a configuration error worth a non-zero exit, but it hides nothing above.
  return registry.problems.length > 0 ? 2 : 0;
}

/** Every problem, schema and semantics, including actions and literal params against the plugins. */
function rulesCheckCommand(file: string | undefined, o: { plugins?: string }, io: CliIo): number {
  const path = file ?? readSettings({}, io.env).configPath;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    io.stderr(`rune: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 2;
  }
  const outcome = validateConfig(text, path);
  const errors = [...outcome.errors];
  if (outcome.value) {
    const registry = loadRegistry(readSettings({ plugins: o.plugins }, io.env).pluginsDir);
    errors.push(...checkRulesAgainstRegistry(outcome.value, registry));
  }
  for (const w of outcome.warnings) io.stderr(`warning: ${formatProblem(w)}\n`);
  for (const e of errors) io.stderr(`${formatProblem(e)}\n`);
  if (errors.length > 0) {
    io.stderr(`${errors.length} problem(s) in ${path}\n`);
    return 2;
  }
  io.stdout(`${path}: ok (${outcome.value?.nodes.length ?? 0} nodes, ${outcome.value?.rules.length ?? 0} rules)\n`);
  return 0;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(`${__dirname}/../../package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
