/**
 * The node-side wrapper (wrapper-script.ts) run for real through the local transport: how it tells a
 * timeout from a plugin's own exit, and how it reports what a plugin left running. SSH runs the same
 * text (test/scenarios/plugin-processes.test.ts covers both transports end to end).
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { interpretOutcome } from '../../../src/mediator/interpret-outcome';
import type { PluginMeta } from '../../../src/plugins/plugin-meta';
import { createLocalTransport } from '../../../src/transports/local-transport';
import type { ExecOutcome } from '../../../src/transports/transport';
import { leftoverReport, WRAPPER_TIMED_OUT_EXIT } from '../../../src/transports/wrapper-script';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';

const plugin: PluginMeta = {
  name: 'inline',
  version: '1.0.0',
  description: 'a plugin written by the test',
  mutating: false,
  timeoutMs: undefined,
  become: false,
  params: { type: 'object' },
  path: '/nonexistent',
  interpreter: 'bash',
};
const target = { node: 'localhost', transport: 'local' as const, address: '', port: 0, user: '', connectTimeoutMs: 0 };

let dir: string;
beforeAll(() => {
  dir = makeTempDir('wrapper');
});
afterAll(() => removeTempDir(dir));

/** Runs `body` (bash, after reading stdin) as a plugin with `timeoutMs`. */
function run(body: string, timeoutMs = 10_000): Promise<ExecOutcome> {
  const script = Buffer.from(`#!/usr/bin/env bash\ncat >/dev/null\n${body}\n`);
  return createLocalTransport().exec({ target, plugin, script, payload: '{}', timeoutMs });
}
const read = (o: ExecOutcome) =>
  interpretOutcome(o, { action: 'inline', node: 'localhost', timeoutMs: 10_000, become: false });

test('a plugin killed by KILL before its timeout is its own failure (137), not a timeout', async () => {
  const o = await run('kill -KILL $$', 5000);
  expect(o).toMatchObject({ exitCode: 137, timedOut: false });
  expect(read(o).error?.code).toBe('PLUGIN_FAILED');
});

test("a plugin's own exit 124 before its timeout stays its own", async () => {
  const o = await run('exit 124', 5000);
  expect(o).toMatchObject({ exitCode: WRAPPER_TIMED_OUT_EXIT, timedOut: false });
  expect(read(o).error?.code).toBe('PLUGIN_FAILED');
});

test("a run that leaves nothing says nothing: stderr is the plugin's own", async () => {
  const o = await run('echo working >&2; echo \'{"status":"ok"}\'');
  expect(o).toMatchObject({ exitCode: 0, stderrTail: 'working\n' });
  expect(o.outputHeldOpen).toBeUndefined();
});

test('many left running: the exact count, the first ten named', async () => {
  const o = await run('for i in $(seq 12); do sleep 60 & done; echo \'{"status":"ok"}\'');
  expect(o.exitCode).toBe(0);
  const report = leftoverReport(o.stderrTail);
  expect(report).toMatch(/^the plugin left 12 processes running after it exited; RUNE stopped them: /);
  expect(report!.split(': ')[1]!.split(', ')).toEqual([...Array(10).fill(expect.stringMatching(/^\d+ sleep$/)), '...']);
});

test("a leftover's own name is cut to a safe alphabet: it cannot forge a line or a field", async () => {
  const odd = join(dir, 'x y;\nz');
  copyFileSync('/bin/sleep', odd);
  const o = await run(`$'${odd.replace('\n', '\\n')}' 60 & echo '{"status":"ok"}'`);
  expect(leftoverReport(o.stderrTail)).toMatch(/RUNE stopped it: \d+ x_y__z$/);
});
