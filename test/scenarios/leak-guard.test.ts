/**
 * The leak guard (test/helpers/leak-guard-environment.ts) as a user of `npm test` meets it: jest
 * runs, in band as a single file run does (where an open handle would keep it waiting for ever),
 * one file that leaves a server, a fake service and a temp dir running and one that stops them.
 * The leaky file fails naming each resource and the test that started it; the clean one passes;
 * and jest exits by itself, well within the bound this test gives it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/test-server';

const BOUND_MS = 90_000;

interface JestFileResult {
  name: string;
  status: string;
  message: string;
}

function runJest(files: string[]): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  const env = { ...process.env };
  delete env.JEST_WORKER_ID; // this child is a jest run of its own, not a worker of ours
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
      '--runInBand',
      '--json',
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
    expect({ signal: run.signal, code: run.code }).toEqual({ signal: null, code: 1 }); // exited, and failed
    const report = JSON.parse(run.out.slice(run.out.indexOf('{"'))) as { testResults: JestFileResult[] };
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
    expect(leaky?.message).toMatch(new RegExp(`temp dir \\S+rune-leak-guard-\\w+ \\(${started}`));
    // The guard removed what the file left behind.
    const leakedDir = /LEAKED_DIR=(\S+)/.exec(run.out + run.err)?.[1];
    expect(leakedDir).toBeDefined();
    expect(existsSync(leakedDir as string)).toBe(false);
  },
  BOUND_MS + 10_000,
);
