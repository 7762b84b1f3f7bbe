/**
 * examples/prometheus-rules.yaml is valid for Prometheus (`promtool check rules`) and its alerts
 * fire when they should (`promtool test rules` with examples/prometheus-rules.test.yaml).
 * promtool comes from Debian's prometheus package (scripts/install-test-deps.sh). That the metric
 * names exist in RUNE's /metrics is checked in test/scenarios/observability.test.ts.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const EXAMPLES = join(__dirname, '..', '..', 'examples');

function promtool(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { cwd: EXAMPLES, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error('promtool not found: apt-get install prometheus (scripts/install-test-deps.sh)'));
        return;
      }
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

test('promtool check rules accepts examples/prometheus-rules.yaml', async () => {
  const r = await promtool(['check', 'rules', 'prometheus-rules.yaml']);
  expect(r.out).toMatch(/SUCCESS: 7 rules found/);
  expect(r.code).toBe(0);
});

test('promtool test rules: each alert fires when it should and stays quiet when it should not', async () => {
  const r = await promtool(['test', 'rules', 'prometheus-rules.test.yaml']);
  if (r.code !== 0) throw new Error(`promtool test rules failed:\n${r.out}`);
  expect(r.out).toMatch(/SUCCESS/);
});

test('promtool check rules rejects a broken rule (the check is real)', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'rune-promtool-'));
  try {
    writeFileSync(
      join(dir, 'bad.yaml'),
      'groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum(rate(rune_jobs_total[5m]) > \n',
    );
    const r = await promtool(['check', 'rules', join(dir, 'bad.yaml')]);
    expect(r.code).not.toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
