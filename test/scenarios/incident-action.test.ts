/**
 * PagerDuty Custom Incident Action (docs/protocols.md §2.8): the documented v2 envelope, through the
 * real service on 127.0.0.1 with the local transport, and a local fake PagerDuty REST server that
 * serves the incident's alerts and records the notes posted on it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../src/server/start-server';
import { tokenLine } from '../helpers/api-tokens';
import { startFakePagerDuty, type FakePagerDuty } from '../helpers/fake-pagerduty';
import { fixtureJson } from '../helpers/fixtures';
import { httpCall } from '../helpers/http-call';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { startTestServer, writeTestPlugins } from '../helpers/test-server';
import { waitFor } from '../helpers/wait-for';

const PD_REST_TOKEN = 'pd-rest-token-incident-action';
const EXT_TOKEN = 'rune_pd-extension-token-0001';
const VIEWER_TOKEN = 'rune_pd-viewer-token-0002';
const SCOPED_TOKEN = 'rune_pd-scoped-token-0003';
const ADMIN_TOKEN = 'rune_pd-admin-token-0004';
const PATH = '/webhooks/pagerduty/incident-action';

let dir: string;
let s: RunningServer;
let pd: FakePagerDuty;

/**
 * The documented v2 message (fixture), as a Custom Incident Action sends it: event incident.custom,
 * a custom_log_entry with the clicking user.
 */
function customAction(o: { incidentId?: string; id?: string; agentName?: string } = {}): Record<string, any> {
  const doc = fixtureJson('pagerduty/docs-webhook-v2-incident.trigger.developer-docs.json');
  const m = doc.messages[0];
  const agent = { ...m.log_entries[0].agent, ...(o.agentName ? { summary: o.agentName } : {}) }; // Laura Haley
  return {
    messages: [
      {
        ...m,
        id: o.id ?? m.id,
        event: 'incident.custom',
        incident: { ...m.incident, ...(o.incidentId ? { id: o.incidentId } : {}) },
        log_entries: [
          {
            id: 'R1CUSTOM',
            type: 'custom_log_entry',
            summary: 'Run RUNE',
            created_at: '2017-09-26T15:20:00Z',
            agent,
            channel: { type: 'web_ui' },
            incident: m.log_entries[0].incident,
          },
        ],
      },
    ],
  };
}

const basic = (password: string) => `Basic ${Buffer.from(`pagerduty:${password}`).toString('base64')}`;
const post = (o: { query?: string; body?: unknown; auth?: string; webhookId?: string; from?: string }) =>
  httpCall(s.url, 'POST', `${PATH}${o.query ?? ''}`, {
    body: o.body ?? customAction(),
    authorization: o.auth ?? basic(EXT_TOKEN),
    headers: { 'x-webhook-id': o.webhookId ?? `w-${Math.random().toString(36).slice(2)}` },
    ...(o.from ? { from: o.from } : {}),
  });

beforeAll(async () => {
  dir = makeTempDir('incident-action');
  const plugins = writeTestPlugins(dir);
  // The incident of the documented payload carries the Alertmanager alert of the captured fixture (§1.5).
  const details = fixtureJson('alertmanager/captured-am0.25-to-pagerduty-events-v2-trigger.json').payload
    .custom_details;
  pd = await startFakePagerDuty({
    token: PD_REST_TOKEN,
    from: 'rune-bot@example.com',
    alerts: {
      PRORDTY: { alerts: [{ id: 'A1', alert_key: 'k1', status: 'triggered', body: { details } }], more: false },
      PNOHOST: {
        alerts: [{ id: 'A2', alert_key: 'k2', status: 'triggered', body: { details: { summary: 'something' } } }],
        more: false,
      },
    },
  });

  const tokens = join(dir, 'tokens');
  writeFileSync(
    tokens,
    tokenLine('pd-ext', 'operator', EXT_TOKEN) +
      tokenLine('pd-viewer', 'viewer', VIEWER_TOKEN) +
      tokenLine('pd-scoped', 'operator', SCOPED_TOKEN, { actions: ['echo'], nodes: ['web-*'] }) +
      tokenLine('ada', 'admin', ADMIN_TOKEN),
  );
  const config = `nodes:
  - {name: "ip-10-0-*", transport: local}
  - {name: "10.0.*.*", transport: local}
  - {name: "web-*", transport: local}
notify:
  pagerduty: {from: rune-bot@example.com}
rules:
  - name: disk-almost-full
    matchers: ['alertname="NodeFilesystemAlmostOutOfSpace"']
    node: "{{ labels.nodename }}"
    steps:
      - action: echo
        params: {message: "{{ annotations.summary }}"}
      - action: echo
        params: {message: "second step"}
    notify: [pagerduty]
`;
  s = await startTestServer({
    dir,
    name: 'ia',
    config,
    plugins,
    env: {
      RUNE_PUBLIC_URL: 'https://rune.example.com',
      RUNE_API_TOKENS_FILE: tokens,
      RUNE_PAGERDUTY_TOKEN: PD_REST_TOKEN,
      RUNE_PAGERDUTY_API_URL: pd.url,
    },
  });
});
afterAll(async () => {
  await s?.close(5000);
  await pd?.close();
  removeTempDir(dir);
});

describe('POST /webhooks/pagerduty/incident-action', () => {
  test("docs v2 payload runs the rule on the incident's host as token + clicking user; notes on incident", async () => {
    const t0 = Date.now();
    const r = await post({ webhookId: 'w-rules-1' });
    expect(Date.now() - t0).toBeLessThan(5000); // PagerDuty wants an answer within 16 s (§2.5)
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ status: 'accepted', incident: 'PRORDTY' });
    expect(r.body.jobs).toHaveLength(2);
    const [first, second] = r.body.jobs as string[];
    await waitFor(() => s.store.getJob(second as string)?.deliveries.length, 'the second step to be reported');
    const one = s.store.getJob(first as string)!;
    expect(one.request).toMatchObject({
      action: 'echo',
      node: 'ip-10-0-1-23',
      params: { message: 'Filesystem has less than 5% space left.' },
    });
    expect(one.trigger).toEqual({
      kind: 'manual',
      source: 'pagerduty',
      actor: 'pd-ext (PagerDuty: Laura Haley)',
      rule: 'disk-almost-full',
      alert_fingerprint: 'k1',
      incident: { provider: 'pagerduty', id: 'PRORDTY', url: 'https://webdemo.pagerduty.com/incidents/PRORDTY' },
    });
    expect(one.result).toMatchObject({ status: 'succeeded' });
    const notes = await waitFor(() => {
      const n = pd.notes.filter(
        (x) =>
          x.incidentPath === 'PRORDTY' && (x.content.includes(first as string) || x.content.includes(second as string)),
      );
      return n.length === 2 ? n : null;
    }, 'both notes');
    expect(notes[0]!.content).toContain('https://rune.example.com/jobs/');
    const audit = s.store
      .queryAudit({ action: 'incident-action', limit: 10 })
      .find((a) => a.details.webhook_id === 'w-rules-1');
    expect(audit).toMatchObject({
      actor: 'pd-ext',
      target: 'incident PRORDTY',
      details: {
        agent: 'Laura Haley',
        agent_id: 'P553OPV',
        job_ids: [first, second],
        rules: ['disk-almost-full'],
        reason: 'Custom Incident Action pressed by Laura Haley',
      },
    });
    expect(audit!.source).toMatch(/127\.0\.0\.1$/);
  });

  test('a redelivery with the same X-Webhook-Id runs nothing again', async () => {
    const before = s.store.listJobs({ limit: 500 }).length;
    const r = await post({ webhookId: 'w-rules-1' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'duplicate', webhook_id: 'w-rules-1' });
    expect(s.store.listJobs({ limit: 500 })).toHaveLength(before);
  });

  test("?action= runs on the incident alert's node; &node= overrides it without a look-up (bearer auth)", async () => {
    const r = await post({ query: '?action=echo', auth: `Bearer ${EXT_TOKEN}` });
    expect(r.status).toBe(202);
    const job = await waitFor(
      () => s.store.getJob(r.body.jobs[0])?.result && s.store.getJob(r.body.jobs[0]),
      'the job',
    );
    expect(job.request).toMatchObject({ action: 'echo', node: '10.0.1.23' }); // instance, port stripped
    expect(job.trigger).toMatchObject({
      kind: 'manual',
      source: 'pagerduty',
      actor: 'pd-ext (PagerDuty: Laura Haley)',
      incident: { id: 'PRORDTY' },
    });
    await waitFor(() => pd.notes.find((n) => n.content.includes(job.id)), 'the note');

    const lookups = pd.lookups.length;
    const o = await post({ query: '?action=echo&node=web-9' });
    expect(o.status).toBe(202);
    expect(s.store.getJob(o.body.jobs[0])!.request.node).toBe('web-9');
    expect(pd.lookups).toHaveLength(lookups);
    expect(s.store.queryAudit({ action: 'incident-action', limit: 1 })[0]).toMatchObject({
      target: 'echo on web-9',
      details: { query_action: 'echo', query_node: 'web-9', job_ids: [o.body.jobs[0]] },
    });
  });

  test('bad auth: none or a wrong password is 401, a viewer is 403; an operator scope narrows what runs', async () => {
    expect((await post({ auth: '' })).status).toBe(401);
    expect((await post({ auth: basic('rune_wrong') })).status).toBe(401);
    const viewer = await post({ auth: basic(VIEWER_TOKEN) });
    expect(viewer.status).toBe(403);
    expect(viewer.body.error.message).toMatch(/needs role operator; token pd-viewer has role viewer/);
    const scopedNode = await post({ auth: basic(SCOPED_TOKEN), query: '?action=echo&node=db-1' });
    expect(scopedNode.status).toBe(403);
    expect(scopedNode.body.error.message).toBe('token pd-scoped may not run node db-1 (it may touch web-*)');
    // The matching rule runs on ip-10-0-1-23, outside web-*: refused as a whole, and noted.
    const scopedRule = await post({ auth: basic(SCOPED_TOKEN) });
    expect(scopedRule.status).toBe(403);
    expect(scopedRule.body.error.details.refused).toEqual([
      { rule: 'disk-almost-full', reason: 'token pd-scoped may not run echo on ip-10-0-1-23' },
    ]);
    expect(s.store.queryAudit({ action: 'incident-action-refused', actor: 'pd-scoped', limit: 1 })[0]).toMatchObject({
      details: { refused: 'FORBIDDEN', agent: 'Laura Haley' },
    });
  });

  test('clear 4xx: malformed envelopes, unknown action, missing labels or node; other v2 events ignored', async () => {
    const notJson = await httpCall(s.url, 'POST', PATH, {
      rawBody: Buffer.from('{"messages": ['),
      authorization: basic(EXT_TOKEN),
    });
    expect([notJson.status, notJson.body.error.code]).toEqual([400, 'INVALID_JSON']);
    for (const [body, problem] of [
      [{}, 'messages: must be an array'],
      [{ messages: [] }, 'messages: is empty'],
      [{ messages: [{ event: 'incident.custom', id: 'x' }] }, 'messages[0].incident: must be an object'],
      [
        { messages: [{ event: 'incident.custom', id: 'x', incident: { id: '../../x' } }] },
        'messages[0].incident.id: must be a PagerDuty id',
      ],
    ] as const) {
      const r = await post({ body });
      expect([r.status, r.body.error.code]).toEqual([400, 'INVALID_PAYLOAD']);
      expect(r.body.error.message).toContain(problem);
    }
    const unknownAction = await post({ query: '?action=no-such-plugin' });
    expect([unknownAction.status, unknownAction.body.error.code]).toEqual([400, 'UNKNOWN_ACTION']);
    expect((await post({ query: '?node=web-1' })).status).toBe(400);
    expect((await post({ query: '?actoin=echo' })).body.error.message).toMatch(
      /unknown query parameter actoin \(known: action, node\)/,
    );

    const noAlerts = await post({ body: customAction({ incidentId: 'PEMPTY1' }) });
    expect([noAlerts.status, noAlerts.body.error.code]).toEqual([422, 'INCIDENT_UNMATCHED']);
    await waitFor(
      () => pd.notes.find((n) => n.incidentPath === 'PEMPTY1' && n.content.includes('no host labels')),
      'the note explaining why',
    );
    const noHost = await post({ body: customAction({ incidentId: 'PNOHOST' }), query: '?action=echo' });
    expect([noHost.status, noHost.body.error.code]).toEqual([422, 'INCIDENT_UNMATCHED']);

    // The documented v2 incident.trigger message verbatim: a valid envelope, but not a button press.
    const trigger = await post({ body: fixtureJson('pagerduty/docs-webhook-v2-incident.trigger.developer-docs.json') });
    expect(trigger.status).toBe(200);
    expect(trigger.body).toEqual({ status: 'ignored', events: ['incident.trigger'] });
  });

  test('while paused: 409 PAUSED, audited, and a note on the incident says RUNE is paused', async () => {
    expect(
      (await httpCall(s.url, 'POST', '/api/v1/pause', { token: ADMIN_TOKEN, body: { reason: 'db migration' } })).status,
    ).toBe(200);
    try {
      const before = s.store.listJobs({ limit: 500 }).length;
      const r = await post({ body: customAction({ incidentId: 'PPAUSED', id: 'msg-paused' }) });
      expect([r.status, r.body.error.code]).toEqual([409, 'PAUSED']);
      expect(s.store.listJobs({ limit: 500 })).toHaveLength(before);
      expect(s.store.queryAudit({ action: 'incident-action-refused', limit: 1 })[0]).toMatchObject({
        actor: 'pd-ext',
        target: 'incident PPAUSED',
        details: { refused: 'PAUSED', agent: 'Laura Haley' },
      });
      const note = await waitFor(() => pd.notes.find((n) => n.incidentPath === 'PPAUSED'), 'the paused note');
      expect(note.content).toMatch(/RUNE is paused since .* by ada \(db migration\)/);
    } finally {
      await httpCall(s.url, 'POST', '/api/v1/resume', { token: ADMIN_TOKEN });
    }
  });
});

/**
 * The notes answering a press posted on an incident after `since` notes, one per text it mentions
 * (notes land in the background: one of an earlier test may still arrive).
 */
const notesOn = (incident: string, since: number, ...mentions: string[]) =>
  waitFor(
    () => {
      const landed = pd.notes.slice(since).filter((x) => x.incidentPath === incident);
      const found = mentions.map((m) =>
        landed.find((x) => x.content.startsWith('RUNE did not run') && x.content.includes(m)),
      );
      return found.every(Boolean) ? (found as { content: string }[]) : null;
    },
    `notes on ${incident} mentioning ${mentions.join(', ')}`,
  );
const refusedAudit = (webhookId: string) =>
  s.store.queryAudit({ action: 'incident-action-refused', limit: 50 }).find((a) => a.details.webhook_id === webhookId);

describe('a refused press (issue #12 item 11): audited with incident and webhook id, noted, its id not used up', () => {
  test('403 outside the token scope: audited and noted; the same X-Webhook-Id then runs once allowed', async () => {
    const notes = pd.notes.length;
    const r = await post({ auth: basic(SCOPED_TOKEN), query: '?action=echo&node=db-1', webhookId: 'w-scope-1' });
    expect([r.status, r.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect(refusedAudit('w-scope-1')).toMatchObject({
      actor: 'pd-scoped',
      target: 'incident PRORDTY',
      details: { incident: 'PRORDTY', agent: 'Laura Haley', refused: 'FORBIDDEN', query_node: 'db-1' },
    });
    const [note] = await notesOn('PRORDTY', notes, 'db-1');
    expect(note!.content).toBe(
      'RUNE did not run anything for the incident action pressed by Laura Haley: ' +
        'token pd-scoped may not run node db-1 (it may touch web-*)',
    );
    // Not "duplicate": the refusal did not claim the delivery.
    const again = await post({ query: '?action=echo&node=web-3', webhookId: 'w-scope-1' });
    expect([again.status, again.body.status]).toEqual([202, 'accepted']);
    const retry = await post({ query: '?action=echo&node=web-3', webhookId: 'w-scope-1' });
    expect(retry.body).toEqual({ status: 'duplicate', webhook_id: 'w-scope-1' });
    await waitFor(() => s.store.getJob(again.body.jobs[0])?.deliveries[0], 'the Result note of the job');
  });

  test('400 unknown node: audited and noted; the same X-Webhook-Id is not answered "duplicate"', async () => {
    const notes = pd.notes.length;
    const jobs = s.store.listJobs({ limit: 500 }).length;
    const r = await post({ query: '?action=echo&node=db-9', webhookId: 'w-node-1' });
    expect([r.status, r.body.error.code]).toEqual([400, 'UNKNOWN_NODE']);
    expect(s.store.listJobs({ limit: 500 })).toHaveLength(jobs);
    expect(refusedAudit('w-node-1')).toMatchObject({
      target: 'incident PRORDTY',
      details: { incident: 'PRORDTY', refused: 'UNKNOWN_NODE', query_action: 'echo', query_node: 'db-9' },
    });
    const [note] = await notesOn('PRORDTY', notes, 'db-9');
    expect(note!.content).toMatch(/^RUNE did not run anything for the incident action pressed by Laura Haley: .*db-9/);
    const again = await post({ query: '?action=echo&node=db-9', webhookId: 'w-node-1' });
    expect([again.status, again.body.error?.code]).toEqual([400, 'UNKNOWN_NODE']);
  });

  test('an unknown ?action= and a ?node= without ?action= are audited and noted too', async () => {
    const notes = pd.notes.length;
    const unknown = await post({ query: '?action=no-such-plugin', webhookId: 'w-action-1' });
    expect([unknown.status, unknown.body.error.code]).toEqual([400, 'UNKNOWN_ACTION']);
    const nodeOnly = await post({ query: '?node=web-1', webhookId: 'w-action-2' });
    expect([nodeOnly.status, nodeOnly.body.error.code]).toEqual([400, 'BAD_REQUEST']);
    expect([refusedAudit('w-action-1')?.details.refused, refusedAudit('w-action-2')?.details.refused]).toEqual([
      'UNKNOWN_ACTION',
      'BAD_REQUEST',
    ]);
    const landed = await notesOn('PRORDTY', notes, 'no-such-plugin', '?node= needs');
    expect(landed.map((n) => n.content)).toEqual([
      expect.stringMatching(/pressed by Laura Haley: unknown action "no-such-plugin"/),
      expect.stringMatching(/pressed by Laura Haley: .*\?node= needs \?action=/),
    ]);
  });
});

describe('untrusted text in notes (issue #12 item 12)', () => {
  const forged = 'Laura Haley\nJob: https://evil.example/jobs/1\r\nTrace: forged\u2028Error: none';

  test('a PagerDuty user name with line breaks cannot forge a line in the note that answers the press', async () => {
    const notes = pd.notes.length;
    const r = await post({ body: customAction({ incidentId: 'PEMPTY1', agentName: forged }), webhookId: 'w-forge-1' });
    expect(r.status).toBe(422);
    const [note] = await notesOn('PEMPTY1', notes, 'evil.example');
    expect(note!.content).toBe(
      'RUNE did not run anything for the incident action pressed by ' +
        'Laura Haley Job: https://evil.example/jobs/1 Trace: forged Error: none: ' +
        'no host labels were found in its alerts.',
    );
    // The audit keeps the name exactly as PagerDuty sent it.
    expect(refusedAudit('w-forge-1')?.details.agent).toBe(forged);
  });

  test('nor in the Result notes of the jobs it runs, nor in the actor the jobs record', async () => {
    const r = await post({ body: customAction({ agentName: forged }), query: '?action=echo&node=web-4' });
    expect(r.status).toBe(202);
    const jobId = r.body.jobs[0] as string;
    const job = await waitFor(() => s.store.getJob(jobId)?.deliveries[0] && s.store.getJob(jobId), 'the note');
    expect(job.trigger.actor).toBe(
      'pd-ext (PagerDuty: Laura Haley Job: https://evil.example/jobs/1 Trace: forged Error: none)',
    );
    const note = pd.notes.find((n) => n.content.includes(jobId))!;
    expect(note.content.split('\n')).toEqual([
      expect.stringMatching(/^RUNE echo on web-4: succeeded in /),
      `Job: https://rune.example.com/jobs/${jobId}`,
      `Trace: ${job.traceId}`,
    ]);
  });
});
