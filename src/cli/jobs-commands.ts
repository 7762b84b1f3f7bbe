import { stringify as toYaml } from 'yaml';
import { isRuneError } from '../core/errors';
import type { Result } from '../core/types';
import { readServerTarget } from '../settings/read-settings';
import { callServer } from './call-server';
import { formatResults, type OutputFormat } from './format-result';

export interface JobsIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
}

export interface JobsDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export interface JobsServerFlags {
  server?: string;
  url?: string;
  token?: string;
  output: OutputFormat;
}

/**
 * `rune jobs …` exit codes (docs/cli.md): 0 ok; 1 the job failed (show, retry --wait); 2 usage or
 * a 4xx from the server (bad token, unknown job, refused); 3 the server cannot be reached or
 * answered 5xx; 4 retry --wait gave up before the job ended.
 */
const EXIT = { ok: 0, jobFailed: 1, refused: 2, unreachable: 3, gaveUp: 4 } as const;

type Answer = { ok: true; body: Record<string, unknown> } | { ok: false; exit: number };

async function ask(
  flags: JobsServerFlags,
  method: 'GET' | 'POST',
  path: string,
  body: Record<string, unknown> | undefined,
  io: JobsIo,
  deps: JobsDeps,
): Promise<Answer> {
  let r: { status: number; body: Record<string, unknown> };
  try {
    r = await callServer(readServerTarget(flags, io.env), method, path, body, deps.fetch);
  } catch (err) {
    if (isRuneError(err) && err.code === 'SERVER_UNREACHABLE') {
      io.stderr(`rune: ${err.message}\n`);
      return { ok: false, exit: EXIT.unreachable };
    }
    throw err;
  }
  if (r.status >= 200 && r.status < 300) return { ok: true, body: r.body };
  const e = (r.body.error ?? {}) as { code?: string; message?: string };
  io.stderr(`rune: ${r.status} ${e.code ?? ''}: ${e.message ?? 'request failed'}\n`);
  return { ok: false, exit: r.status >= 500 ? EXIT.unreachable : EXIT.refused };
}

const resultExit = (r: Result) => (r.status === 'succeeded' || r.status === 'skipped' ? EXIT.ok : EXIT.jobFailed);

export interface JobsListFlags extends JobsServerFlags {
  node?: string;
  rule?: string;
  status?: string;
  incident?: string;
  limit?: string;
}

/** `rune jobs list`: newest first; text is one line per job, json one job view per line. */
export async function jobsList(flags: JobsListFlags, io: JobsIo, deps: JobsDeps = {}): Promise<number> {
  const q = new URLSearchParams();
  for (const k of ['node', 'rule', 'status', 'incident', 'limit'] as const)
    if (flags[k] !== undefined) q.set(k, flags[k] as string);
  const a = await ask(flags, 'GET', `/api/v1/jobs${q.size ? `?${q}` : ''}`, undefined, io, deps);
  if (!a.ok) return a.exit;
  const jobs = (a.body.jobs ?? []) as Record<string, any>[];
  if (flags.output === 'json') io.stdout(jobs.map((j) => `${JSON.stringify(j)}\n`).join(''));
  else if (flags.output === 'yaml') io.stdout(toYaml(jobs));
  else if (jobs.length === 0) io.stdout('no jobs\n');
  else {
    for (const j of jobs) {
      const what = j.result?.summary ?? j.reason ?? '';
      io.stdout(
        `${j.id}  ${String(j.status).padEnd(11)}  ${j.action} on ${j.node}${j.rule ? `  rule ${j.rule}` : ''}  ${j.created_at}${what ? `  ${what}` : ''}\n`,
      );
    }
  }
  return EXIT.ok;
}

/** `rune jobs show ID`: the job's Result printed exactly as `rune run` prints Results. */
export async function jobsShow(id: string, flags: JobsServerFlags, io: JobsIo, deps: JobsDeps = {}): Promise<number> {
  const a = await ask(flags, 'GET', `/api/v1/jobs/${encodeURIComponent(id)}`, undefined, io, deps);
  if (!a.ok) return a.exit;
  const result = a.body.result as Result | null;
  if (!result) {
    io.stderr(
      `rune: job ${id} is ${String(a.body.status)} (${String(a.body.action)} on ${String(a.body.node)}): no Result yet\n`,
    );
    return EXIT.ok;
  }
  io.stdout(formatResults([result], flags.output));
  return resultExit(result);
}

export interface JobsRetryFlags extends JobsServerFlags {
  wait?: boolean;
  reason?: string;
  whilePaused?: boolean;
  /** With --wait: how long to wait for the new job's Result (ms). */
  waitMs: number;
}

/** `rune jobs retry ID [--wait]`: the same request as a new job; with --wait, its Result like `show`. */
export async function jobsRetry(id: string, flags: JobsRetryFlags, io: JobsIo, deps: JobsDeps = {}): Promise<number> {
  const body = {
    ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
    ...(flags.whilePaused ? { while_paused: true } : {}),
  };
  const a = await ask(flags, 'POST', `/api/v1/jobs/${encodeURIComponent(id)}/retry`, body, io, deps);
  if (!a.ok) return a.exit;
  const newId = String(a.body.job_id);
  if (!flags.wait) {
    io.stdout(
      flags.output === 'json'
        ? `${JSON.stringify({ job_id: newId, retry_of: id })}\n`
        : flags.output === 'yaml'
          ? toYaml({ job_id: newId, retry_of: id })
          : `job ${newId} queued (retry of ${id})\n`,
    );
    return EXIT.ok;
  }
  io.stderr(`rune: job ${newId} queued (retry of ${id}); waiting for its Result\n`);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + flags.waitMs;
  for (;;) {
    const j = await ask(flags, 'GET', `/api/v1/jobs/${encodeURIComponent(newId)}`, undefined, io, deps);
    if (!j.ok) return j.exit;
    const result = j.body.result as Result | null;
    if (result && j.body.finished_at) {
      io.stdout(formatResults([result], flags.output));
      return resultExit(result);
    }
    if (Date.now() >= deadline) {
      io.stderr(
        `rune: job ${newId} is still ${String(j.body.status)} after ${Math.round(flags.waitMs / 1000)} s; see \`rune jobs show ${newId}\`\n`,
      );
      return EXIT.gaveUp;
    }
    await sleep(500);
  }
}

/**
 * `rune jobs cancel ID [--reason] [--force]`: a queued job becomes cancelled; a running one is
 * stopped (a mutating one only with --force); a finished one: 409, exit 2.
 */
export async function jobsCancel(
  id: string,
  flags: JobsServerFlags & { reason?: string; force?: boolean },
  io: JobsIo,
  deps: JobsDeps = {},
): Promise<number> {
  const body = {
    ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
    ...(flags.force ? { force: true } : {}),
  };
  const a = await ask(flags, 'POST', `/api/v1/jobs/${encodeURIComponent(id)}/cancel`, body, io, deps);
  if (!a.ok) return a.exit;
  const text =
    a.body.status === 'cancelling'
      ? `job ${id} is being stopped (${String(a.body.reason)}); \`rune jobs show ${id}\` shows how it ended\n`
      : `job ${id} ${String(a.body.reason)}\n`;
  io.stdout(flags.output === 'json' ? `${JSON.stringify(a.body)}\n` : flags.output === 'yaml' ? toYaml(a.body) : text);
  return EXIT.ok;
}
