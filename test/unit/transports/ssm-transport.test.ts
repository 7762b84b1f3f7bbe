import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeAwsEnv, startFakeSsm, useAwsEnv, type FakeSsm } from '../../helpers/fake-ssm';
import { jsonLines, runCli } from '../../helpers/run-cli';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';
import { waitFor } from '../../helpers/wait-for';
import { readFile } from 'node:fs/promises';
import { defaultTransports } from '../../../src/cli/default-transports';
import { validateConfig } from '../../../src/config/validate-config';
import { alertRef } from '../../../src/core/alert-ref';
import { runAction } from '../../../src/orchestrator/run-action';
import { loadRegistry } from '../../../src/plugins/load-registry';
import { compileRules } from '../../../src/rules/compile-rules';
import { matchRules } from '../../../src/rules/match-rules';
import { createSsmTransport, type SsmOptions } from '../../../src/transports/ssm-transport';
import type { Alert } from '../../../src/core/types';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'plugins');
const dir = makeTempDir('ssm');
const config = join(dir, 'rules.yaml');
/** i-…17 hex digits, distinct per n. */
const iid = (n: number) => `i-${n.toString(16).padStart(17, '0')}`;
const WEB = 'i-0123456789abcdef0';

writeFileSync(
  config,
  [
    'nodes:',
    `  - {name: ec2-web-1, transport: ssm, instance_id: ${WEB}}`,
    '  - {name: "i-*", transport: ssm}',
    '  - {name: localhost, transport: local}',
    '',
  ].join('\n'),
);

let fake: FakeSsm;
let restoreEnv: () => void;
const env = { PATH: process.env.PATH, HOME: dir, RUNE_CONFIG: config, RUNE_PLUGINS_DIR: FIXTURES };
/** Fast polling so the suite stays short; everything else is the transport's real behaviour. */
const FAST: SsmOptions = { pollMs: 20, maxPollMs: 100, coalesceMs: 30, notFoundGraceMs: 3000 };

function run(args: string[], ssm: SsmOptions = {}) {
  return runCli(['run', ...args, '--output', 'json'], env, {
    deps: { createTransports: (s) => ({ ...defaultTransports(s), ssm: createSsmTransport({ ...FAST, ...ssm }) }) },
  });
}

const sent = (since: number) => fake.calls.slice(since).filter((c) => c.op === 'SendCommand');
const ops = (since: number, op: string) => fake.calls.slice(since).filter((c) => c.op === op);

beforeAll(async () => {
  fake = await startFakeSsm({ root: join(dir, 'nodes') });
  restoreEnv = useAwsEnv(fakeAwsEnv(fake.url, dir));
});

afterAll(async () => {
  restoreEnv();
  await fake?.close();
  removeTempDir(dir);
});

test('success: the real SDK signs the calls, the node picks its own input, temp files gone afterwards', async () => {
  const mark = fake.calls.length;
  const hostile = `it's $(touch ${dir}/pwned) \`id\` "quoted"; rm -rf /`;
  const r = await run(['echo', '--node', 'ec2-web-1', '--param', `message=${hostile}`]);
  expect(r.code).toBe(0);
  const [res] = jsonLines(r.stdout);
  expect(res).toMatchObject({
    status: 'succeeded',
    node: 'ec2-web-1',
    transport: 'ssm',
    exit_code: 0,
    error: null,
    truncated: false,
    summary: `echo ${hostile}`,
  });
  expect(res!.data.input).toMatchObject({
    contract: 'rune.plugin/v1',
    node: 'ec2-web-1',
    params: { message: hostile },
    job_id: res!.job_id,
  });
  // The plugin ran from a private temp dir that is removed, and so is the decoded input.
  expect(existsSync(res!.data.self)).toBe(false);
  expect(readdirSync(res!.data.tmpdir)).toEqual([]);
  expect(existsSync(join(dir, 'pwned'))).toBe(false);

  const [send] = sent(mark);
  expect(send!.headers.authorization).toMatch(
    /^AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKE0000\/\d{8}\/eu-west-1\/ssm\/aws4_request, /,
  );
  expect(send!.body).toMatchObject({
    DocumentName: 'AWS-RunShellScript',
    InstanceIds: [WEB],
    TimeoutSeconds: 30,
    Parameters: { executionTimeout: ['30'] },
  });
  expect(send!.body.MaxConcurrency).toBeUndefined();
  expect(send!.body.OutputS3BucketName).toBeUndefined();
  // No label or param value is ever shell text: the params only travel as base64.
  const text = (send!.body.Parameters.commands as string[]).join('\n');
  expect(text).not.toContain('pwned');
  expect(text).not.toContain('quoted');
  expect(ops(mark, 'GetCommandInvocation')[0]!.body).toEqual({
    CommandId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    InstanceId: WEB,
  });
});

test('--node <instance id> --ssm resolves via inventory: an instance_id or glob; unlisted ids refused', async () => {
  const r = await run(['echo', '--node', WEB, '--node', iid(7), '--ssm']);
  expect(r.code).toBe(0);
  expect(jsonLines(r.stdout).map((x) => [x.node, x.transport, x.status])).toEqual([
    ['ec2-web-1', 'ssm', 'succeeded'],
    [iid(7), 'ssm', 'succeeded'],
  ]);
  const unknown = await run(['echo', '--node', 'mi-0123456789abcdef0', '--ssm']);
  expect(unknown.code).toBe(2);
  expect(jsonLines(unknown.stdout)[0]!.error.code).toBe('UNKNOWN_NODE');
});

test('non-zero exit: PLUGIN_FAILED with its code; the agent\'s "failed to run commands" line is dropped', async () => {
  const r = await run(['fail', '--node', 'ec2-web-1']);
  expect(r.code).toBe(1);
  const [res] = jsonLines(r.stdout);
  expect(res).toMatchObject({
    status: 'failed',
    exit_code: 1,
    error: { code: 'PLUGIN_FAILED', stage: 'plugin', message: 'the widget did not answer' },
  });
  expect(res!.stderr_tail).toContain('checking the widget');
  expect(res!.stderr_tail).not.toContain('failed to run commands');
});

test('InvocationDoesNotExist right after SendCommand is "not yet"; Delayed is waited out', async () => {
  fake.setInstance(iid(0x10), { notYet: 3 });
  fake.setInstance(iid(0x11), { delayed: 2 });
  const mark = fake.calls.length;
  const r = await run(['echo', '--node', iid(0x10), '--node', iid(0x11)]);
  expect(r.code).toBe(0);
  expect(jsonLines(r.stdout).map((x) => x.status)).toEqual(['succeeded', 'succeeded']);
  expect(
    ops(mark, 'GetCommandInvocation').filter((c) => c.body.InstanceId === iid(0x10)).length,
  ).toBeGreaterThanOrEqual(4);
  expect(sent(mark)).toHaveLength(1); // both went in one command
});

test('InvocationDoesNotExist past the grace period is an SSM_API_ERROR, not an endless wait', async () => {
  fake.setInstance(iid(0x12), { notYet: 1000 });
  const started = Date.now();
  const r = await run(['echo', '--node', iid(0x12)], { notFoundGraceMs: 300 });
  expect(r.code).toBe(3);
  expect(jsonLines(r.stdout)[0]!.error).toMatchObject({
    code: 'SSM_API_ERROR',
    stage: 'transport',
    details: { aws_error: 'InvocationDoesNotExist', instance_id: iid(0x12) },
  });
  expect(Date.now() - started).toBeLessThan(3000);
});

test('Delivery Timed Out and Undeliverable are transport errors (exit 3) naming instance and command', async () => {
  fake.setInstance(iid(0x20), { neverDelivered: { afterPolls: 2, result: 'Delivery Timed Out' } });
  fake.setInstance(iid(0x21), { neverDelivered: { afterPolls: 1, result: 'Undeliverable' } });
  const r = await run(['echo', '--node', iid(0x20), '--node', iid(0x21)]);
  expect(r.code).toBe(3);
  const [late, lost] = jsonLines(r.stdout);
  expect(late).toMatchObject({
    status: 'failed',
    exit_code: null,
    error: {
      code: 'SSM_DELIVERY_TIMEOUT',
      stage: 'transport',
      retryable: true,
      details: { instance_id: iid(0x20), ssm_status: 'TimedOut' },
    },
  });
  expect(late!.error.message).toContain('SSM Agent');
  expect(lost).toMatchObject({
    status: 'failed',
    error: { code: 'SSM_UNDELIVERABLE', details: { instance_id: iid(0x21), ssm_status_details: 'Undeliverable' } },
  });
  expect(late!.error.details.command_id).toMatch(/^[0-9a-f-]{36}$/);
});

test("the agent's Execution Timed Out is RUN_TIMEOUT (exit 4)", async () => {
  fake.setInstance(iid(0x22), { executionTimeoutMs: 300 });
  const r = await run([
    'forever',
    '--node',
    iid(0x22),
    '--timeout',
    '1s',
    '--param',
    `pidfile=${join(dir, 'exec-timeout.pid')}`,
  ]);
  expect(r.code).toBe(4);
  // exit_code null: the agent killed it (ResponseCode -1), not the wrapper's `timeout` (124), which comes later.
  expect(jsonLines(r.stdout)[0]).toMatchObject({
    status: 'timed_out',
    transport: 'ssm',
    exit_code: null,
    error: { code: 'RUN_TIMEOUT', stage: 'plugin' },
  });
});

test("the wrapper's own timeout on the node also gives RUN_TIMEOUT, executionTimeout the backstop", async () => {
  const mark = fake.calls.length;
  const r = await run([
    'forever',
    '--node',
    iid(0x23),
    '--timeout',
    '1s',
    '--param',
    `pidfile=${join(dir, 'wrapper-timeout.pid')}`,
  ]);
  expect(r.code).toBe(4);
  expect(jsonLines(r.stdout)[0]).toMatchObject({ status: 'timed_out', exit_code: 124, error: { code: 'RUN_TIMEOUT' } });
  expect(sent(mark)[0]!.body.Parameters.executionTimeout).toEqual(['11']); // 1 s + kill grace + margin
});

test("RUNE's own deadline sends CancelCommand for the instance and reports RUN_TIMEOUT", async () => {
  fake.setInstance(iid(0x30), { neverDelivered: 'forever' });
  const mark = fake.calls.length;
  const started = Date.now();
  const r = await run(['echo', '--node', iid(0x30), '--timeout', '1s'], { deliveryAllowanceMs: 300 });
  expect(r.code).toBe(4);
  const [res] = jsonLines(r.stdout);
  expect(res).toMatchObject({ status: 'timed_out', error: { code: 'RUN_TIMEOUT' } });
  const [cancel] = ops(mark, 'CancelCommand');
  expect(cancel!.body).toEqual({ CommandId: expect.stringMatching(/^[0-9a-f-]{36}$/), InstanceIds: [iid(0x30)] });
  expect(res!.stderr_tail).toContain(`CancelCommand sent for command ${cancel!.body.CommandId}`);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1300);
  expect(Date.now() - started).toBeLessThan(5000);
});

test('ThrottlingException is retried by the SDK and the run still succeeds', async () => {
  fake.failNext('SendCommand', 1, 'ThrottlingException', 'Rate exceeded');
  fake.failNext('GetCommandInvocation', 1, 'ThrottlingException', 'Rate exceeded');
  const mark = fake.calls.length;
  const r = await run(['echo', '--node', iid(0x40)]);
  expect(r.code).toBe(0);
  expect(sent(mark)).toHaveLength(2); // throttled once, then accepted
});

test('an IAM denial while polling ends the wait at once with SSM_ACCESS_DENIED (no waiter-style retry)', async () => {
  fake.failNext(
    'GetCommandInvocation',
    1,
    'AccessDeniedException',
    'User: arn:aws:iam::123456789012:user/rune is not authorized to perform: ssm:GetCommandInvocation',
  );
  const started = Date.now();
  const r = await run(['echo', '--node', iid(0x41)]);
  expect(r.code).toBe(3);
  const [res] = jsonLines(r.stdout);
  expect(res!.error).toMatchObject({
    code: 'SSM_ACCESS_DENIED',
    stage: 'transport',
    retryable: false,
    details: { aws_error: 'AccessDeniedException', operation: 'GetCommandInvocation' },
  });
  expect(res!.error.message).toContain('ssm:GetCommandInvocation');
  expect(Date.now() - started).toBeLessThan(2000);
});

test('an instance SSM does not manage fails alone (SSM_INSTANCE_UNAVAILABLE); the rest of its batch runs', async () => {
  fake.unmanaged.add(iid(0x52));
  const nodes = [0x50, 0x51, 0x52, 0x53].map(iid);
  const r = await run(['echo', ...nodes.flatMap((n) => ['--node', n])]);
  expect(r.code).toBe(3);
  expect(jsonLines(r.stdout).map((x) => x.error?.code ?? x.status)).toEqual([
    'succeeded',
    'succeeded',
    'SSM_INSTANCE_UNAVAILABLE',
    'succeeded',
  ]);
});

test('stdout over 24,000 characters: truncated, and a JSON cut by SSM says so and what to do', async () => {
  const r = await run(['echo', '--node', iid(0x60), '--param', `message=${'x'.repeat(15_000)}`]);
  expect(r.code).toBe(1);
  const [res] = jsonLines(r.stdout);
  expect(res).toMatchObject({
    status: 'failed',
    truncated: true,
    error: { code: 'PLUGIN_BAD_OUTPUT', details: { truncated: true } },
  });
  expect(res!.error.message).toContain('stdout was cut by SSM at 24,000 characters');
  expect(res!.error.message).toContain('RUNE_SSM_OUTPUT_S3_BUCKET');
});

test('with an output bucket, SendCommand names it and the cut message points to S3 instead', async () => {
  const mark = fake.calls.length;
  const r = await run(['echo', '--node', iid(0x61), '--param', `message=${'x'.repeat(15_000)}`], {
    outputS3Bucket: 'rune-ssm-output',
  });
  expect(sent(mark)[0]!.body.OutputS3BucketName).toBe('rune-ssm-output');
  const [res] = jsonLines(r.stdout);
  expect(res).toMatchObject({ truncated: true, error: { code: 'PLUGIN_BAD_OUTPUT' } });
  expect(res!.error.message).toContain('the full output is in S3 (bucket rune-ssm-output), which RUNE does not read');
});

test('plugin + input over one 64 KB command fail alone with SSM_COMMAND_TOO_LARGE; nothing sent for it', async () => {
  const mark = fake.calls.length;
  const r = await run(['echo', '--node', iid(0x62), '--param', `message=${'x'.repeat(60_000)}`]);
  expect(r.code).toBe(2);
  expect(jsonLines(r.stdout)[0]!.error).toMatchObject({ code: 'SSM_COMMAND_TOO_LARGE', stage: 'dispatch' });
  expect(sent(mark)).toHaveLength(0);
});

test("120 nodes: 3 SendCommands of <= 50 ids, flags' rate controls, one Result per node with its input", async () => {
  const nodes = Array.from({ length: 120 }, (_, i) => iid(0x1000 + i));
  const mark = fake.calls.length;
  const r = await run([
    'echo',
    ...nodes.flatMap((n) => ['--node', n]),
    '--max-concurrency',
    '10',
    '--max-errors',
    '5%',
  ]);
  expect(r.code).toBe(0);
  const results = jsonLines(r.stdout);
  expect(results.map((x) => x.node)).toEqual(nodes);
  expect(
    results.every((x) => x.status === 'succeeded' && x.data.input.node === x.node && x.data.input.job_id === x.job_id),
  ).toBe(true);
  const sends = sent(mark);
  expect(sends.map((s) => (s.body.InstanceIds as string[]).length).sort((a, b) => b - a)).toEqual([50, 50, 20]);
  expect(new Set(sends.flatMap((s) => s.body.InstanceIds as string[])).size).toBe(120);
  for (const s of sends) expect(s.body).toMatchObject({ MaxConcurrency: '10', MaxErrors: '5%' });
}, 20_000);

test('inputs too large to share one 64 KB command are split over several, each under the limit', async () => {
  const nodes = Array.from({ length: 12 }, (_, i) => iid(0x2000 + i));
  const mark = fake.calls.length;
  const r = await run(['echo', ...nodes.flatMap((n) => ['--node', n]), '--param', `message=${'y'.repeat(9_000)}`]);
  const sends = sent(mark);
  expect(sends.length).toBeGreaterThan(1);
  for (const s of sends) expect(Buffer.byteLength(JSON.stringify(s.body.Parameters))).toBeLessThanOrEqual(64 * 1024);
  expect(sends.flatMap((s) => s.body.InstanceIds as string[]).sort()).toEqual(nodes);
  expect(r.code).toBe(0);
  expect(jsonLines(r.stdout).map((x) => x.data.input.node)).toEqual(nodes);
});

test('bad --max-concurrency / --max-errors are usage errors; without SSM nodes they are refused', async () => {
  for (const bad of [
    ['--max-concurrency', '0'],
    ['--max-concurrency', '101%'],
    ['--max-errors', '-1'],
    ['--max-errors', '12345678'],
  ]) {
    const r = await run(['echo', '--node', WEB, '--ssm', ...bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(bad[0]);
  }
  const local = await run(['echo', '--node', 'localhost', '--max-errors', '1']);
  expect(local.code).toBe(2);
  expect(local.stderr).toContain('apply to SSM runs only');
});

describe('before anything is sent', () => {
  test('no region: SSM_NO_REGION (exit 2)', async () => {
    const { AWS_REGION: _region, ...vars } = fakeAwsEnv(fake.url, dir);
    const restore = useAwsEnv(vars);
    const mark = fake.calls.length;
    try {
      const r = await run(['echo', '--node', WEB]);
      expect(r.code).toBe(2);
      expect(jsonLines(r.stdout)[0]!.error).toMatchObject({ code: 'SSM_NO_REGION', stage: 'dispatch' });
      expect(jsonLines(r.stdout)[0]!.error.message).toContain('AWS_REGION');
    } finally {
      restore();
    }
    expect(fake.calls.length).toBe(mark);
  });

  test('no credentials: SSM_NO_CREDENTIALS (exit 2)', async () => {
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...vars } = fakeAwsEnv(fake.url, dir);
    const restore = useAwsEnv(vars);
    const mark = fake.calls.length;
    try {
      const r = await run(['echo', '--node', WEB]);
      expect(r.code).toBe(2);
      expect(jsonLines(r.stdout)[0]!.error).toMatchObject({ code: 'SSM_NO_CREDENTIALS', stage: 'dispatch' });
    } finally {
      restore();
    }
    expect(fake.calls.length).toBe(mark);
  });
});

test('the default transports include SSM: the real defaults reach the fake through AWS_ENDPOINT_URL_SSM', async () => {
  const r = await runCli(['run', 'echo', '--node', 'ec2-web-1', '--output', 'json'], {
    ...env,
    RUNE_SSM_OUTPUT_S3_BUCKET: 'rune-out',
  });
  expect(r.code).toBe(0);
  expect(jsonLines(r.stdout)[0]).toMatchObject({ status: 'succeeded', transport: 'ssm' });
  expect(fake.calls.filter((c) => c.op === 'SendCommand').pop()!.body.OutputS3BucketName).toBe('rune-out');
});

test('rule over SSM: instance_id template rendered from the alert; rule rate controls reach SendCommand', async () => {
  const rules = validateConfig(
    [
      'nodes:',
      '  - name: "ip-10-0-*"',
      '    transport: ssm',
      '    instance_id: "{{ labels.instance_id }}"',
      'rules:',
      '  - name: gather-on-ec2',
      '    matchers: [\'alertname="DiskFull"\']',
      '    steps: [{action: echo, params: {message: "{{ labels.mountpoint }}"}}]',
      '    ssm: {max_concurrency: "25%", max_errors: 1}',
      '',
    ].join('\n'),
    'rules.yaml',
  ).value!;
  const alert: Alert = {
    source: 'alertmanager',
    status: 'firing',
    labels: { alertname: 'DiskFull', instance: 'ip-10-0-1-23:9100', instance_id: iid(0x70), mountpoint: '/var' },
    annotations: {},
    startsAt: '2025-01-01T00:00:00Z',
    endsAt: null,
    fingerprint: 'abc123',
  };
  const [inv] = matchRules(compileRules(rules.rules), alert).invocations; // node: {{ labels.instance | hostname }}
  const mark = fake.calls.length;
  const ssm = createSsmTransport(FAST);
  try {
    const result = await runAction(
      {
        action: inv!.action,
        node: inv!.node,
        params: inv!.params,
        dryRun: false,
        pluginDryRun: false,
        trigger: { kind: 'alert', source: 'alertmanager', rule: inv!.rule },
        alert: alertRef(alert),
        jobId: 'job-1',
        traceId: 'trace-1',
      },
      {
        registry: loadRegistry(FIXTURES),
        config: rules,
        env: { fallbackUser: 'rune' },
        transports: { ssm },
        readScript: (p) => readFile(p),
        now: () => new Date(),
      },
    );
    expect(result).toMatchObject({
      status: 'succeeded',
      node: 'ip-10-0-1-23',
      transport: 'ssm',
      summary: 'echo /var',
      trigger: { rule: 'gather-on-ec2' },
    });
    expect(result.data).toMatchObject({
      input: { node: 'ip-10-0-1-23', alert: { labels: { instance_id: iid(0x70) } } },
    });
  } finally {
    await ssm.close();
  }
  expect(sent(mark)[0]!.body).toMatchObject({ InstanceIds: [iid(0x70)], MaxConcurrency: '25%', MaxErrors: '1' });
});

test("a run RUNE cancels (AbortSignal) sends CancelCommand to its instance; cancelled with RUNE's reason", async () => {
  fake.setInstance(iid(0x80), { neverDelivered: 'forever' });
  const mark = fake.calls.length;
  const ssm = createSsmTransport(FAST);
  const controller = new AbortController();
  try {
    const pending = runAction(
      {
        action: 'echo',
        node: iid(0x80),
        params: { message: 'x' },
        dryRun: false,
        pluginDryRun: false,
        trigger: { kind: 'manual', actor: 'test' },
        alert: null,
        jobId: 'job-c',
        traceId: 'trace-c',
      },
      {
        registry: loadRegistry(FIXTURES),
        config: validateConfig(`nodes:\n  - {name: "i-*", transport: ssm}\n`, 'rules.yaml').value!,
        env: { fallbackUser: 'rune' },
        transports: { ssm },
        readScript: (p) => readFile(p),
        now: () => new Date(),
      },
      controller.signal,
    );
    await waitFor(() => ops(mark, 'GetCommandInvocation').length > 0, 'the first poll of the command', 5000, 20);
    controller.abort('resolved: alert fp9 resolved while echo ran (cancel_running_on_resolve)');
    const result = await pending;
    expect(result).toMatchObject({ status: 'cancelled', error: { code: 'RUN_CANCELLED' } });
    expect(result.summary).toContain('resolved: alert fp9 resolved while echo ran (cancel_running_on_resolve)');
    const [cancel] = ops(mark, 'CancelCommand');
    expect(cancel!.body).toEqual({ CommandId: expect.stringMatching(/^[0-9a-f-]{36}$/), InstanceIds: [iid(0x80)] });
  } finally {
    await ssm.close();
  }
});
