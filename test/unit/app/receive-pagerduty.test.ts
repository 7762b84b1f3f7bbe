import { receivePagerDutyEvent } from '../../../src/app/receive-pagerduty';
import { isRuneError } from '../../../src/core/errors';
import { fixtureJson } from '../../helpers/fixtures';
import { startTestService, type TestService } from '../../helpers/test-service';

let svc: TestService;
afterEach(() => svc.stop());

const ping = () => fixtureJson('pagerduty/webhook-v3-pagey.ping.aldaviva-real-signed.json');
const triggered = () => fixtureJson('pagerduty/webhook-v3-incident.triggered.aldaviva-real-signed.json');

test('a ping is answered pong once; the same X-Webhook-Id again is a duplicate', () => {
  svc = startTestService();
  expect(receivePagerDutyEvent(svc.ctx, ping(), 'w-1', '127.0.0.1')).toEqual({ status: 'pong' });
  expect(receivePagerDutyEvent(svc.ctx, ping(), 'w-1', '127.0.0.1')).toEqual({
    status: 'duplicate',
    webhook_id: 'w-1',
  });
});

test('an incident without a PagerDuty REST token is accepted, audited, with a warning naming what is missing', () => {
  svc = startTestService();
  const out = receivePagerDutyEvent(svc.ctx, triggered(), 'w-2', '127.0.0.1');
  expect(out).toMatchObject({ status: 'accepted', warning: expect.stringMatching(/RUNE_PAGERDUTY_TOKEN/) });
  expect(svc.ctx.store.listAudit(1)[0]).toMatchObject({ actor: 'pagerduty', action: 'webhook' });
});

test('events RUNE does not act on are ignored by type; a body that is not an event is INVALID_PAYLOAD', () => {
  svc = startTestService();
  const acknowledged = fixtureJson('pagerduty/webhook-v3-incident.acknowledged.aldaviva-real-signed.json');
  expect(receivePagerDutyEvent(svc.ctx, acknowledged, 'w-3', 'x')).toEqual({
    status: 'ignored',
    event_type: 'incident.acknowledged',
  });
  let code = '';
  try {
    receivePagerDutyEvent(svc.ctx, { event: { id: 1 } }, 'w-4', 'x');
  } catch (err) {
    code = isRuneError(err) ? err.code : 'not a RuneError';
  }
  expect(code).toBe('INVALID_PAYLOAD');
});

test('while RUNE shuts down a delivery is refused with SHUTTING_DOWN (503: PagerDuty retries it)', async () => {
  svc = startTestService();
  await svc.drain(1000);
  expect(() => receivePagerDutyEvent(svc.ctx, ping(), 'w-5', 'x')).toThrow(/shutting down/);
});
