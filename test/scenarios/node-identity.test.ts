/**
 * One node, one identity (issue #12, docs/safety.md "Node identity"): however a request or a
 * template spells a node (its name, its address, another case, a trailing dot, its port), the job,
 * the per-node lock, the guards and the jobs filter all key on the inventory name.
 */
import request from 'supertest';
import { ingestNotification } from '../../src/app/ingest-notification';
import { runManually } from '../../src/app/run-manually';
import type { Alert } from '../../src/core/types';
import { createApp } from '../../src/http/create-app';
import { ADMIN, WEB_OPERATOR, startTestService, type TestService } from '../helpers/test-service';
import { waitFor } from '../helpers/wait-for';

let svc: TestService;
afterEach(() => svc.stop());

const BOX = '{name: box, address: 127.0.0.1, transport: local}';

test('a mutating run on a node and one on its address are one node: they never overlap', async () => {
  svc = startTestService({ nodes: [BOX] });
  const first = runManually(svc.ctx, ADMIN, 'a', { action: 'slow', node: 'box' });
  const second = runManually(svc.ctx, ADMIN, 'a', { action: 'slow', node: '127.0.0.1' });
  expect([second.request.node, second.request.askedNode]).toEqual(['box', '127.0.0.1']);
  const done = (id: string) => svc.ctx.store.getJob(id)?.status === 'succeeded';
  await waitFor(() => done(first.id) && done(second.id), 'both slow runs');
  const [a, b] = [svc.ctx.store.getJob(first.id), svc.ctx.store.getJob(second.id)];
  expect(Date.parse(b?.startedAt as string)).toBeGreaterThanOrEqual(Date.parse(a?.finishedAt as string));
});

test('web-30 and web-30. (and WEB-30) are one node', async () => {
  svc = startTestService();
  const ids = ['web-30', 'web-30.', 'WEB-30'].map((n) => runManually(svc.ctx, ADMIN, 'a', { action: 'slow', node: n }));
  expect(ids.map((j) => j.request.node)).toEqual(['web-30', 'web-30', 'web-30']);
  await waitFor(() => ids.every((j) => svc.ctx.store.getJob(j.id)?.status === 'succeeded'), 'three slow runs');
  const spans = ids
    .map((j) => svc.ctx.store.getJob(j.id))
    .map((j) => [Date.parse(j?.startedAt as string), Date.parse(j?.finishedAt as string)] as const)
    .sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < spans.length; i++) expect(spans[i]?.[0]).toBeGreaterThanOrEqual(spans[i - 1]?.[1] as number);
});

test('alert jobs and API jobs of one host are stored on its inventory name; the cooldown counts both', async () => {
  const rules = `rules:
  - name: check
    matchers: ['alertname="Check"']
    node: "{{ labels.instance | hostname }}"
    steps: [{action: echo}]
    cooldown: 1h
`;
  svc = startTestService({ nodes: [BOX], rules });
  const alert = (fingerprint: string, instance: string): Alert => ({
    source: 'alertmanager',
    status: 'firing',
    labels: { alertname: 'Check', instance },
    annotations: {},
    startsAt: '2026-12-01T10:00:00.000Z',
    endsAt: null,
    fingerprint,
  });
  const delivery = { actor: 'alertmanager', source: 'x', action: 'webhook', target: 'g', details: {} };
  const one = await ingestNotification(svc.ctx, [alert('f1', '127.0.0.1:9100')], delivery, {
    source: 'alertmanager',
    id: 'g',
  });
  expect(svc.ctx.store.getJob(one.jobs[0] as string)?.request).toMatchObject({ node: 'box', askedNode: '127.0.0.1' });
  const two = await ingestNotification(svc.ctx, [alert('f2', 'BOX.:9100')], delivery, {
    source: 'alertmanager',
    id: 'g',
  });
  expect(two.suppressed[0]?.reason).toMatch(/^cooldown: rule check ran on box at /);
  runManually(svc.ctx, ADMIN, 'a', { action: 'echo', node: '127.0.0.1' });
  expect(svc.ctx.store.listJobs({ node: 'box' })).toHaveLength(3);
});

test('?node= finds the jobs of a node by any of its spellings', async () => {
  svc = startTestService({ nodes: [BOX] });
  const auth = { webhookTokens: [], pagerdutySecrets: [], insecureNoAuth: true };
  const app = createApp(svc.ctx, { auth, reload: () => ({ ok: true, problems: [] }), bodyLimitBytes: 65536 });
  runManually(svc.ctx, ADMIN, 'a', { action: 'echo', node: 'box' });
  runManually(svc.ctx, ADMIN, 'a', { action: 'echo', node: '127.0.0.1' });
  for (const q of ['box', '127.0.0.1', 'BOX.']) {
    const r = await request(app).get(`/api/v1/jobs?node=${encodeURIComponent(q)}`);
    expect([q, r.body.jobs.length]).toEqual([q, 2]);
  }
});

test('an operator scoped to web-* reaches neither web-1.evil.example nor a node outside it by its address', () => {
  svc = startTestService({ nodes: [BOX] });
  expect(() => runManually(svc.ctx, WEB_OPERATOR, 'a', { action: 'echo', node: 'web-1.evil.example' })).toThrow(
    /may not run node web-1\.evil\.example/,
  );
  expect(() => runManually(svc.ctx, WEB_OPERATOR, 'a', { action: 'echo', node: '127.0.0.1' })).toThrow(
    /may not run node box/,
  );
});
