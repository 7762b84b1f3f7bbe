/**
 * The dashboard in a real browser (issue #6): Debian's Chromium driven by playwright-core, against
 * a real RUNE (startServer) whose node is a real OpenSSH sshd on loopback. Sign in through the
 * form, open a finished job, press Re-run, confirm, and watch the new job succeed; a viewer sees
 * no Re-run button. A screenshot of the job page lands in test-output/screenshots/ for a human
 * (RUNE_UPDATE_SCREENSHOTS=1 also refreshes docs/img/dashboard-job.png).
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Actor } from '../../src/auth/actor';
import type { RunningServer } from '../../src/server/start-server';
import type { Job } from '../../src/core/job';
import { alertmanagerPayload } from '../helpers/alertmanager-payload';
import { tokenLine } from '../helpers/api-tokens';
import { track } from '../helpers/live-resources';
import { startSshd, type TestSshd } from '../helpers/sshd';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { ROOT, startTestServer } from '../helpers/test-server';
import { waitFor } from '../helpers/wait-for';

const CHROMIUM = '/usr/bin/chromium'; // scripts/install-test-deps.sh installs it
const SHOTS = join(ROOT, 'test-output', 'screenshots');
const AM_TOKEN = 'am-token-browser';
const ACTORS: Record<string, Actor> = {
  'operator-token-browser': { name: 'otto', role: 'operator', actions: ['disk-usage'], nodes: ['web-*'] },
  'viewer-token-browser': { name: 'vera', role: 'viewer', actions: null, nodes: null },
};
const STEP_MS = 20_000; // bound of every browser wait

let sshd: TestSshd;
let dir: string;
let s: RunningServer;
let browser: Browser;
let untrackBrowser: () => void = () => undefined;
let finished: Job;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (scripts/install-test-deps.sh)`);
  sshd = await startSshd();
  dir = makeTempDir('browser');
  const config = `defaults: {connect_timeout: 5s}
nodes:
  - {name: web-1, address: 127.0.0.1, port: ${sshd.port}}
rules:
  - name: disk-almost-full
    description: Measure the disk when it fills up
    matchers: ['alertname="NodeFilesystemAlmostOutOfSpace"']
    node: "{{ labels.instance | hostname }}"
    steps:
      - action: disk-usage
        params: {paths: ["{{ labels.mountpoint }}"]}
`;
  const env = {
    RUNE_SSH_KEY: sshd.userKey,
    RUNE_SSH_KNOWN_HOSTS: sshd.knownHosts,
    RUNE_SSH_USER: sshd.user,
    RUNE_WEBHOOK_TOKEN: AM_TOKEN,
    RUNE_API_TOKENS_FILE: join(dir, 'tokens'),
  };
  writeFileSync(
    join(dir, 'tokens'),
    Object.entries(ACTORS)
      .map(([token, a]) =>
        tokenLine(a.name, a.role, token, {
          ...(a.actions ? { actions: a.actions } : {}),
          ...(a.nodes ? { nodes: a.nodes } : {}),
        }),
      )
      .join(''),
  );
  s = await startTestServer({ dir, name: 'rules', config, env });
  const body = alertmanagerPayload('{}:{alertname="NodeFilesystemAlmostOutOfSpace"}', [
    {
      labels: {
        alertname: 'NodeFilesystemAlmostOutOfSpace',
        instance: 'web-1:9100',
        mountpoint: '/',
        severity: 'page',
      },
      annotations: { summary: 'Filesystem has less than 5% space left.' },
      fingerprint: '8938c54a9647462a',
    },
  ]);
  const res = await fetch(`${s.url}/webhooks/alertmanager`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${AM_TOKEN}` },
    body,
  });
  const [id] = ((await res.json()) as { jobs: string[] }).jobs as [string];
  finished = await waitFor(
    () => {
      const j = s.store.getJob(id);
      return j?.finishedAt ? j : null;
    },
    'the alert job to finish over ssh',
    30_000,
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    timeout: 60_000,
  });
  untrackBrowser = track('chromium', () => browser.close());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  untrackBrowser();
  await s?.close(5000);
  await sshd?.stop();
  removeTempDir(dir);
});

/** A fresh browser context (own cookies): open `path`, get sent to the sign-in form, sign in. */
async function signedInPage(token: string, path: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(STEP_MS);
  const page = await context.newPage();
  await page.goto(`${s.url}${path}`);
  expect(new URL(page.url()).pathname).toBe('/login');
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(`${s.url}${path}`), page.click('button[type=submit]')]);
  return page;
}

test('an operator signs in, opens the finished job, presses Re-run, confirms, sees the new job succeed', async () => {
  expect(finished.status).toBe('succeeded');
  const page = await signedInPage('operator-token-browser', `/jobs/${finished.id}`);
  await expect(page.locator('h1 .status').textContent()).resolves.toBe('succeeded');
  await expect(page.locator('header form.who').textContent()).resolves.toContain('otto');
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, 'job-page.png'), fullPage: true });
  if (process.env.RUNE_UPDATE_SCREENSHOTS === '1')
    copyFileSync(join(SHOTS, 'job-page.png'), join(ROOT, 'docs', 'img', 'dashboard-job.png'));

  await Promise.all([page.waitForURL(`${s.url}/jobs/${finished.id}/rerun`), page.click('text=Re-run…')]);
  await expect(page.locator('h1').textContent()).resolves.toBe('Re-run disk-usage on web-1?');
  await expect(page.inputValue('#p-paths')).resolves.toBe('[\n  "/"\n]');
  await page.fill('#p-warn_percent', '99');
  await Promise.all([page.waitForURL(/\/jobs\/(?!.*rerun)[^/]+$/), page.click('text=Re-run now')]);
  const newId = new URL(page.url()).pathname.split('/').pop() as string;
  expect(newId).not.toBe(finished.id);
  await expect(page.locator('.flash').textContent()).resolves.toContain(`started as job ${newId}`);
  // The page refreshes itself (meta refresh) until the job is done.
  await page.waitForSelector('h1 .status-succeeded', { timeout: 30_000 });
  await page.screenshot({ path: join(SHOTS, 'rerun-succeeded.png'), fullPage: true });
  const job = s.store.getJob(newId) as Job;
  expect(job).toMatchObject({
    status: 'succeeded',
    request: { action: 'disk-usage', node: 'web-1', params: { paths: ['/'], warn_percent: 99 } },
    trigger: { actor: 'otto' },
  });
  expect(job.result?.transport).toBe('ssh');
}, 90_000);

test('a viewer sees the job but no Re-run button', async () => {
  const page = await signedInPage('viewer-token-browser', `/jobs/${finished.id}`);
  await expect(page.locator('h1 .status').textContent()).resolves.toBe('succeeded');
  await expect(page.locator('a', { hasText: 'Re-run' }).count()).resolves.toBe(0);
  await page.goto(`${s.url}/jobs/${finished.id}/rerun`);
  await expect(page.locator('h1').textContent()).resolves.toBe('Not allowed');
}, 60_000);

test('an operator starts a run from the form: action, node, a param; the new job runs over SSH', async () => {
  const page = await signedInPage('operator-token-browser', '/');
  await Promise.all([page.waitForURL(`${s.url}/run`), page.click('nav >> text=Start a run')]);
  await page.selectOption('#action', 'disk-usage');
  await page.fill('#node', 'web-1');
  await Promise.all([page.waitForURL(/\/run\?action=disk-usage&node=web-1$/), page.click('text=Show its params')]);
  await expect(page.locator('form.rerun h2').textContent()).resolves.toBe('disk-usage on web-1');
  await page.fill('#p-paths', '["/"]');
  await page.fill('#p-warn_percent', 'lots');
  await page.click('text=Start the run'); // refused: not a number; the field says so, nothing starts
  await expect(page.locator('.error[role=alert]').first().textContent()).resolves.toContain('not valid');
  await page.fill('#p-warn_percent', '97');
  await Promise.all([page.waitForURL(/\/jobs\/[^/]+$/), page.click('text=Start the run')]);
  const id = new URL(page.url()).pathname.split('/').pop() as string;
  await page.waitForSelector('h1 .status-succeeded', { timeout: 30_000 });
  expect(s.store.getJob(id)).toMatchObject({
    request: { action: 'disk-usage', node: 'web-1', params: { paths: ['/'], warn_percent: 97 } },
    trigger: { actor: 'otto' },
  });
}, 90_000);
