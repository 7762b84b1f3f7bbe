/**
 * Every Alertmanager configuration in README.md and docs/*.md is valid for Alertmanager:
 * `amtool check-config` accepts it. A snippet is found by its first line, a comment starting with
 * `# alertmanager.yml`; a yaml block that looks like Alertmanager configuration without that mark
 * fails, so none escapes the check. amtool comes from Debian's prometheus-alertmanager package
 * (scripts/install-test-deps.sh).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fencedBlocks, readDocPages } from './read-docs';

const MARK = /^# alertmanager\.yml\b/;
/** Keys only an Alertmanager configuration has (at any depth). */
const LOOKS_LIKE_ALERTMANAGER = /^\s*(receivers|webhook_configs|pagerduty_configs|inhibit_rules):/m;

interface Snippet {
  where: string;
  text: string;
}

const blocks = readDocPages().flatMap((page) =>
  fencedBlocks(page.text)
    .filter((b) => b.lang === 'yaml' || b.lang === 'yml')
    .map((b) => ({ where: `${page.path}:${b.line}`, text: b.text })),
);
const snippets: Snippet[] = blocks.filter((b) => MARK.test(b.text));

/** Runs amtool in a scratch folder holding `config` as alertmanager.yml. */
function amtool(
  config: string,
  args: string[] = ['check-config', 'alertmanager.yml'],
): Promise<{ code: number; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'rune-amtool-'));
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  return new Promise<{ code: number; out: string }>((resolve, reject) => {
    execFile('amtool', args, { cwd: dir, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error('amtool not found: apt-get install prometheus-alertmanager (scripts/install-test-deps.sh)'));
        return;
      }
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('the docs hold Alertmanager configurations, and every one is marked for this check', () => {
  // docs/deployment.md (the receiver for RUNE) and docs/protocols.md §1.5 (pagerduty_configs) at least.
  expect(snippets.map((s) => s.where.replace(/:\d+$/, ''))).toEqual(
    expect.arrayContaining(['docs/deployment.md', 'docs/protocols.md']),
  );
  const unmarked = blocks.filter((b) => !MARK.test(b.text) && LOOKS_LIKE_ALERTMANAGER.test(b.text));
  expect(unmarked.map((b) => b.where)).toEqual([]);
});

test.each(snippets.map((s) => [s.where, s] as const))('amtool check-config accepts the snippet at %s', async (_, s) => {
  const r = await amtool(s.text);
  if (r.code !== 0) throw new Error(`amtool check-config rejects ${s.where}:\n${r.out}\n---\n${s.text}`);
  expect(r.out).toMatch(/SUCCESS/);
});

test('docs/deployment.md: an alert for RUNE reaches RUNE and still pages, as the page says', async () => {
  const receiver = snippets.find((s) => s.where.startsWith('docs/deployment.md:'));
  if (!receiver) throw new Error('docs/deployment.md has no marked Alertmanager configuration');
  const routes = (labels: string[]) =>
    amtool(receiver.text, ['config', 'routes', 'test', '--config.file=alertmanager.yml', ...labels]);
  const forRune = await routes(['alertname=DockerDaemonDown', 'instance=10.0.1.23:9100']);
  expect(forRune.out.split('\n')[0]).toBe('rune,pagerduty');
  const other = await routes(['alertname=HostHighCpuLoad']);
  expect(other.out.split('\n')[0]).toBe('pagerduty');
});

test('amtool check-config rejects a route to an undefined receiver (the check is real)', async () => {
  const r = await amtool('route:\n  receiver: default\nreceivers:\n  - name: rune\n');
  expect(r.out).toMatch(/undefined receiver "default"/);
  expect(r.code).not.toBe(0);
});
