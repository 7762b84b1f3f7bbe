import { readFile } from 'node:fs/promises';
import { runOnNodes } from '../app/run-on-nodes';
import { readConfig } from '../config/read-config';
import { RuneError } from '../core/errors';
import type { SsmRateControlsSpec } from '../core/types';
import { loadRegistry } from '../plugins/load-registry';
import { readSettings } from '../settings/read-settings';
import { rateControlProblem } from '../config/rate-control-problem';
import { formatDuration, parseDuration } from '../util/duration';
import type { CliDeps } from './cli-deps';
import type { CliIo } from './cli-io';
import { defaultTransports } from './default-transports';
import { exitCodeForAll } from './exit-code';
import { formatResults, type OutputFormat } from './format-result';
import { parseCliParams } from './parse-params';

export interface RunFlags {
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

/** `rune run ACTION --node …`: flags → one request per node (src/app/run-on-nodes.ts) → Results printed. */
export async function runCommand(action: string, o: RunFlags, io: CliIo, deps: CliDeps): Promise<number> {
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
      throw new RuneError('USAGE', `--concurrency must be a positive integer, got ${JSON.stringify(o.concurrency)}`);
  }
  const ssm: SsmRateControlsSpec = {};
  for (const [flag, kind, value] of [
    ['--max-concurrency', 'max_concurrency', o.maxConcurrency],
    ['--max-errors', 'max_errors', o.maxErrors],
  ] as const) {
    if (value === undefined) continue;
    const problem = rateControlProblem(kind, value);
    if (problem) throw new RuneError('USAGE', `${flag}: ${problem}`);
    ssm[kind] = value;
  }
  const registry = loadRegistry(settings.pluginsDir);
  for (const p of registry.problems) io.stderr(`rune: warning: broken plugin ${p.file}: ${p.reason}\n`);
  const params = parseCliParams(o.param, o.paramsJson, registry.plugins.get(action)?.params);
  const transports = (deps.createTransports ?? defaultTransports)(settings);
  // Progress on a terminal only: piped, stderr stays quiet.
  const progress = io.stderrIsTTY && o.node.length > 1 ? io.stderr : null;
  try {
    const results = await runOnNodes(
      {
        action,
        nodes: o.node,
        params,
        dryRun: Boolean(o.dryRun) && !o.onNode,
        pluginDryRun: Boolean(o.dryRun && o.onNode),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        forceSsm: Boolean(o.ssm),
        ssm,
        concurrency,
        trigger: { kind: 'cli', actor: `${settings.fallbackUser}@cli` },
      },
      {
        registry,
        config,
        env: { fallbackUser: settings.fallbackUser },
        transports,
        readScript: (p) => readFile(p),
        now: () => new Date(),
      },
      (r, done, total) =>
        progress?.(
          `[${String(done).padStart(String(total).length)}/${total}] ${r.node} ${r.status} ` +
            `(${formatDuration(r.duration_ms)})\n`,
        ),
    );
    io.stdout(formatResults(results, o.output));
    return exitCodeForAll(results);
  } finally {
    await Promise.all(Object.values(transports).map((t) => t?.close()));
  }
}
