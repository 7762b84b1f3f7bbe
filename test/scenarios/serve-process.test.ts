/**
 * `rune serve` as a real process, the way the README starts it: the shipped rules.yaml and plugins,
 * the example alert from examples/, a job that runs on localhost; SIGHUP with a broken file keeps
 * the old rules; SIGTERM ends it with exit 0. The CLI is compiled to a scratch folder first, so
 * this test does not depend on an earlier `npm run build`.
 */
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../helpers/sshd';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { compileRune, ROOT, startServeProcess } from '../helpers/test-server';

let scratch: string;

beforeAll(() => {
  scratch = makeTempDir('serve-process');
  compileRune(join(scratch, 'dist'));
}, 120_000);
afterAll(() => removeTempDir(scratch));

test('README: serve shipped rules, feed the example alert, see the job run on localhost; SIGHUP, SIGTERM', async () => {
  const port = await freePort();
  const config = join(scratch, 'rules.yaml');
  copyFileSync(join(ROOT, 'rules.yaml'), config);
  // The shipped launcher, beside the scratch dist/ as bin/ is beside dist/ in the package.
  mkdirSync(join(scratch, 'bin'), { recursive: true });
  copyFileSync(join(ROOT, 'bin', 'rune'), join(scratch, 'bin', 'rune'));
  chmodSync(join(scratch, 'bin', 'rune'), 0o755);
  const rune = await startServeProcess({
    command: join(scratch, 'bin', 'rune'),
    args: ['serve', '--listen', `127.0.0.1:${port}`],
    port,
    cwd: ROOT,
    // NODE_PATH: the scratch dist/ resolves its dependencies from this checkout's node_modules.
    env: {
      PATH: process.env.PATH,
      NODE_PATH: join(ROOT, 'node_modules'),
      HOME: scratch,
      RUNE_WEBHOOK_TOKEN: 'demo-token',
      RUNE_CONFIG: config,
      RUNE_PLUGINS_DIR: join(ROOT, 'plugins'),
      RUNE_DB: join(scratch, 'data', 'rune.db'),
    },
  });
  const { proc } = rune;
  try {
    // bin/rune starts node with the flag that keeps peak memory down under storms (docs/benchmarks.md).
    expect(readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=2');
    const post = () =>
      fetch(`http://127.0.0.1:${port}/webhooks/alertmanager`, {
        method: 'POST',
        headers: { Authorization: 'Bearer demo-token', 'Content-Type': 'application/json' },
        body: readFileSync(join(ROOT, 'examples', 'alertmanager-disk-full-localhost.json')),
      });
    const res = await post();
    expect(res.status).toBe(202);
    const { jobs } = (await res.json()) as { jobs: string[] };
    expect(jobs).toHaveLength(1);
    const line = await rune.waitForOutput(
      new RegExp(`\\{[^\\n]*"job_id":"${jobs[0]}"[^\\n]*\\}`),
      'the log line of the job',
    );
    expect(JSON.parse(line[0])).toMatchObject({
      level: 30,
      rule: 'filesystem-almost-full',
      action: 'disk-usage',
      node: 'localhost',
      status: 'succeeded',
      msg: expect.stringMatching(/^job succeeded: (WARNING: .*)?fullest: \/ at /),
    });

    writeFileSync(config, 'rules: [oops\n');
    proc.kill('SIGHUP');
    await rune.waitForOutput(/reload refused/, 'the reload to be refused');
    expect(rune.output()).toMatch(/rules\.yaml:\d+/);
    const again = await post(); // the same episode again: still served by the old rules, and deduplicated
    expect(again.status).toBe(202);
    expect(((await again.json()) as { duplicates: string[] }).duplicates).toEqual(jobs);

    proc.kill('SIGTERM');
    expect(await rune.exited).toEqual({ code: 0, signal: null });
  } finally {
    await rune.stop();
  }
}, 60_000);
