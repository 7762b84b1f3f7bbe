/**
 * Issue #5, "Hostile input": every item end to end, as a sender or an operator meets it. Each one
 * gets a clear 4xx (HTTP) or exit 2 with file:line (CLI, rules.yaml), and each test also shows that
 * nothing ran: no job, or a job that failed at the validate stage without any transport being
 * called, and no file that an injected command would have created.
 *
 * HTTP goes to the real app (`startServer`, real SQLite file, local transport for `localhost`, a
 * fake PagerDuty REST server speaking §3); the CLI runs in-process through run-cli.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { defaultTransports } from '../../src/cli/default-transports';
import type { Settings } from '../../src/settings/read-settings';
import { alertmanagerIncidentKey } from '../../src/reporters/alertmanager-incident-key';
import type { RunningServer } from '../../src/server/start-server';
import type { Transport } from '../../src/transports/transport';
import type { TransportKind } from '../../src/core/types';
import { alertmanagerPayload, type AlertSpec } from '../helpers/alertmanager-payload';
import { tokenLine } from '../helpers/api-tokens';
import { startFakePagerDuty, type FakePagerDuty } from '../helpers/fake-pagerduty';
import { runCli } from '../helpers/run-cli';
import { freePort } from '../helpers/sshd';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { SHIPPED_PLUGINS as PLUGINS, startTestServer } from '../helpers/test-server';
import { waitFor } from '../helpers/wait-for';

const AM_TOKEN = 'am-token-hostile-0123';
const API_TOKEN = 'api-token-hostile-4567';
const PD_TOKEN = 'pd-rest-token-hostile';
const FROM = 'rune-bot@example.com';
const LIMIT = 2 * 1024 * 1024; // docs/api.md: 413 over 2 MiB

let dir: string;
let config: string;
let marker: string;
let pd: FakePagerDuty;
let s: RunningServer;
/** Every call that reached a transport: the proof that a refused request touched no node. */
const contacted: { transport: TransportKind; node: string; action: string }[] = [];
let seq = 0;
const fingerprint = () => `f${String(++seq).padStart(15, '0')}`;

/** The real transports, with every exec recorded first. */
function countingTransports(settings: Settings): Partial<Record<TransportKind, Transport>> {
  const real = defaultTransports(settings);
  const out: Partial<Record<TransportKind, Transport>> = {};
  for (const [kind, t] of Object.entries(real) as [TransportKind, Transport | undefined][]) {
    if (!t) continue;
    out[kind] = {
      kind: t.kind,
      close: () => t.close(),
      exec: (req) => {
        contacted.push({ transport: kind, node: req.target.node, action: req.plugin.name });
        return t.exec(req);
      },
    };
  }
  return out;
}

const goodRules = (closedPort: number) => `nodes:
  - {name: localhost, transport: local}
  - {name: web-1, address: 127.0.0.1, port: ${closedPort}, connect_timeout: 1s}
notify:
  pagerduty: {from: ${FROM}}
rules:
  - name: label-to-node
    matchers: ['alertname="HostileNode"']
    node: "{{ labels.instance | hostname }}"
    steps: [{action: noop}]
  - name: label-to-param
    matchers: ['alertname="HostileParam"']
    node: localhost
    steps:
      - action: noop
        params: {message: "{{ labels.note }}"}
    notify: [pagerduty]
  - name: crafted-regex
    matchers: ['alertname="HostileRegex"', 'job=~".*x.*y"']
    node: localhost
    steps: [{action: noop}]
`;

/** A PagerDuty incident whose id is itself hostile (what a compromised or buggy API could return). */
const EVIL_INCIDENT_ID = 'P1\r\nX-Injected: yes/../../abilities';

beforeAll(async () => {
  dir = makeTempDir('hostile');
  marker = join(dir, 'pwned');
  config = join(dir, 'rules.yaml');
  writeFileSync(config, goodRules(await freePort()));
  writeFileSync(join(dir, 'tokens'), tokenLine('alice', 'admin', API_TOKEN));
  pd = await startFakePagerDuty({
    token: PD_TOKEN,
    from: FROM,
    incidents: [
      { id: 'PNOTE1', incident_key: alertmanagerIncidentKey('{}:{alertname="HostileParam"}'), status: 'triggered' },
      {
        id: EVIL_INCIDENT_ID,
        incident_key: alertmanagerIncidentKey('{}:{alertname="EvilIncident"}'),
        status: 'triggered',
      },
    ],
  });
  s = await startTestServer({
    dir,
    name: 'rules',
    env: {
      RUNE_WEBHOOK_TOKEN: AM_TOKEN,
      RUNE_API_TOKENS_FILE: join(dir, 'tokens'),
      RUNE_PAGERDUTY_TOKEN: PD_TOKEN,
      RUNE_PAGERDUTY_API_URL: pd.url,
      RUNE_PUBLIC_URL: 'https://rune.example.com',
    },
    createTransports: countingTransports,
  });
});

afterAll(async () => {
  await s?.close(5000);
  await pd?.close();
  removeTempDir(dir);
});

beforeEach(() => {
  contacted.length = 0;
});

afterEach(() => {
  // Whatever a test sent, no injected command ever ran.
  expect(existsSync(marker)).toBe(false);
});

interface Reply {
  status: number;
  body: any;
  ms: number;
}

/** POSTs exact bytes (fetch would not let a test send a wrong Content-Length or chunked framing). */
async function post(path: string, body: Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  const started = Date.now();
  const res = await fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* shown as text */
  }
  return { status: res.status, body: parsed, ms: Date.now() - started };
}
const amPost = (body: Buffer, headers: Record<string, string> = {}) =>
  post('/webhooks/alertmanager', body, { Authorization: `Bearer ${AM_TOKEN}`, ...headers });
const apiPost = (body: unknown) =>
  post('/api/v1/jobs', Buffer.from(JSON.stringify(body)), { Authorization: `Bearer ${API_TOKEN}` });
const jobCount = () => s.store.listJobs({ limit: 500 }).length;

/** A 4xx with a JSON error naming what is wrong, and no job stored. */
async function expectRefused(r: Promise<Reply>, status: number, code: string): Promise<Reply> {
  const before = jobCount();
  const reply = await r;
  expect([reply.status, reply.body?.error?.code]).toEqual([status, code]);
  expect(typeof reply.body.error.message).toBe('string');
  expect(jobCount()).toBe(before);
  return reply;
}

/** Still serving: health, and a well-formed alert is accepted and runs. */
async function expectStillServing(): Promise<void> {
  expect((await fetch(`${s.url}/-/healthy`)).status).toBe(200);
  const ok = await amPost(
    alertmanagerPayload('{}:{alertname="HostileParam"}', [
      { labels: { alertname: 'HostileParam', note: 'still here' }, fingerprint: fingerprint() },
    ]),
  );
  expect(ok.status).toBe(202);
  const job = await waitFor(() => s.store.getJob(ok.body.jobs[0])?.result, 'the well-formed job to finish');
  expect(job).toMatchObject({ status: 'succeeded', summary: 'noop on localhost: still here' });
}

const alert = (name: string, labels: Record<string, string>): AlertSpec => ({
  labels: { alertname: name, ...labels },
  fingerprint: fingerprint(),
});

describe('HTTP bodies that are not one JSON document', () => {
  test('non-JSON is a 400 INVALID_JSON', async () => {
    await expectRefused(amPost(Buffer.from('alertname=DiskFull&instance=web-1')), 400, 'INVALID_JSON');
    await expectRefused(amPost(Buffer.from('{"alerts": [')), 400, 'INVALID_JSON');
    await expectRefused(amPost(Buffer.from('{"version":"4"} {"version":"4"}')), 400, 'INVALID_JSON');
    await expectRefused(amPost(Buffer.alloc(0)), 400, 'EMPTY_BODY');
  });

  test('100,000 nested arrays: a quick 400 on webhook and API, no crash or hang; the process serves on', async () => {
    const deep = (inner: string) => '['.repeat(100_000) + inner + ']'.repeat(100_000);
    const whole = await expectRefused(amPost(Buffer.from(deep(''))), 400, 'INVALID_JSON');
    expect(whole.body.error.message).toMatch(/nested too deeply/);
    expect(whole.ms).toBeLessThan(2000);
    // Inside an otherwise valid payload, in a field RUNE ignores: still refused before anything reads it.
    const payload = JSON.parse(alertmanagerPayload('g', [alert('HostileParam', { note: 'x' })]).toString());
    const text = JSON.stringify({ ...payload, extra: '@' }).replace('"@"', deep('1'));
    await expectRefused(amPost(Buffer.from(text)), 400, 'INVALID_JSON');
    // The API copies and validates params: a deep value there once hit a stack overflow (500).
    const deepMessage = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const api = `{"action":"noop","node":"localhost","params":{"message":${deepMessage}}}`;
    await expectRefused(
      post('/api/v1/jobs', Buffer.from(api), { Authorization: `Bearer ${API_TOKEN}` }),
      400,
      'INVALID_JSON',
    );
    expect(contacted).toEqual([]);
    await expectStillServing();
  });

  test('a body over the 2 MiB limit is a 413, with or without Content-Length', async () => {
    const big = Buffer.alloc(LIMIT + 1, 0x20);
    await expectRefused(amPost(big), 413, 'BODY_TOO_LARGE');
    // Chunked, no Content-Length: the limit is counted while reading, not trusted from a header.
    const chunked = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = httpRequest(
        `${s.url}/webhooks/alertmanager`,
        {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            Authorization: `Bearer ${AM_TOKEN}`,
            'Transfer-Encoding': 'chunked',
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 40; i++) req.write(Buffer.alloc(64 * 1024, 0x20)); // 2.5 MiB in chunks
      req.end();
    });
    expect([chunked.status, chunked.body.error.code]).toEqual([413, 'BODY_TOO_LARGE']);
    await expectStillServing();
  });

  test('a wrong or missing Content-Type is a 415, even when the body is a valid payload', async () => {
    const body = alertmanagerPayload('g', [alert('HostileParam', { note: 'typed wrong' })]);
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/jsonp',
      'multipart/form-data; boundary=x',
    ]) {
      await expectRefused(amPost(body, { 'Content-Type': type }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    const untyped = await fetch(`${s.url}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${AM_TOKEN}` },
      body: new Blob([body]),
    });
    expect(untyped.status).toBe(415);
    expect(contacted).toEqual([]);
  });

  test('invalid UTF-8 (a stray byte, an overlong encoding, a lone surrogate) is a 400 INVALID_UTF8', async () => {
    const valid = alertmanagerPayload('g', [alert('HostileParam', { note: 'XX' })]);
    const at = valid.indexOf('XX');
    for (const bad of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
      const body = Buffer.concat([valid.subarray(0, at), Buffer.from(bad), valid.subarray(at + 2)]);
      await expectRefused(amPost(body), 400, 'INVALID_UTF8');
    }
  });
});

describe('hostile label values', () => {
  test('a NUL in a label value is a 400 naming the label; nothing is stored', async () => {
    const r = await expectRefused(
      amPost(alertmanagerPayload('g', [alert('HostileNode', { instance: 'localhost\u0000; touch x' })])),
      400,
      'INVALID_PAYLOAD',
    );
    expect(r.body.error.details.problems).toEqual(['alerts[0].labels.instance: contains a NUL character']);
  });

  test('shell metachars, newlines in a label used as node: UNKNOWN_NODE at validate, no node contacted', async () => {
    const hostile = [
      `localhost$(touch ${marker})`,
      `localhost;touch ${marker}`,
      `localhost\ntouch ${marker}`,
      `web-1 && touch ${marker}`,
      '`reboot`',
      '../../etc/passwd',
    ];
    const r = await amPost(
      alertmanagerPayload(
        '{}:{alertname="HostileNode"}',
        hostile.map((instance) => alert('HostileNode', { instance })),
      ),
    );
    expect(r.status).toBe(202);
    expect(r.body.jobs).toHaveLength(hostile.length);
    const results = await waitFor(() => {
      const js = (r.body.jobs as string[]).map((id) => s.store.getJob(id)?.result);
      return js.every(Boolean) ? js : null;
    }, 'the hostile jobs to finish');
    for (const [i, res] of results.entries()) {
      expect([hostile[i], res!.status, res!.error?.code, res!.error?.stage, res!.transport]).toEqual([
        hostile[i],
        'failed',
        'UNKNOWN_NODE',
        'validate',
        null,
      ]);
    }
    expect(contacted).toEqual([]);
  });

  test('shell metacharacters in a label used as a param stay data all the way into the plugin', async () => {
    const touch = `touch ${marker}`;
    const note = `$(${touch}) \`${touch}\`; ${touch} | ${touch} && '"{{ labels.instance }}' \\ *`;
    const r = await amPost(
      alertmanagerPayload('{}:{alertname="HostileParam"}', [alert('HostileParam', { note, instance: 'web-1' })]),
    );
    expect(r.status).toBe(202);
    const res = await waitFor(() => s.store.getJob(r.body.jobs[0])?.result, 'the job to finish');
    expect(res).toMatchObject({ status: 'succeeded', node: 'localhost', summary: `noop on localhost: ${note}` });
    // The plugin got the exact string (no shell, no second template pass) and ran where the rule says.
    expect((res.data as { input: { params: unknown } }).input.params).toEqual({ message: note });
    expect(contacted).toEqual([{ transport: 'local', node: 'localhost', action: 'noop' }]);
  });
});

describe('hostile label values against a regex matcher (issue #12 item 10)', () => {
  test('450 alerts, 4 KiB labels, against job=~".*x.*y": the event loop never stalls, /-/healthy answers', async () => {
    // Quadratic for a backtracking engine: it blocked RUNE 6-10 s, /-/healthy included. RE2 is linear.
    const value = 'x'.repeat(4096);
    const body = alertmanagerPayload(
      '{}:{alertname="HostileRegex"}',
      Array.from({ length: 450 }, () => alert('HostileRegex', { job: value })),
    );
    expect(body.length).toBeLessThan(LIMIT);
    // The server runs in this process: a 10 ms timer that fires late shows how long the loop was blocked.
    let stall = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      stall = Math.max(stall, now - last - 10);
      last = now;
    }, 10);
    let posting = true;
    const health: number[] = [];
    try {
      const probe = (async () => {
        while (posting) {
          const started = performance.now();
          expect((await fetch(`${s.url}/-/healthy`)).status).toBe(200);
          health.push(performance.now() - started);
        }
      })();
      const r = await amPost(body).finally(() => (posting = false));
      await probe;
      expect([r.status, r.body.jobs, r.body.unmatched]).toEqual([202, [], 450]);
    } finally {
      clearInterval(timer);
    }
    expect(health.length).toBeGreaterThan(0);
    expect(stall).toBeLessThan(2000);
    expect(Math.max(...health)).toBeLessThan(2000);
    // A value that does match still does, in the same notification shape.
    const hit = await amPost(
      alertmanagerPayload('{}:{alertname="HostileRegex"}', [alert('HostileRegex', { job: `${value}y` })]),
    );
    expect(hit.body.jobs).toHaveLength(1);
    await waitFor(() => s.store.getJob(hit.body.jobs[0])?.result, 'the matching job to finish');
  });
});

describe('one alert episode written three ways (issue #12 item 13)', () => {
  test('startsAt as 10:30:00Z, 10:30:00.000Z and 11:30:00+01:00 is one episode: one run, two duplicates', async () => {
    const replies: Reply[] = [];
    for (const startsAt of ['2024-05-01T10:30:00Z', '2024-05-01T10:30:00.000Z', '2024-05-01T11:30:00+01:00']) {
      const spec = { labels: { alertname: 'HostileRegex', job: 'xy' }, fingerprint: 'fepisode00000001', startsAt };
      replies.push(await amPost(alertmanagerPayload('{}:{alertname="HostileRegex"}', [spec])));
    }
    const [first, ...again] = replies;
    expect(first!.body.jobs).toHaveLength(1);
    for (const r of again) expect([r.status, r.body.jobs, r.body.duplicates]).toEqual([202, [], first!.body.jobs]);
    expect(
      s.store.listJobs({ rule: 'crafted-regex' }).filter((j) => j.alert?.fingerprint === 'fepisode00000001'),
    ).toHaveLength(1);
    await waitFor(() => s.store.getJob(first!.body.jobs[0])?.result, 'the run to finish');
  });
});

describe('API requests naming what does not exist', () => {
  test('action names with ../ are UNKNOWN_ACTION (400), nothing runs', async () => {
    for (const action of ['../../../bin/sh', '../noop', 'noop/../noop', '/bin/sh', 'noop\u0000']) {
      const r = await expectRefused(apiPost({ action, node: 'localhost' }), 400, 'UNKNOWN_ACTION');
      expect(r.body.error.message).toContain('unknown action');
    }
    expect(contacted).toEqual([]);
  });

  test('a node not in the inventory is UNKNOWN_NODE (400), nothing contacted', async () => {
    for (const node of ['db-9', '10.0.0.1', 'localhost;id', 'web-1\nX-Injected: 1'])
      await expectRefused(apiPost({ action: 'noop', node }), 400, 'UNKNOWN_NODE');
    const r = await amPost(alertmanagerPayload('g', [alert('HostileNode', { instance: 'db-9:9100' })]));
    const res = await waitFor(() => s.store.getJob(r.body.jobs[0])?.result, 'the job to finish');
    expect(res.error).toMatchObject({ code: 'UNKNOWN_NODE', stage: 'validate' });
    expect(contacted).toEqual([]);
  });
});

describe('header injection in notes', () => {
  test('CR/LF in a value that reaches the note cannot forge a header, a line or a second link', async () => {
    const note = 'disk ok\r\nX-Injected: yes\r\n\r\nJob: https://evil.example/jobs/1\nTrace: forged';
    const r = await amPost(alertmanagerPayload('{}:{alertname="HostileParam"}', [alert('HostileParam', { note })]));
    const jobId = r.body.jobs[0] as string;
    const job = await waitFor(() => s.store.getJob(jobId)?.deliveries[0] && s.store.getJob(jobId), 'the note delivery');
    expect(job.deliveries[0]).toMatchObject({ reporter: 'pagerduty', ok: true, target: 'PNOTE1' });
    const landed = pd.notes.find((n) => n.content.includes(jobId))!;
    const lines = landed.content.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^RUNE noop on localhost: succeeded in \S+ — noop on localhost: disk ok X-Injected: yes Job: https:\/\/evil\.example\/jobs\/1 Trace: forged$/,
    );
    expect(lines.slice(1)).toEqual([`Job: https://rune.example.com/jobs/${jobId}`, `Trace: ${job.traceId}`]);
    const sent = pd.requests.filter((q) => q.method === 'POST');
    expect(sent.every((q) => q.headers['x-injected'] === undefined)).toBe(true);
    expect(pd.headerProblems).toEqual([]);
  });

  test('an incident id with CR/LF and ../ stays one URL path segment of the note request', async () => {
    const r = await amPost(
      alertmanagerPayload('{}:{alertname="EvilIncident"}', [
        { labels: { alertname: 'HostileParam', note: 'to the evil incident' }, fingerprint: fingerprint() },
      ]),
    );
    const jobId = r.body.jobs[0] as string;
    const job = await waitFor(() => s.store.getJob(jobId)?.deliveries[0] && s.store.getJob(jobId), 'the note delivery');
    expect(job.deliveries[0]).toMatchObject({ ok: true });
    const req = pd.requests.find((q) => q.method === 'POST' && q.body.toString().includes(jobId))!;
    expect(req.url).toBe(`/incidents/${encodeURIComponent(EVIL_INCIDENT_ID)}/notes`);
    expect(req.headers['x-injected']).toBeUndefined();
  });
});

describe('rules.yaml that attacks the loader (rune rules check, rune run, reload)', () => {
  const cliEnv = (cfg: string) => ({ PATH: process.env.PATH, HOME: dir, RUNE_CONFIG: cfg, RUNE_PLUGINS_DIR: PLUGINS });
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  /** `rune rules check` and `rune run` both exit 2 naming file:line, quickly; nothing runs. */
  async function expectConfigRefused(name: string, text: string, line: number, message: RegExp): Promise<void> {
    const file = write(name, text);
    const started = Date.now();
    const check = await runCli(['rules', 'check', file], cliEnv(file));
    expect([check.code, check.stdout]).toEqual([2, '']);
    expect(check.stderr).toContain(`${file}:${line}: `);
    expect(check.stderr).toMatch(message);
    const run = await runCli(
      ['run', 'noop', '--node', 'localhost', '--param', `message=$(touch ${marker})`],
      cliEnv(file),
    );
    expect([run.code, run.stdout]).toEqual([2, '']);
    expect(run.stderr).toContain(`${file}:${line}: `);
    expect(Date.now() - started).toBeLessThan(3000);
  }

  test('an alias bomb (billion laughs) is refused at once, with its line', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(',')}]`,
      );
    }
    await expectConfigRefused('alias-bomb.yaml', `${levels.join('\n')}\nrules: []\n`, 2, /alias/i);
  });

  test('duplicate keys are refused, not last-one-wins', async () => {
    await expectConfigRefused(
      'duplicate-keys.yaml',
      'nodes:\n  - {name: localhost, transport: local}\nnodes:\n  - {name: evil, address: 203.0.113.9}\n',
      3,
      /unique/,
    );
  });

  test('custom tags (!!js/function, !!python/object) are refused', async () => {
    await expectConfigRefused(
      'js-function-tag.yaml',
      `rules:\n  - name: x\n    matchers: !!js/function ` +
        `"function () { require('child_process').execSync('touch ${marker}') }"\n    steps: [{action: noop}]\n`,
      3,
      /tag/i,
    );
    await expectConfigRefused(
      'python-object-tag.yaml',
      'defaults: !!python/object/apply:os.system ["id"]\n',
      1,
      /tag/i,
    );
  });

  test('a matcher regex that RE2 cannot run in linear time (backreference, lookaround): refused at load', async () => {
    for (const re of ['(a)\\\\1', '(?=a)a', '(?<!a)b']) {
      const yaml =
        `rules:\n  - name: slow\n    matchers:\n      - 'alertname="X"'\n      - 'instance=~"${re}"'\n` +
        `    steps: [{action: noop}]\n`;
      await expectConfigRefused('non-linear-regex.yaml', yaml, 5, /are not supported: RE2, the regex engine of/);
    }
  });

  test('templates cannot reach process, constructor or __proto__', async () => {
    const cases = [
      '    node: "{{ process.mainModule }}"\n',
      '    node: "{{ labels.constructor }}"\n',
      '    node: "{{ labels.__proto__ }}"\n',
      '    steps: [{action: noop, params: {message: "{{ alert.constructor.constructor }}"}}]\n',
      '    steps: [{action: noop, params: {message: "{{ labels.x | constructor }}"}}]\n',
    ];
    for (const yaml of cases) {
      const withSteps = yaml.includes('steps:') ? yaml : `${yaml}    steps: [{action: noop}]\n`;
      // Line 4: the line holding the template.
      await expectConfigRefused(
        'template-escape.yaml',
        `rules:\n  - name: t\n    matchers: ['alertname="T"']\n${withSteps}`,
        4,
        /invalid template/,
      );
    }
  });

  test('an action name with ../ in a rule is refused with its line', async () => {
    await expectConfigRefused(
      'action-traversal.yaml',
      `rules:\n  - name: t\n    matchers: ['alertname="T"']\n    steps: [{action: "../../../bin/sh"}]\n`,
      4,
      /must match pattern/,
    );
  });

  test('rune run: ../ in the action and a hostile or unknown node exit 2 without contacting anything', async () => {
    const ok = write('ok.yaml', goodRules(await freePort()));
    for (const [argv, code] of [
      [['run', '../noop', '--node', 'localhost'], 'UNKNOWN_ACTION'],
      [['run', 'noop', '--node', 'db-9'], 'UNKNOWN_NODE'],
      [['run', 'noop', '--node', `localhost;touch ${marker}`], 'UNKNOWN_NODE'],
    ] as const) {
      const r = await runCli([...argv, '--output', 'json'], cliEnv(ok), {
        deps: { createTransports: countingTransports },
      });
      expect([argv.join(' '), r.code, JSON.parse(r.stdout).error.code]).toEqual([argv.join(' '), 2, code]);
    }
    expect(contacted).toEqual([]);
  });

  test('a reload with any of these files is a 400 and the old rules keep serving', async () => {
    const original = readFileSync(config, 'utf8');
    try {
      for (const bad of [
        'a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n' +
          'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n',
        `${original}rules: []\n`,
        `${original.replace('\'alertname="HostileNode"\'', '\'instance=~"(?=a)a"\'')}`,
      ]) {
        writeFileSync(config, bad);
        const r = await post('/-/reload', Buffer.from(''), { Authorization: `Bearer ${API_TOKEN}` });
        expect([r.status, r.body.error.code]).toEqual([400, 'CONFIG_INVALID']);
        expect(JSON.stringify(r.body.error.details.problems)).toContain(`${config}:`);
      }
    } finally {
      writeFileSync(config, original);
    }
    await expectStillServing();
  });
});
