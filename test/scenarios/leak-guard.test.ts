/**
 * The leak guard (test/helpers/leak-guard-environment.ts) as a user of `npm test` meets it: jest
 * runs, in band as a single file run does (where an open handle would keep it waiting for ever),
 * one file that leaves a server, a fake service and a temp dir running and one that stops them.
 * The leaky file fails naming each resource and the test that started it; the clean one passes;
 * and jest exits by itself, well within the bound this test gives it.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { ROOT } from '../helpers/test-server';

const BOUND_MS = 90_000;

interface JestFileResult {
  name: string;
  status: string;
  message: string;
}

let dir: string;
beforeAll(() => (dir = makeTempDir('leak-guard-run')));
afterAll(() => removeTempDir(dir));

/** The leaky file's temp dir is named rune-<this>-…: unique to this run. */
const LEAKED_NAME = `leak-guard-${process.pid}-${Date.now()}`;

function runJest(files: string[]): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LEAK_GUARD_DIR_NAME: LEAKED_NAME };
  delete env.JEST_WORKER_ID; // this child is a jest run of its own, not a worker of ours
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
      '--runInBand',
      '--json',
      `--outputFile=${join(dir, 'result.json')}`,
      '--testMatch',
      ...files.map((f) => `<rootDir>/test/fixtures/leak-guard/${f}`),
    ],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve) => {
    // The bound: a jest that waits on a leaked handle is killed here and the test fails on it.
    const timer = setTimeout(() => child.kill('SIGKILL'), BOUND_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
  });
}

test(
  'a file that leaves things running fails, naming them; they are stopped and jest exits; a clean file passes',
  async () => {
    const run = await runJest(['leaves-things-running.ts', 'stops-everything.ts']);
    // Exited by itself, and failed (its output shows why when this does not hold).
    expect({ signal: run.signal, code: run.code, output: run.code === 1 ? '' : run.err.slice(-3000) }).toEqual({
      signal: null,
      code: 1,
      output: '',
    });
    const report = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { testResults: JestFileResult[] };
    const byFile = Object.fromEntries(report.testResults.map((r) => [r.name.split('/').pop(), r]));
    expect(byFile['stops-everything.ts']?.status).toBe('passed');
    const leaky = byFile['leaves-things-running.ts'];
    expect(leaky?.status).toBe('failed');
    expect(leaky?.message).toContain('left running after the last test of the file');
    const started = 'started by leaves-things-running.ts: starts a server, a fake service and a temp dir';
    expect(leaky?.message).toMatch(
      new RegExp(`rune serve in-process http://127\\.0\\.0\\.1:\\d+ \\(leaky\\) \\(${started}`),
    );
    expect(leaky?.message).toMatch(new RegExp(`fake HTTP server http://127\\.0\\.0\\.1:\\d+ \\(${started}`));
    expect(leaky?.message).toMatch(new RegExp(`temp dir \\S+rune-${LEAKED_NAME}-\\w+ \\(${started}`));
    // The guard removed what the file left behind.
    expect(readdirSync(tmpdir()).filter((d) => d.startsWith(`rune-${LEAKED_NAME}-`))).toEqual([]);
  },
  BOUND_MS + 10_000,
);
