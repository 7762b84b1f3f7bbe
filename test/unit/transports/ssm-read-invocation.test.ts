import { fixtureJson } from '../../helpers/fixtures';
import {
  readInvocation,
  type InvocationContext,
  type InvocationView,
} from '../../../src/transports/ssm-read-invocation';
import { interpretOutcome } from '../../../src/mediator/interpret-outcome';

const ctx: InvocationContext = {
  node: 'ec2-1',
  instanceId: 'i-0123456789abcdef0',
  commandId: '00000000-0000-0000-0000-000000000000',
  timeoutMs: 20_000,
  elapsedMs: 1234,
  tailBytes: 4096,
};
const base = fixtureJson<InvocationView>('ssm/DERIVED-get-command-invocation.in-progress.json');

test('the in-progress fixture is "keep waiting"; so are Pending, Delayed, Cancelling and statuses added later', () => {
  expect(readInvocation(base, ctx)).toEqual({ kind: 'waiting' });
  for (const [Status, StatusDetails] of [
    ['Pending', 'Pending'],
    ['Delayed', 'Delayed'],
    ['Cancelling', 'Cancelling'],
    ['SomethingNew', 'Something New'],
  ]) {
    expect(readInvocation({ ...base, Status, StatusDetails }, ctx)).toEqual({ kind: 'waiting' });
  }
});

test("failed fixture (cat /wrong/file, exit 1): exit code from ResponseCode, agent's trailer cut from stderr", () => {
  const state = readInvocation(fixtureJson('ssm/DERIVED-get-command-invocation.failed-exit1.json'), ctx);
  expect(state).toEqual({
    kind: 'done',
    outcome: {
      exitCode: 1,
      signal: null,
      stdout: '',
      stdoutTail: '',
      stderrTail: 'cat: /wrong/file: No such file or directory',
      truncated: false,
      timedOut: false,
      durationMs: 12,
    },
  });
  if (state.kind !== 'done') throw new Error('unreachable');
  expect(
    interpretOutcome(state.outcome, { action: 'x', node: 'ec2-1', timeoutMs: 20_000, become: false }).error,
  ).toMatchObject({
    code: 'PLUGIN_FAILED',
    message: 'x on ec2-1 exited 1 without a result: cat: /wrong/file: No such file or directory',
  });
});

test('the AWS CLI success example: exit 0 and its stdout', () => {
  const state = readInvocation(fixtureJson('ssm/awscli-example-get-command-invocation.success.output.json'), ctx);
  expect(state).toMatchObject({
    kind: 'done',
    outcome: { exitCode: 0, timedOut: false, truncated: false, durationMs: 91 },
  });
  if (state.kind === 'done') expect(state.outcome.stdout).toMatch(/^Updating amazon-ssm-agent/);
});

test.each([
  ['TimedOut', 'Delivery Timed Out', -1, 'SSM_DELIVERY_TIMEOUT'],
  ['TimedOut', '', -1, 'SSM_DELIVERY_TIMEOUT'],
  ['Failed', 'Undeliverable', -1, 'SSM_UNDELIVERABLE'],
])('%s / %j → %s', (Status, StatusDetails, ResponseCode, code) => {
  const state = readInvocation({ ...base, Status, StatusDetails, ResponseCode }, ctx);
  expect(state.kind).toBe('error');
  if (state.kind === 'error')
    expect(state.error).toMatchObject({
      code,
      stage: 'transport',
      details: { instance_id: ctx.instanceId, command_id: ctx.commandId },
    });
});

test('Execution Timed Out is a time-out; Cancelled and Terminated are cancelled runs', () => {
  const timedOut = readInvocation(
    { ...base, Status: 'TimedOut', StatusDetails: 'Execution Timed Out', ResponseCode: -1 },
    ctx,
  );
  expect(timedOut).toMatchObject({ kind: 'done', outcome: { timedOut: true, exitCode: null } });
  for (const [Status, StatusDetails, words] of [
    ['Cancelled', 'Cancelled', 'was cancelled (CancelCommand from outside this run)'],
    ['Failed', 'Terminated', 'exceeded its MaxErrors'],
  ] as const) {
    const state = readInvocation({ ...base, Status, StatusDetails }, ctx);
    if (state.kind !== 'done') throw new Error(`expected done for ${StatusDetails}`);
    expect(state.outcome.cancelled).toContain(words);
    const verdict = interpretOutcome(state.outcome, { action: 'x', node: 'ec2-1', timeoutMs: 20_000, become: false });
    expect(verdict).toMatchObject({ status: 'cancelled', error: { code: 'RUN_CANCELLED' } });
  }
});

test('exit 124 from the wrapper after the timeout is a time-out, as over SSH', () => {
  const state = readInvocation(
    { ...base, Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 124, ExecutionElapsedTime: 'PT20.5S' },
    ctx,
  );
  expect(state).toMatchObject({ kind: 'done', outcome: { exitCode: 124, timedOut: true, durationMs: 20_500 } });
});

test('24,000 chars of stdout or 8,000 of stderr are flagged truncated; the note names SSM, or S3 with a bucket', () => {
  const full = {
    ...base,
    Status: 'Success',
    StatusDetails: 'Success',
    ResponseCode: 0,
    StandardOutputContent: `{"status":"ok","summary":"${'a'.repeat(23_980)}`,
  };
  const state = readInvocation(full, ctx);
  if (state.kind !== 'done') throw new Error('expected done');
  expect(state.outcome).toMatchObject({
    truncated: true,
    truncationNote: expect.stringContaining('cut by SSM at 24,000 characters'),
  });
  expect(state.outcome.stdoutTail.length).toBe(4096);
  const verdict = interpretOutcome(state.outcome, { action: 'x', node: 'ec2-1', timeoutMs: 20_000, become: false });
  expect(verdict.error).toMatchObject({ code: 'PLUGIN_BAD_OUTPUT' });
  expect(verdict.error!.message).toContain('RUNE_SSM_OUTPUT_S3_BUCKET');
  const s3 = readInvocation(
    { ...full, StandardOutputUrl: 'https://s3.eu-west-1.amazonaws.com/b/k/stdout' },
    { ...ctx, outputBucket: 'b' },
  );
  expect(s3).toMatchObject({
    kind: 'done',
    outcome: {
      truncated: true,
      truncationNote: expect.stringContaining(
        'at https://s3.eu-west-1.amazonaws.com/b/k/stdout, which RUNE does not read',
      ),
    },
  });
  const shortOut = readInvocation(
    { ...full, StandardOutputContent: '{"status":"ok"}', StandardErrorContent: 'e'.repeat(8000) },
    ctx,
  );
  expect(shortOut).toMatchObject({ kind: 'done', outcome: { truncated: true } });
  expect(readInvocation({ ...full, StandardOutputContent: '{"status":"ok"}' }, ctx)).toMatchObject({
    kind: 'done',
    outcome: { truncated: false },
  });
});
