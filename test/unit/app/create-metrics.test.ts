import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { webhookOutcome } from '../../../src/http/count-webhooks';
import { createMetrics } from '../../../src/app/create-metrics';

test('each server has its own registry: two never share counts or collide on registration', async () => {
  const a = createMetrics();
  const b = createMetrics();
  a.webhook('alertmanager', 'accepted');
  a.guardDecision('cooldown: rule x ran on web-1 at 10:00; next run after 10:30');
  expect((await a.render()).text).toContain(
    'rune_webhooks_received_total{source="alertmanager",outcome="accepted"} 1\n',
  );
  expect((await a.render()).text).toContain('rune_guard_decisions_total{reason="cooldown"} 1\n');
  expect((await b.render()).text).not.toContain('rune_webhooks_received_total{');
});

test('gauges read their sources at scrape time; breaker states map to 1 / 0.5 / 0', async () => {
  const m = createMetrics({ defaultMetrics: false });
  let waiting = 3;
  m.setSources({
    paused: () => true,
    breakers: () => [
      { rule: 'a', state: 'open', failures: 3, openedAt: 1, probeChain: null, lastFailure: null, probeAt: null },
      { rule: 'b', state: 'half_open', failures: 3, openedAt: 1, probeChain: 'c', lastFailure: null, probeAt: null },
      { rule: 'c', state: 'closed', failures: 0, openedAt: null, probeChain: null, lastFailure: null, probeAt: null },
    ],
    jobsRunning: () => 1,
    jobsWaiting: () => waiting,
    sshPoolSize: () => null,
    ready: () => false,
  });
  let text = (await m.render()).text;
  for (const line of [
    'rune_paused 1',
    'rune_breaker_open{rule="a"} 1',
    'rune_breaker_open{rule="b"} 0.5',
    'rune_breaker_open{rule="c"} 0',
    'rune_queue_jobs{state="running"} 1',
    'rune_queue_jobs{state="waiting"} 3',
    'rune_ssh_pool_connections 0',
    'rune_ready 0',
  ]) {
    expect(text).toContain(`${line}\n`);
  }
  waiting = 0;
  text = (await m.render()).text;
  expect(text).toContain('rune_queue_jobs{state="waiting"} 0\n');
});

test('webhook outcomes from status and answer body', () => {
  expect(webhookOutcome(202, { status: 'accepted', jobs: ['j'], duplicates: [] })).toBe('accepted');
  expect(webhookOutcome(202, { status: 'accepted', jobs: [], duplicates: ['j'] })).toBe('duplicate');
  // nothing matched: still accepted
  expect(webhookOutcome(202, { status: 'accepted', jobs: [], duplicates: [] })).toBe('accepted');
  expect(webhookOutcome(200, { status: 'duplicate' })).toBe('duplicate');
  expect(webhookOutcome(200, { status: 'pong' })).toBe('pong');
  expect(webhookOutcome(200, { status: 'ignored' })).toBe('ignored');
  expect(webhookOutcome(200, { status: 'something-new' })).toBe('accepted'); // bounded label values
  expect(webhookOutcome(401, undefined)).toBe('unauthorized');
  expect(webhookOutcome(400, {})).toBe('bad_request');
  expect(webhookOutcome(413, {})).toBe('bad_request');
  expect(webhookOutcome(404, {})).toBe('not_found');
  expect(webhookOutcome(503, {})).toBe('unavailable');
  expect(webhookOutcome(500, {})).toBe('error');
});

test('docs/observability.md lists every rune_ metric with its type', async () => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'observability.md'), 'utf8');
  const families = (await createMetrics({ defaultMetrics: false }).registry.getMetricsAsJSON()) as unknown as {
    name: string;
    type: string;
  }[];
  expect(families.length).toBe(15);
  const undocumented = families
    .filter((f) => !doc.includes(`| \`${f.name}\` | ${f.type} |`))
    .map((f) => `${f.name} (${f.type})`);
  expect(undocumented).toEqual([]);
});

test('a RUNE dry run counts under transport none and adds no run time: it contacted no node', async () => {
  const m = createMetrics({ defaultMetrics: false });
  const run = { action: 'restart-docker', status: 'succeeded', transport: 'ssh', duration_ms: 40 };
  m.jobFinished(run, { planOnly: true });
  m.jobFinished(run, { planOnly: false });
  const text = (await m.render()).text;
  expect(text).toContain('rune_jobs_total{action="restart-docker",status="succeeded",transport="none"} 1\n');
  expect(text).toContain('rune_jobs_total{action="restart-docker",status="succeeded",transport="ssh"} 1\n');
  expect(text).toContain('rune_job_duration_seconds_count{action="restart-docker",transport="ssh"} 1\n');
  expect(text).not.toContain('rune_job_duration_seconds_count{action="restart-docker",transport="none"}');
});
