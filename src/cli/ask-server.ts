import { isRuneError } from '../core/errors';
import { readServerTarget } from '../settings/read-settings';
import { callServer } from './call-server';

export interface ServerFlags {
  server?: string;
  url?: string;
  token?: string;
}

/** Output and environment of a command that talks to a running `rune serve`. */
export interface ServerIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
}

/**
 * Exit codes of the commands that talk to a running `rune serve` (docs/cli.md): 0 ok; 1 the job
 * failed (show, retry --wait); 2 usage or a 4xx from the server (bad token, unknown job, refused);
 * 3 the server cannot be reached or answered 5xx; 4 retry --wait gave up before the job ended.
 */
export const SERVER_EXIT = { ok: 0, jobFailed: 1, refused: 2, unreachable: 3, gaveUp: 4 } as const;

export type Answer = { ok: true; body: Record<string, unknown> } | { ok: false; exit: number };

/** One request; a refusal or an unreachable server is said on stderr and becomes its exit code. */
export async function askServer(
  flags: ServerFlags,
  method: 'GET' | 'POST',
  path: string,
  body: Record<string, unknown> | undefined,
  io: ServerIo,
  doFetch?: typeof fetch,
): Promise<Answer> {
  let r: { status: number; body: Record<string, unknown> };
  try {
    r = await callServer(readServerTarget(flags, io.env), method, path, body, doFetch);
  } catch (err) {
    if (isRuneError(err) && err.code === 'SERVER_UNREACHABLE') {
      io.stderr(`rune: ${err.message}\n`);
      return { ok: false, exit: SERVER_EXIT.unreachable };
    }
    throw err;
  }
  if (r.status >= 200 && r.status < 300) return { ok: true, body: r.body };
  const e = (r.body.error ?? {}) as { code?: string; message?: string };
  io.stderr(`rune: ${r.status} ${e.code ?? ''}: ${e.message ?? 'request failed'}\n`);
  return { ok: false, exit: r.status >= 500 ? SERVER_EXIT.unreachable : SERVER_EXIT.refused };
}
