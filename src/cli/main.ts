import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ERROR_CATALOGUE, isRuneError } from '../core/errors';
import { DEFAULTS } from '../settings/defaults';
import type { CliDeps } from './cli-deps';
import type { CliIo } from './cli-io';
import type { ServerFlags } from './ask-server';
import type { OutputFormat } from './format-result';
import type { JobsListFlags, JobsRetryFlags, JobsServerFlags } from './jobs-commands';
import type { RulesTestFlags } from './rules-test-command';
import type { ReplayFlags } from './rules-replay-command';
import type { RunFlags } from './run-command';
import type { ServeCliFlags } from './serve-command';
import type { TokensAddFlags } from './tokens-commands';

// The commander wiring and nothing else. Each command's module is imported when that command runs,
// so `rune --version`, `--help` and `rune actions` never load the server, ssh2 or the AWS SDK
// (docs/benchmarks.md, CLI start; test/unit/cli/load-on-demand.test.ts).

export type { CliDeps } from './cli-deps';

function processIo(): CliIo {
  return {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    env: process.env,
    stderrIsTTY: Boolean(process.stderr.isTTY),
  };
}

const collect = (value: string, previous: string[]) => [...previous, value];
const CONFIG_HELP = `rules file (env RUNE_CONFIG, default ${DEFAULTS.config})`;
const PLUGINS_HELP = 'plugins folder (env RUNE_PLUGINS_DIR)';
const outputOption = () =>
  new Option('-o, --output <format>', 'json (one Result per line), yaml or text')
    .choices(['json', 'yaml', 'text'])
    .default('text');
const textOrJson = () => new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text');

/** The CLI entry: the only place where errors become exit codes (docs/architecture.md, CLI). */
export async function main(argv: string[], io: CliIo = processIo(), deps: CliDeps = {}): Promise<number> {
  let exitCode = 0;
  const program = new Command('rune')
    .description('RUNE: Remediation & Unified Node Executor')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('run')
    .description('run an action (plugin) on one or more nodes of the inventory')
    .argument('<action>', 'plugin name, see `rune actions`')
    .option('-n, --node <host>', 'node name or address from the inventory (repeat for several)', collect, [])
    .option('-p, --param <key=value>', 'a plugin parameter (repeatable)', collect, [])
    .option('--params-json <json>', 'all parameters as one JSON object (--param wins per key)')
    .option('--dry-run', 'show the plan (node, transport, the input the plugin would get); nothing runs')
    .option('--on-node', 'with --dry-run: run the plugin on the node with dry_run=true (it reports, changes nothing)')
    .addOption(outputOption())
    .option('--ssm', 'run through AWS SSM Run Command instead of SSH (nodes by instance id or instance_id)')
    .option('--max-concurrency <n>', 'SSM only: MaxConcurrency of each SendCommand, a count or a percentage (10, 25%)')
    .option('--max-errors <n>', 'SSM only: MaxErrors of each SendCommand, a count or a percentage (e.g. 0, 10%)')
    .option('--timeout <duration>', "override the plugin's run timeout (e.g. 60s, 5m)")
    .option('--concurrency <n>', 'nodes contacted at once (default: defaults.concurrency in rules.yaml, 20)')
    .option('-c, --config <file>', `rules file with the nodes: inventory (env RUNE_CONFIG, default ${DEFAULTS.config})`)
    .option('--plugins <dir>', PLUGINS_HELP)
    .action(async (action: string, o: RunFlags) => {
      const { runCommand } = await import('./run-command');
      exitCode = await runCommand(action, o, io, deps);
    });

  for (const name of ['actions', 'show-available-actions'])
    program
      .command(name)
      .description(name === 'actions' ? 'list the available actions (plugins)' : 'alias of `rune actions`')
      .addOption(outputOption())
      .option('--plugins <dir>', PLUGINS_HELP)
      .action(async (o: { output: OutputFormat; plugins?: string }) => {
        const { actionsCommand } = await import('./actions-command');
        exitCode = actionsCommand(o, io);
      });

  const rules = program.command('rules').description('work with rules.yaml');
  rules
    .command('check')
    .description('validate a rules file and print every problem with file:line and path')
    .argument('[file]', `rules file (default: RUNE_CONFIG or ${DEFAULTS.config})`)
    .option('--plugins <dir>', 'plugins folder the actions are checked against (env RUNE_PLUGINS_DIR)')
    .action(async (file: string | undefined, o: { plugins?: string }) => {
      const { rulesCheckCommand } = await import('./rules-check-command');
      exitCode = rulesCheckCommand(file, o, io);
    });
  rules
    .command('test')
    .description('explain what the rules would do with a payload (nothing runs), or run rule unit tests with --tests')
    .argument('[payload]', 'Alertmanager webhook, PagerDuty webhook or alerts list, or bare alert(s) (JSON file)')
    .option('--tests <file>', 'rule unit tests (YAML): alerts and the invocations they must give (see docs/rules.md)')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--plugins <dir>', PLUGINS_HELP)
    .option(
      '--db <file>',
      `the database, read-only, for the guards (env RUNE_DB, default ${DEFAULTS.db}; absent: fresh)`,
    )
    .addOption(textOrJson())
    .action(async (payload: string | undefined, o: RulesTestFlags) => {
      const { rulesTestCommand } = await import('./rules-test-command');
      exitCode = await rulesTestCommand(payload, o, io);
    });
  rules
    .command('replay')
    .description('re-match stored webhooks with (new) rules: what would have been done differently; runs nothing')
    .requiredOption('--since <when>', 'from how long ago (24h, 7d) or an RFC 3339 time')
    .option('--until <when>', 'up to how long ago or an RFC 3339 time (default now)')
    .option('-c, --config <file>', `the rules to replay (env RUNE_CONFIG, default ${DEFAULTS.config})`)
    .option('--plugins <dir>', PLUGINS_HELP)
    .option('--db <file>', `RUNE's database, opened read-only (env RUNE_DB, default ${DEFAULTS.db})`)
    .option('--all', 'show every alert, not only those whose decisions differ')
    .addOption(textOrJson())
    .action(async (o: ReplayFlags) => {
      const { rulesReplayCommand } = await import('./rules-replay-command');
      exitCode = rulesReplayCommand(o, io);
    });

  program
    .command('serve')
    .description('run the service: Alertmanager and PagerDuty webhooks, the REST API, the job queue')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--plugins <dir>', PLUGINS_HELP)
    .option('--listen <host:port>', `listen address (env RUNE_LISTEN, default ${DEFAULTS.listen})`)
    .option('--public-url <url>', 'URL of RUNE in links posted to incidents (env RUNE_PUBLIC_URL)')
    .option('--db <file>', `SQLite database (env RUNE_DB, default ${DEFAULTS.db})`)
    .option('--concurrency <n>', `jobs running at once (default ${DEFAULTS.serveConcurrency})`)
    .option('--dry-run', 'every job is a RUNE dry run: plans are recorded, no node is contacted')
    .option('--insecure-no-auth', 'turn off all authentication (local experiments only)')
    .option(
      '--shutdown-grace <duration>',
      `on SIGTERM, how long running jobs may finish before they are interrupted (default ${DEFAULTS.shutdownGrace})`,
    )
    .action(async (o: ServeCliFlags) => {
      const { serveCommand } = await import('./serve-command');
      exitCode = await serveCommand(o, io, deps);
    });

  // ---- Commands against a running `rune serve` (docs/safety.md): a tiny HTTP client, no state here.
  const serverCommand = (cmd: Command) =>
    cmd
      .option('--server <url>', `the running RUNE (env RUNE_PUBLIC_URL, else http://${DEFAULTS.listen} or RUNE_LISTEN)`)
      .option('--url <url>', 'alias of --server')
      .option('--token <token>', 'API token (env RUNE_TOKEN, else RUNE_API_TOKEN)');
  const guards = () => import('./guards-commands');
  serverCommand(program.command('pause').description('stop all automatic runs (manual API runs need while_paused)'))
    .option('--reason <text>', 'why, for the audit log and /-/ready')
    .action(async (o: ServerFlags & { reason?: string }) => {
      exitCode = await (await guards()).pauseCommand(o, io, deps.fetch);
    });
  serverCommand(program.command('resume').description('let automatic runs start again after `rune pause`')).action(
    async (o: ServerFlags) => {
      exitCode = await (await guards()).resumeCommand(o, io, deps.fetch);
    },
  );
  const breaker = program.command('breaker').description("a rule's circuit breaker on a running RUNE");
  serverCommand(
    breaker
      .command('close')
      .description('close an open circuit breaker: the rule runs again on its next match')
      .argument('<rule>', 'rule name'),
  ).action(async (rule: string, o: ServerFlags) => {
    exitCode = await (await guards()).breakerCloseCommand(rule, o, io, deps.fetch);
  });
  serverCommand(program.command('guards').description('pause state, circuit breakers and counts of suppressed runs'))
    .addOption(outputOption().choices(['text', 'json', 'yaml']))
    .action(async (o: ServerFlags & { output: 'text' | 'json' | 'yaml' }) => {
      exitCode = await (await guards()).guardsCommand(o, io, deps.fetch);
    });

  // ---- API tokens (docs/security.md): the file holds hashes; the token is printed once.
  const tokensFile = () => new Option('--file <path>', 'tokens file (env RUNE_API_TOKENS_FILE)');
  const tokensCommands = () => import('./tokens-commands');
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
    .addOption(tokensFile())
    .action(async (name: string, o: TokensAddFlags) => {
      exitCode = (await tokensCommands()).tokensAdd(name, o, io);
    });
  tokens
    .command('list')
    .description('names, roles and scopes of the tokens (never their hashes)')
    .addOption(tokensFile())
    .addOption(outputOption())
    .action(async (o: { file?: string; output: string }) => {
      exitCode = (await tokensCommands()).tokensList(o, io);
    });
  tokens
    .command('remove')
    .description('delete a token from the tokens file')
    .argument('<name>', 'token name')
    .addOption(tokensFile())
    .action(async (name: string, o: { file?: string }) => {
      exitCode = (await tokensCommands()).tokensRemove(name, o, io);
    });

  // ---- Jobs of a running `rune serve` (docs/cli.md): same output formats as `rune run`.
  const jobs = program.command('jobs').description('jobs of a running RUNE: list, show, retry, cancel, release');
  const jobsCommand = (cmd: Command) => serverCommand(cmd).addOption(outputOption());
  const jobsCommands = () => import('./jobs-commands');
  const jobsDeps = deps.fetch ? { fetch: deps.fetch } : {};
  jobsCommand(jobs.command('list').description('history, newest first'))
    .option('--node <node>', 'only this node')
    .option('--rule <rule>', 'only this rule')
    .option(
      '--status <status>',
      'queued, running, succeeded, failed, timed_out, cancelled, skipped, interrupted or outcome_unknown',
    )
    .option('--incident <id>', 'only jobs of this PagerDuty incident')
    .option('--limit <n>', 'at most n jobs (1-500, default 50)')
    .action(async (o: JobsListFlags) => {
      exitCode = await (await jobsCommands()).jobsList(o, io, jobsDeps);
    });
  jobsCommand(
    jobs.command('show').description("a job's Result, printed as `rune run` prints it").argument('<id>', 'job id'),
  ).action(async (id: string, o: JobsServerFlags) => {
    exitCode = await (await jobsCommands()).jobsShow(id, o, io, jobsDeps);
  });
  jobsCommand(jobs.command('retry').description('run the same request again as a new job').argument('<id>', 'job id'))
    .option('--wait', 'wait for the new job and print its Result (exit 1 if it failed)')
    .option('--timeout <duration>', 'with --wait: how long to wait (default 10m)')
    .option('--reason <text>', 'why, for the audit log')
    .option('--while-paused', 'run even though automatic runs are paused')
    .action(async (id: string, o: JobsRetryFlags) => {
      exitCode = await (await jobsCommands()).jobsRetry(id, o, io, jobsDeps);
    });
  jobsCommand(
    jobs.command('cancel').description('cancel a queued job, or stop a running one').argument('<id>', 'job id'),
  )
    .option('--reason <text>', 'why, for the audit log and the job')
    .option('--force', 'also stop a running mutating action half-way (it may leave the node in between)')
    .action(async (id: string, o: JobsServerFlags & { reason?: string; force?: boolean }) => {
      exitCode = await (await jobsCommands()).jobsCancel(id, o, io, jobsDeps);
    });
  jobsCommand(
    jobs
      .command('release')
      .description('release the node a run of unknown outcome holds (after checking the node: docs/safety.md)')
      .argument('<id>', 'job id'),
  )
    .option('--reason <text>', 'what you checked, for the audit log')
    .action(async (id: string, o: JobsServerFlags & { reason?: string }) => {
      exitCode = await (await jobsCommands()).jobsRelease(id, o, io, jobsDeps);
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

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(`${__dirname}/../../package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
