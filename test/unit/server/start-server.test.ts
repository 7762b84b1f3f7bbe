import type { RunningServer } from '../../../src/server/start-server';
import { recordingLog } from '../../helpers/quiet-log';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';
import { LOCAL_NODES, startTestServer, writeTestPlugins } from '../../helpers/test-server';

let dir: string;
let s: RunningServer | undefined;
beforeEach(() => {
  dir = makeTempDir('start');
});
afterEach(async () => {
  await s?.close(1000);
  s = undefined;
  removeTempDir(dir);
});

test('at start the service says which doors are shut and how to open them', async () => {
  const log = recordingLog();
  s = await startTestServer({
    dir,
    name: 'closed',
    config: `${LOCAL_NODES}rules: []\n`,
    plugins: writeTestPlugins(dir),
    log,
  });
  expect(log.messages('warn')).toEqual([
    expect.stringMatching(
      /^the REST API, \/metrics and the dashboard refuse every request: no RUNE_API_TOKENS_FILE is set/,
    ),
    expect.stringMatching(/^the Alertmanager webhook refuses every request: set RUNE_WEBHOOK_TOKEN/),
    expect.stringMatching(/^the PagerDuty webhook refuses every delivery: set RUNE_PAGERDUTY_SECRETS/),
  ]);
});

test('with the webhook token set, only the still-closed doors are named', async () => {
  const log = recordingLog();
  const env = { RUNE_WEBHOOK_TOKEN: 'a-long-enough-token' };
  s = await startTestServer({
    dir,
    name: 'open',
    config: `${LOCAL_NODES}rules: []\n`,
    plugins: writeTestPlugins(dir),
    log,
    env,
  });
  expect(log.messages('warn').some((l) => l.includes('Alertmanager webhook'))).toBe(false);
  expect(log.messages('warn').some((l) => l.includes('RUNE_API_TOKENS_FILE'))).toBe(true);
});
