import { spawn } from 'node:child_process';
import { OutputCapture } from '../util/output-capture';
import {
  BACKSTOP_MARGIN_MS,
  DEFAULT_CAPTURE_LIMITS,
  KILL_GRACE_MS,
  OUTPUT_DRAIN_MS,
  type CaptureLimits,
  type ExecOutcome,
  type ExecRequest,
  type Transport,
  abortReason,
  capturedOutcome,
} from './transport';
import { buildWrapperScript } from './wrapper-script';

// RUNE's own environment holds secrets (API tokens, key paths): a plugin gets only what a fresh
// SSH session would have, never them.
const PASSED_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];

export function pluginEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const k of PASSED_ENV) if (env[k] !== undefined) out[k] = env[k];
  return out;
}

/** Runs plugins on RUNE's own host (`node: localhost`), through the same wrapper as SSH. */
export function createLocalTransport(opts: { limits?: CaptureLimits; now?: () => number } = {}): Transport {
  const limits = opts.limits ?? DEFAULT_CAPTURE_LIMITS;
  const now = opts.now ?? Date.now;
  return {
    kind: 'local',
    close: async () => {},
    exec(req: ExecRequest): Promise<ExecOutcome> {
      const script = buildWrapperScript({
        script: req.script,
        timeoutMs: req.timeoutMs,
        become: req.plugin.become,
        killGraceMs: KILL_GRACE_MS,
      });
      const started = now();
      return new Promise((resolve) => {
        // detached: the wrapper leads its own session and process group, so the backstop can kill
        // all of it (the plugin leads a session of its own inside: wrapper-script.ts).
        const child = spawn('/bin/sh', ['-c', script], {
          detached: true,
          stdio: ['pipe', 'pipe', 'pipe'],
          env: pluginEnv(process.env),
        });
        const out = new OutputCapture(limits.stdoutCap, limits.tailBytes);
        const err = new OutputCapture(limits.stderrCap, limits.tailBytes);
        let backstopFired = false;
        let cancelled: string | undefined;
        let outputHeldOpen = false;
        let drain: NodeJS.Timeout | undefined;
        let force: NodeJS.Timeout | undefined;
        const wrapperRunning = () => child.exitCode === null && child.signalCode === null;
        /** Ends the run whatever still holds its output: KILL to the wrapper's group, stop reading. */
        const cutOff = () => {
          if (wrapperRunning()) {
            try {
              process.kill(-(child.pid as number), 'SIGKILL');
            } catch {
              /* already gone */
            }
          }
          child.stdout.destroy();
          child.stderr.destroy();
        };
        const onAbort = () => {
          cancelled = abortReason(req.signal);
          // TERM to the wrapper, which passes it on to the plugin's process group and stops what is
          // left; KILL to the wrapper's group (and no more waiting for output) if it is still there.
          if (wrapperRunning()) child.kill('SIGTERM');
          force = setTimeout(cutOff, KILL_GRACE_MS + BACKSTOP_MARGIN_MS);
        };
        if (req.signal?.aborted) onAbort();
        else req.signal?.addEventListener('abort', onAbort, { once: true });
        child.stdout.on('data', (c: Buffer) => out.push(c));
        child.stderr.on('data', (c: Buffer) => err.push(c));
        child.stdout.on('error', () => {});
        child.stderr.on('error', () => {});
        child.stdin.on('error', () => {}); // a plugin that exits without reading stdin is not an error
        child.stdin.end(req.payload);
        const backstop = setTimeout(
          () => {
            backstopFired = true;
            cutOff();
          },
          req.timeoutMs + KILL_GRACE_MS + BACKSTOP_MARGIN_MS,
        );
        // The wrapper exits once the plugin has and what it left in its session is stopped; output
        // still open after that is held by a process out of its reach: the run ends regardless.
        child.on('exit', () => {
          drain = setTimeout(() => {
            outputHeldOpen = true;
            cutOff();
          }, OUTPUT_DRAIN_MS);
        });
        const finish = (exitCode: number | null, signal: string | null) => {
          clearTimeout(backstop);
          clearTimeout(drain);
          clearTimeout(force);
          req.signal?.removeEventListener('abort', onAbort);
          const durationMs = now() - started;
          const captured = { out, err, exitCode, signal, cancelled, backstopFired, durationMs, outputHeldOpen };
          resolve(capturedOutcome({ ...captured, timeoutMs: req.timeoutMs }));
        };
        child.on('error', (e) => {
          err.push(Buffer.from(`rune: cannot start /bin/sh: ${e.message}\n`));
          finish(null, null);
        });
        child.on('close', (code, signal) => finish(code, signal));
      });
    },
  };
}
