import { stringify as toYaml } from 'yaml';
import { RuneError } from '../core/errors';
import type { Result } from '../core/types';
import { formatDuration, parseDuration } from '../util/duration';
import { askServer, SERVER_EXIT, type ServerFlags, type ServerIo } from './ask-server';
import { formatResults, type OutputFormat } from './format-result';
import { formatTable } from './format-table';

export interface JobsDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export interface JobsServerFlags extends ServerFlags {
  output: OutputFormat;
}

const EXIT = SERVER_EXIT;
const ask = (
  flags: JobsServerFlags,
  method: 'GET' | 'POST',
  path: string,
  body: Record<string, unknown> | undefined,
  io: ServerIo,
  deps: JobsDeps,
) => askServer(flags, method, path, body, io, deps.fetch);

const resultExit = (r: Result) => (r.status === 'succeeded' || r.status === 'skipped' ? EXIT.ok : EXIT.jobFailed);

export interface JobsListFlags extends JobsServerFlags {
  node?: string;
  rule?: string;
  status?: string;
  incident?: string;
  limit?: string;
}

/** `rune jobs list`: newest first; text is one line per job, json one job view per line. */
export async function jobsList(flags: JobsListFlags, io: ServerIo, deps: JobsDeps = {}): Promise<number> {
  const q = new URLSearchParams();
  for (const k of ['node', 'rule', 'status', 'incident', 'limit'] as const)
    if (flags[k] !== undefined) q.set(k, flags[k] as string);
  const a = await ask(flags, 'GET', `/api/v1/jobs${q.size ? `?${q}` : ''}`, undefined, io, deps);
  if (!a.ok) return a.exit;
  type JobView = { id: string; status: string; action: string; node: string; rule: string | null; created_at: string };
  type More = { result?: { summary?: string } | null; reason?: string | null; verification?: VerificationView | null };
  const jobs = (a.body.jobs ?? []) as (JobView & More)[];
  if (flags.output === 'json') io.stdout(jobs.map((j) => `${JSON.stringify(j)}\n`).join(''));
  else if (flags.output === 'yaml') io.stdout(toYaml(jobs));
  else if (jobs.length === 0) io.stdout('no jobs\n');
  else {
    const rows = jobs.map((j) => [
      j.id,
      // The rule run's verdict on the job that carries it, its last step (docs/rules.md, verify).
      j.verification && j.verification.job_id === j.id ? `${j.status}, ${j.verification.status}` : j.status,
      `${j.action} on ${j.node}`,
      j.rule ?? '-',
      j.created_at,
      j.result?.summary ?? j.reason ?? '',
    ]);
    io.stdout(formatTable(rows, ['ID', 'STATUS', 'ACTION', 'RULE', 'CREATED', 'SUMMARY']));
  }
  return EXIT.ok;
}

/** `rune jobs show ID`: the job's Result printed exactly as `rune run` prints Results. */
export async function jobsShow(id: string, flags: JobsServerFlags, io: ServerIo, deps: JobsDeps = {}): Promise<number> {
  const a = await ask(flags, 'GET', `/api/v1/jobs/${encodeURIComponent(id)}`, undefined, io, deps);
  if (!a.ok) return a.exit;
  const result = a.body.result as Result | null;
  if (result) {
    io.stdout(formatResults([result], flags.output));
    // --output json/yaml print exactly the Result; the verdict of its rule run is in the API's job view.
    const v = a.body.verification as VerificationView | null | undefined;
    if (v && flags.output === 'text') io.stdout(`verification: ${describeVerification(v)}\n`);
    const sil = a.body.silence as { status: string; id: string | null; ends_at: string; error: string | null } | null;
    if (sil && flags.output === 'text') {
      const how = sil.status === 'failed' ? `failed: ${sil.error ?? ''}` : `${sil.status} (id ${sil.id ?? '?'})`;
      io.stdout(`silence: ${how}\n`);
    }
    return resultExit(result);
  }
  // No Result: still queued or running, or ended without one (cancelled before it ran, interrupted,
  // outcome unknown). The job view itself is what a script reads; people get one line saying why.
  if (flags.output !== 'text') io.stdout(flags.output === 'json' ? `${JSON.stringify(a.body)}\n` : toYaml(a.body));
  io.stderr(`rune: ${describeNoResult(a.body)}\n`);
  const pending = a.body.status === 'queued' || a.body.status === 'running';
  return pending ? EXIT.ok : EXIT.jobFailed;
}

/** The API's view of a rule run's verification (src/http/views.ts). */
interface VerificationView {
  status: string;
  summary: string | null;
  job_id: string;
  deadline: string;
}

function describeVerification(v: VerificationView): string {
  if (v.status === 'pending') return `pending: watching the alert until ${v.deadline}`;
  return `${v.status}: ${v.summary ?? ''}`;
}

/** Why a job has no Result, and for a held node what the operator can do. */
function describeNoResult(job: Record<string, unknown>): string {
  const head = `job ${String(job.id)} is ${String(job.status)} (${String(job.action)} on ${String(job.node)})`;
  if (job.status === 'queued' || job.status === 'running') return `${head}: no Result yet`;
  const why = typeof job.reason === 'string' && job.reason ? `: ${job.reason}` : ': it has no Result';
  if (typeof job.lock_until !== 'string') return `${head}${why}`;
  return (
    `${head}${why}\nrune: node ${String(job.node)} stays held until ${job.lock_until}; once you have checked ` +
    `the run is over there: rune jobs release ${String(job.id)}`
  );
}

export interface JobsRetryFlags extends JobsServerFlags {
  wait?: boolean;
  reason?: string;
  whilePaused?: boolean;
  /** With --wait: how long to wait for the new job's Result (a duration, default 10m). */
  timeout?: string;
}

/** `rune jobs retry ID [--wait]`: the same request as a new job; with --wait, its Result like `show`. */
export async function jobsRetry(id: string, flags: JobsRetryFlags, io: ServerIo, deps: JobsDeps = {}): Promise<number> {
  const waitMs = parseDuration(flags.timeout ?? '10m');
  if (!waitMs)
    throw new RuneError('USAGE', `--timeout ${JSON.stringify(flags.timeout)} is not a duration like 30s or 5m`);
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
  const deadline = Date.now() + waitMs;
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
        `rune: job ${newId} is still ${String(j.body.status)} after ${formatDuration(waitMs)}; ` +
          `see \`rune jobs show ${newId}\`\n`,
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
  io: ServerIo,
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

/**
 * `rune jobs release ID`: the node a run of unknown outcome holds is released (audited), once an
 * operator has checked that run is over on the node. A job that holds nothing: 409, exit 2.
 */
export async function jobsRelease(
  id: string,
  flags: JobsServerFlags & { reason?: string },
  io: ServerIo,
  deps: JobsDeps = {},
): Promise<number> {
  const body = flags.reason !== undefined ? { reason: flags.reason } : {};
  const a = await ask(flags, 'POST', `/api/v1/jobs/${encodeURIComponent(id)}/release`, body, io, deps);
  if (!a.ok) return a.exit;
  const released = `node ${String(a.body.node)} released from job ${String(a.body.job_id)}`;
  const text = `${released}: mutating jobs may run there now\n`;
  io.stdout(flags.output === 'json' ? `${JSON.stringify(a.body)}\n` : flags.output === 'yaml' ? toYaml(a.body) : text);
  return EXIT.ok;
}
