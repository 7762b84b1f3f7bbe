import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '../../../src/server/start-server';
import { LOCAL_NODES, startLocalServer, writeTestPlugins } from '../../helpers/local-server';

let dir: string;
let s: RunningServer | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rune-start-'));
});
afterEach(async () => {
  await s?.close(1000);
  s = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function capture() {
  const lines: string[] = [];
  const log = { info: () => undefined, error: () => undefined, warn: (_o: object, m: string) => void lines.push(m) };
  return { lines, log };
}

test('at start the service says which doors are shut and how to open them', async () => {
  const { lines, log } = capture();
  s = await startLocalServer({
    dir,
    name: 'closed',
    config: `${LOCAL_NODES}rules: []\n`,
    plugins: writeTestPlugins(dir),
    log,
  });
  expect(lines).toEqual([
    expect.stringMatching(
      /^the REST API, \/metrics and the dashboard refuse every request: no RUNE_API_TOKENS_FILE is set/,
    ),
    expect.stringMatching(/^the Alertmanager webhook refuses every request: set RUNE_WEBHOOK_TOKEN/),
    expect.stringMatching(/^the PagerDuty webhook refuses every delivery: set RUNE_PAGERDUTY_SECRETS/),
  ]);
});

test('with the webhook token set, only the still-closed doors are named', async () => {
  const { lines, log } = capture();
  const env = { RUNE_WEBHOOK_TOKEN: 'a-long-enough-token' };
  s = await startLocalServer({
    dir,
    name: 'open',
    config: `${LOCAL_NODES}rules: []\n`,
    plugins: writeTestPlugins(dir),
    log,
    env,
  });
  expect(lines.some((l) => l.includes('Alertmanager webhook'))).toBe(false);
  expect(lines.some((l) => l.includes('RUNE_API_TOKENS_FILE'))).toBe(true);
});
