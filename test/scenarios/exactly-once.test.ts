/**
 * Issue #5, Load: the exactly-once check of bench/storm, small enough for `npm test`. The same
 * seeded storm generator (bench/storm/storm-workload.js): Alertmanager notifications with 80%
 * byte-identical re-sends and flapping alerts, sent as fast as 16 concurrent requests allow to an
 * in-process `rune serve --dry-run` on a SQLite file. Afterwards the database must hold exactly one
 * job per (rule, episode): every firing episode one job of the firing rule, every resolved episode
 * one of the resolved rule, nothing missing, nothing twice; every answer a 202 that names one
 * stored job per alert it carried.
 */
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createLocalTransport } from '../../src/transports/local-transport';
import {
  checkExactlyOnce,
  FIRING_RULE,
  generateStorm,
  JOBS_SQL,
  RESOLVED_RULE,
  rulesYaml,
  type StormAnswer,
  type StoredJob,
} from '../../bench/storm/storm-workload';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { startTestServer } from '../helpers/test-server';

const TOKEN = 'storm-token-0123456789';
/** 3,000 notifications (≈ 16,000 alerts, ≈ 1,100 episodes): a few seconds on a 2-core machine. */
const NOTIFICATIONS = 3000;
const IN_FLIGHT = 16;

let dir: string;
beforeAll(() => {
  dir = makeTempDir('exactly-once');
});
afterAll(() => removeTempDir(dir));

/** One POST of exact bytes; resolves with the status and the parsed answer. */
function post(agent: Agent, port: number, body: Buffer): Promise<StormAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: '/webhooks/alertmanager',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${TOKEN}`,
          'content-length': body.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          try {
            resolve({ ...(JSON.parse(text) as object), status });
          } catch {
            resolve({ status, problems: [text.slice(0, 200)] });
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test(`${NOTIFICATIONS} notifications (80% re-sends, flapping): exactly one job per rule and episode`, async () => {
  const storm = generateStorm({ seed: 42, notifications: NOTIFICATIONS, duplicates: 0.8 });
  // The workload is what the test means it to be.
  expect(storm.stats.resends / storm.stats.notifications).toBeGreaterThan(0.75);
  expect(storm.stats.resends / storm.stats.notifications).toBeLessThan(0.85);
  expect(
    storm.notifications
      .filter((n) => n.resendOf !== null)
      .every((n) => n.body === storm.notifications[n.resendOf as number]!.body),
  ).toBe(true);
  const flapped = [...storm.truth.firing].map((e) => e.split(' ')[0]);
  expect(flapped.length).toBeGreaterThan(new Set(flapped).size); // some alerts fired in several episodes
  expect(storm.truth.resolved.size).toBeGreaterThan(0);

  const dbPath = join(dir, 'storm.db');
  const server = await startTestServer({
    dir,
    name: 'storm',
    config: rulesYaml(),
    dryRun: true,
    env: { RUNE_SSH_USER: 'storm', RUNE_WEBHOOK_TOKEN: TOKEN },
    createTransports: () => ({ local: createLocalTransport() }),
  });
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const answers: StormAnswer[] = new Array(storm.notifications.length);
  try {
    let next = 0;
    const worker = async () => {
      while (next < storm.notifications.length) {
        const i = next++;
        answers[i] = await post(agent, server.port, storm.notifications[i]!.body);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    await server.queue.idle();
  } finally {
    agent.destroy();
    await server.close(5000);
  }

  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  let jobs: StoredJob[];
  try {
    jobs = db.prepare(JOBS_SQL).all() as StoredJob[];
  } finally {
    db.close();
  }

  const verdict = checkExactlyOnce({ notifications: storm.notifications, truth: storm.truth, answers, jobs });
  expect(verdict.errors).toBe(0);
  expect(verdict.unanswered).toBe(0);
  expect(answers.every((a) => a.status === 202)).toBe(true);
  const { missing, doubled, unexpected, answer } = verdict.samples;
  expect({
    missing: verdict.missing,
    doubled: verdict.doubled,
    unexpected: verdict.unexpected,
    wrongRule: verdict.wrongRule,
    answerMismatches: verdict.answerMismatches,
    reportedNewTwice: verdict.reportedNewTwice,
    samples: { missing, doubled, unexpected, answer },
  }).toEqual({
    missing: 0,
    doubled: 0,
    unexpected: 0,
    wrongRule: 0,
    answerMismatches: 0,
    reportedNewTwice: 0,
    samples: { missing: [], doubled: [], unexpected: [], answer: null },
  });
  expect(verdict.jobsByRule).toEqual({
    [FIRING_RULE]: storm.truth.firing.size,
    [RESOLVED_RULE]: storm.truth.resolved.size,
  });
  // Duplicates are reported as duplicates: every alert of every answer is a new job or a duplicate,
  // and exactly one answer per episode reported it new.
  expect(verdict.newReported).toBe(storm.truth.firing.size + storm.truth.resolved.size);
  expect(verdict.duplicatesReported).toBe(storm.stats.alerts - verdict.newReported);
  expect(verdict.ok).toBe(true);
  // The queue was idle when the server stopped: every job ran as a dry run, or was cancelled
  // while queued because its alert resolved (docs/safety.md, Resolved alerts); none is left.
  expect(verdict.byJobStatus.succeeded).toBeGreaterThan(0);
  expect(Object.keys(verdict.byJobStatus).filter((s) => s !== 'succeeded' && s !== 'cancelled')).toEqual([]);
  expect(jobs.filter((j) => j.jobStatus === 'cancelled' && j.rule !== FIRING_RULE)).toEqual([]);
}, 120_000); // a few seconds alone; much longer on a 2-core machine shared with other work

test('the exactly-once check itself catches a lost job, a doubled job and an answer that names the wrong job', () => {
  const storm = generateStorm({ seed: 7, notifications: 300 });
  // A perfect run, built from the ground truth: the first answer that carries an episode reports its job new.
  const jobs: StoredJob[] = [];
  const idOf = new Map<string, string>();
  const answers: StormAnswer[] = storm.notifications.map((n) => {
    const answer = { status: 202, jobs: [] as string[], duplicates: [] as string[], unmatched: 0, problems: [] };
    for (const a of n.alerts) {
      const rule = a.status === 'firing' ? FIRING_RULE : RESOLVED_RULE;
      const key = `${rule} ${a.fingerprint} ${a.startsAt}`;
      const known = idOf.get(key);
      if (known) answer.duplicates.push(known);
      else {
        const id = `job-${jobs.length}`;
        idOf.set(key, id);
        jobs.push({ id, rule, fingerprint: a.fingerprint, startsAt: a.startsAt, status: a.status });
        answer.jobs.push(id);
      }
    }
    return answer;
  });
  const check = (j: StoredJob[], a: StormAnswer[] = answers) =>
    checkExactlyOnce({ notifications: storm.notifications, truth: storm.truth, answers: a, jobs: j });
  expect(check(jobs).ok).toBe(true);
  expect(check(jobs).duplicatesReported).toBe(storm.stats.alerts - jobs.length);

  const lost = check(jobs.slice(1));
  expect(lost.ok).toBe(false);
  expect(lost.missing).toBe(1);
  const doubled = check([...jobs, { ...jobs[0]!, id: 'job-again' }]);
  expect(doubled.ok).toBe(false);
  expect(doubled.doubled).toBe(1);
  const wrong = answers.map((a, i) => (i === 0 ? { ...a, jobs: [...(a.jobs ?? []).slice(1), 'job-unknown'] } : a));
  expect(check(jobs, wrong).answerMismatches).toBe(1);
  const failed = answers.map((a, i) => (i === 5 ? { status: 503 } : a));
  expect(check(jobs, failed).errors).toBe(1);
});
