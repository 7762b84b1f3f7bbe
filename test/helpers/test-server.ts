/**
 * The one way tests start a whole RUNE server: in-process (`startTestServer`, through startServer as
 * `rune serve` does) or as a real `rune serve` process (`startServeProcess`). How flags and
 * environment become settings is known here only, so a change of those shapes touches this file.
 * Every server started here is registered (test/helpers/live-resources.ts): a test still stops it
 * in afterAll/finally, and the leak guard fails the file if it does not.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultTransports } from '../../src/cli/default-transports';
import { readSettings, readServeSettings } from '../../src/settings/read-settings';
import type { Logger } from '../../src/core/logger';
import { startServer, type RunningServer, type StartOptions } from '../../src/server/start-server';
import { track } from './live-resources';
import { quietLog } from './quiet-log';
import { waitFor } from './wait-for';

export const ROOT = join(__dirname, '..', '..');
/** The plugins RUNE ships. */
export const SHIPPED_PLUGINS = join(ROOT, 'plugins');

/** Every node runs on the local transport (web-*, db-*). */
export const LOCAL_NODES = 'nodes:\n  - {name: "web-*", transport: local}\n  - {name: "db-*", transport: local}\n';

/**
 * A plugins folder for tests: echo (read-only), fail (mutating) and slow (mutating, holds its node
 * for `seconds`), run on the local transport.
 */
export function writeTestPlugins(dir: string, seconds = 1.5): string {
  const plugins = join(dir, 'plugins');
  mkdirSync(plugins, { recursive: true });
  for (const p of ['echo.sh', 'fail.sh'])
    copyFileSync(join(__dirname, '..', 'fixtures', 'plugins', p), join(plugins, p));
  writeFileSync(
    join(plugins, 'slow.sh'),
    [
      '#!/usr/bin/env bash',
      '# ---',
      '# name: slow',
      '# version: 1.0.0',
      `# description: Test fixture; holds the node for ${seconds} s`,
      '# mutating: true',
      '# timeout: 20s',
      '# ---',
      'cat >/dev/null',
      `sleep ${seconds}`,
      `echo '{"status":"ok","summary":"slept","data":{}}'`,
      '',
    ].join('\n'),
  );
  chmodSync(join(plugins, 'slow.sh'), 0o755);
  return plugins;
}

export interface TestServerOptions {
  /** Folder of the rules file and the database. */
  dir: string;
  /**
   * Names `<dir>/<name>.yaml` and `<dir>/<name>.db`: a second start with the same name is a
   * restart on the same database.
   */
  name: string;
  /** rules.yaml text, written to `<dir>/<name>.yaml`; omitted: the file there is used as it is. */
  config?: string;
  /** RUNE_PLUGINS_DIR; default the shipped plugins. */
  plugins?: string;
  /** More environment (tokens, secrets, URLs); it wins over the defaults above. */
  env?: Record<string, string>;
  /** `rune serve` flags the tests use. */
  dryRun?: boolean;
  concurrency?: number;
  insecureNoAuth?: boolean;
  log?: Logger;
  createTransports?: StartOptions['createTransports'];
  /** The server's clock (default the real one): a test moves time on instead of sleeping. */
  now?: () => Date;
}

/** `rune serve` in-process on 127.0.0.1:<free port>. Stop it with `close()` in afterAll or finally. */
export async function startTestServer(o: TestServerOptions): Promise<RunningServer> {
  const configPath = join(o.dir, `${o.name}.yaml`);
  if (o.config !== undefined) writeFileSync(configPath, o.config);
  const env = {
    RUNE_CONFIG: configPath,
    RUNE_PLUGINS_DIR: o.plugins ?? SHIPPED_PLUGINS,
    RUNE_DB: join(o.dir, `${o.name}.db`),
    ...o.env,
  };
  const settings = readSettings({}, env);
  const serve = readServeSettings(
    {
      listen: '127.0.0.1:0',
      ...(o.dryRun ? { dryRun: true } : {}),
      ...(o.insecureNoAuth ? { insecureNoAuth: true } : {}),
      ...(o.concurrency !== undefined ? { concurrency: String(o.concurrency) } : {}),
    },
    env,
    (p) => readFileSync(p, 'utf8'),
  );
  const s = await startServer({
    settings,
    serve,
    log: o.log ?? quietLog,
    createTransports: o.createTransports ?? defaultTransports,
    ...(o.now ? { now: o.now } : {}),
  });
  const close = async (graceMs?: number) => {
    try {
      await s.close(graceMs);
    } finally {
      // close() waits for running jobs up to its bound, then records them interrupted and leaves
      // their plugins running (docs/architecture.md, State): a test's server stops those too.
      for (const j of s.queue.runningJobs()) s.queue.abort(j.id, 'the test server was closed');
      untrack();
    }
  };
  // The guard's stop: a short grace, then running jobs are cut off (as after a failed test).
  const untrack = track(`rune serve in-process ${s.url} (${o.name})`, () => close(5000));
  return { ...s, close };
}

/** Compiles src/ with tsconfig.build.json into `outDir` (what `npm run build` makes), for real processes. */
export function compileRune(outDir: string): string {
  execFileSync(
    join(ROOT, 'node_modules', '.bin', 'tsc'),
    ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir],
    {
      stdio: 'pipe',
    },
  );
  return outDir;
}

export interface ServeProcess {
  proc: ChildProcess;
  url: string;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until the output matches; fails at once when the process exits, else after `ms`. */
  waitForOutput(pattern: RegExp, what: string, ms?: number): Promise<RegExpMatchArray>;
  /** SIGKILL unless it has exited, then waits for the exit; idempotent. */
  stop(): Promise<void>;
}

/**
 * A real `rune serve` process: `command args…` must start it listening on 127.0.0.1:`port`.
 * Resolves once it says it is serving there; if it does not, it is killed and the start fails.
 */
export async function startServeProcess(o: {
  command: string;
  args: string[];
  port: number;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** How long it may take to say it is serving (default 20 s). */
  startMs?: number;
}): Promise<ServeProcess> {
  const proc = spawn(o.command, o.args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const running = () => proc.exitCode === null && proc.signalCode === null;
  let untrack: () => void = () => undefined;
  const stop = async () => {
    if (running()) proc.kill('SIGKILL');
    await exited;
    untrack();
  };
  untrack = track(`rune serve process pid ${proc.pid} on port ${o.port}`, stop);
  const url = `http://127.0.0.1:${o.port}`;
  const waitForOutput = (pattern: RegExp, what: string, ms = 20_000) =>
    waitFor(
      () => {
        const m = pattern.exec(out);
        if (!m && !running()) throw new Error(`rune serve exited (${proc.exitCode ?? proc.signalCode}):\n${out}`);
        return m;
      },
      () => `${what}; output so far:\n${out}`,
      ms,
    );
  try {
    await waitForOutput(new RegExp(`serving on ${url.replace(/\./g, '\\.')}`), `rune serve on ${url}`, o.startMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { proc, url, output: () => out, exited, waitForOutput, stop };
}
