import { interpretOutcome, parsePluginOutput } from '../../../src/mediator/interpret-outcome';
import type { ExecOutcome } from '../../../src/transports/transport';

const ctx = { action: 'restart-docker', node: 'web-1', timeoutMs: 60_000, become: true };
const outcome = (o: Partial<ExecOutcome>): ExecOutcome => ({
  exitCode: 0,
  signal: null,
  stdout: '',
  stdoutTail: '',
  stderrTail: '',
  truncated: false,
  timedOut: false,
  durationMs: 10,
  ...o,
});

test('ok, skipped and error statuses map to succeeded, skipped and PLUGIN_FAILED', () => {
  expect(interpretOutcome(outcome({ stdout: '{"status":"ok","summary":"fine","data":{"n":1}}' }), ctx)).toEqual({
    status: 'succeeded',
    summary: 'fine',
    data: { n: 1 },
    error: null,
  });
  expect(interpretOutcome(outcome({ stdout: '{"status":"skipped","summary":"nothing to do"}' }), ctx).status).toBe(
    'skipped',
  );
  const failed = interpretOutcome(
    outcome({
      exitCode: 1,
      stdout:
        '{"status":"error","summary":"no","error":{"code":"SERVICE_NOT_HEALTHY","message":"docker did not answer"}}',
    }),
    ctx,
  );
  expect(failed).toMatchObject({
    status: 'failed',
    summary: 'no',
    error: {
      code: 'PLUGIN_FAILED',
      message: 'docker did not answer',
      details: { plugin_error: { code: 'SERVICE_NOT_HEALTHY' } },
    },
  });
});

test('"ok" with a non-zero exit is a failure, not a success', () => {
  expect(interpretOutcome(outcome({ exitCode: 3, stdout: '{"status":"ok","summary":"x"}' }), ctx).error).toMatchObject({
    code: 'PLUGIN_FAILED',
    message: 'restart-docker reported "ok" but exited 3',
  });
});

test.each([
  ['two objects', '{"status":"ok"}\n{"status":"ok"}'],
  ['an array', '[1]'],
  ['an unknown status', '{"status":"great"}'],
  ['data not an object', '{"status":"ok","data":[1]}'],
  ['nothing with exit 0', ''],
])('%s is PLUGIN_BAD_OUTPUT', (_l, stdout) => {
  expect(interpretOutcome(outcome({ stdout }), ctx).error?.code).toBe('PLUGIN_BAD_OUTPUT');
});

test('exit codes explained: timeout, 127, sudo refusal, wrapper failure, signal', () => {
  expect(interpretOutcome(outcome({ timedOut: true, exitCode: 124 }), ctx)).toMatchObject({
    status: 'timed_out',
    error: { code: 'RUN_TIMEOUT' },
  });
  expect(
    interpretOutcome(outcome({ exitCode: 127, stderrTail: "/usr/bin/env: 'python3': No such file or directory" }), ctx)
      .error,
  ).toMatchObject({ code: 'PLUGIN_NOT_RUNNABLE', message: expect.stringContaining("'python3'") });
  expect(
    interpretOutcome(outcome({ exitCode: 1, stderrTail: 'sudo: a password is required\n' }), ctx).error?.code,
  ).toBe('BECOME_FAILED');
  expect(
    interpretOutcome(outcome({ exitCode: 125, stderrTail: 'rune: mktemp failed on this node\n' }), ctx).error,
  ).toMatchObject({ code: 'REMOTE_SETUP_FAILED', message: 'web-1: rune: mktemp failed on this node' });
  expect(interpretOutcome(outcome({ exitCode: null, signal: 'KILL' }), ctx).error?.message).toContain(
    'killed by signal KILL',
  );
  expect(interpretOutcome(outcome({ exitCode: 2, stderrTail: 'boom\n' }), ctx).error).toMatchObject({
    code: 'PLUGIN_FAILED',
    message: 'restart-docker on web-1 exited 2 without a result: boom',
  });
});

test('surrounding whitespace is fine; summary defaults to empty', () => {
  expect(parsePluginOutput('\n {"status":"ok"} \n')).toEqual({
    ok: true,
    output: { status: 'ok', summary: '', data: {} },
  });
});

describe('what a run left on the node is a warning in the summary and data.rune_warnings, whatever the status', () => {
  const left = 'the plugin left 2 processes running after it exited; RUNE stopped them: 4242 sleep, 4250 python3';

  test("the wrapper's report (its last stderr line) on a success", () => {
    const o = outcome({
      stdout: '{"status":"ok","summary":"restarted","data":{"n":1}}',
      stderrTail: `progress\nrune: ${left}\n`,
    });
    expect(interpretOutcome(o, ctx)).toEqual({
      status: 'succeeded',
      summary: `restarted (warning: ${left})`,
      data: { n: 1, rune_warnings: [left] },
      error: null,
    });
  });

  test('on a timeout and a failure; a plugin line that only looks alike is not the report', () => {
    const timedOut = interpretOutcome(outcome({ timedOut: true, exitCode: 124, stderrTail: `rune: ${left}\n` }), ctx);
    expect(timedOut).toMatchObject({ status: 'timed_out', data: { rune_warnings: [left] } });
    expect(timedOut.summary).toBe(`restart-docker on web-1 ran past its 60s timeout and was killed (warning: ${left})`);
    expect(interpretOutcome(outcome({ exitCode: 2, stderrTail: `boom ${left}\n` }), ctx).data).toEqual({});
  });

  test('output held open past the drain by a process out of reach', () => {
    const r = interpretOutcome(outcome({ stdout: '{"status":"ok","summary":"done"}', outputHeldOpen: true }), ctx);
    expect(r.status).toBe('succeeded');
    expect(r.data.rune_warnings).toEqual([expect.stringMatching(/^the output stayed open after the plugin exited/)]);
    expect(r.summary).toMatch(/^done \(warning: the output stayed open after the plugin exited: .*\)$/);
  });

  test("nothing left: summary and data are the plugin's own", () => {
    expect(interpretOutcome(outcome({ stdout: '{"status":"ok","summary":"fine"}', stderrTail: 'x\n' }), ctx)).toEqual({
      status: 'succeeded',
      summary: 'fine',
      data: {},
      error: null,
    });
  });
});
