import { createHmac } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { verifyPagerDutySignature } from '../../../../src/sources/pagerduty/verify-pagerduty-signature';
import { FIXTURES, fixtureBytes, fixtureJson } from '../../../helpers/fixtures';

interface Vector {
  id: string;
  secret: string;
  body_file: string;
  header: string;
  expect_valid: boolean;
}
const VECTORS = fixtureJson<{ vectors: Vector[] }>('pagerduty/signature-test-vectors.json').vectors;
/** docs/protocols.md §2.3: the secret of the real Aldaviva deliveries. */
const ALDAVIVA = 'HvPtlQNKMPpHSSqJpCdndXfo7HnGXa1pnH6w5axpxLFn9aRBNBGh4e8/HlonK5mz';
const TRIGGERED = 'pagerduty/webhook-v3-incident.triggered.aldaviva-real-signed.json';
const TRIGGERED_SIG = 'v1=3e3032b45bbe1801c13f182b0e0a7f4f3f530225cef07e3e90cbc57874d01c49';
const NO_MATCH = { ok: false, status: 401, reason: 'signature does not match any configured secret' };

// go-pagerduty webhookv3/webhookv3_test.go (TestVerifySignature "valid"): a Go raw string, so these
// are its exact bytes.
const GO_SECRET = 'lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK';
const GO_BODY =
  '{"event":{"id":"01BWDWL3NYY7LUFPZCC28QUCMK","event_type":"incident.priority_updated","resource_type":"incident","occurred_at":"2021-04-26T17:36:27.458Z","agent":{"html_url":"https://acme.pagerduty.com/users/PLH1HKV","id":"PLH1HKV","self":"https://api.pagerduty.com/users/PLH1HKV","summary":"Tenex Engineer","type":"user_reference"},"client":null,"data":{"id":"PGR0VU2","type":"incident","self":"https://api.pagerduty.com/incidents/PGR0VU2","html_url":"https://acme.pagerduty.com/incidents/PGR0VU2","number":2,"status":"triggered","title":"A little bump in the road","service":{"html_url":"https://acme.pagerduty.com/services/PF9KMXH","id":"PF9KMXH","self":"https://api.pagerduty.com/services/PF9KMXH","summary":"API Service","type":"service_reference"},"assignees":[{"html_url":"https://acme.pagerduty.com/users/PTUXL6G","id":"PTUXL6G","self":"https://api.pagerduty.com/users/PTUXL6G","summary":"User 123","type":"user_reference"}],"escalation_policy":{"html_url":"https://acme.pagerduty.com/escalation_policies/PUS0KTE","id":"PUS0KTE","self":"https://api.pagerduty.com/escalation_policies/PUS0KTE","summary":"Default","type":"escalation_policy_reference"},"teams":[{"html_url":"https://acme.pagerduty.com/teams/PFCVPS0","id":"PFCVPS0","self":"https://api.pagerduty.com/teams/PFCVPS0","summary":"Engineering","type":"team_reference"}],"priority":{"html_url":"https://acme.pagerduty.com/account/incident_priorities","id":"PSO75BM","self":"https://api.pagerduty.com/priorities/PSO75BM","summary":"P1","type":"priority_reference"},"urgency":"high","conference_bridge":{"conference_number":1000,"conference_url":"https://example.com"},"resolve_reason":null}}}';

function sign(secret: string, body: Buffer): string {
  return `v1=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

describe('test vectors', () => {
  test.each(VECTORS.map((v) => [v.id, v] as const))('%s', (_id, v) => {
    const verdict = verifyPagerDutySignature(fixtureBytes(`pagerduty/${v.body_file}`), v.header, [v.secret]);
    expect(verdict).toEqual(v.expect_valid ? { ok: true } : NO_MATCH);
  });

  test('every real signed delivery in the fixtures has a valid vector, so none is left untested', () => {
    const signed = readdirSync(join(FIXTURES, 'pagerduty')).filter((f) => f.endsWith('-real-signed.json'));
    expect(signed.length).toBeGreaterThanOrEqual(5);
    const covered = new Set(VECTORS.filter((v) => v.expect_valid && v.secret === ALDAVIVA).map((v) => v.body_file));
    expect(signed.filter((f) => !covered.has(f))).toEqual([]);
  });

  test('the go-pagerduty vector verifies with its secret and not with another', () => {
    const body = Buffer.from(GO_BODY, 'utf8');
    const header = 'v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd';
    expect(verifyPagerDutySignature(body, header, [GO_SECRET])).toEqual({ ok: true });
    expect(verifyPagerDutySignature(body, header, [ALDAVIVA])).toEqual(NO_MATCH);
    // go-pagerduty's own "mismatch" case.
    expect(
      verifyPagerDutySignature(body, 'v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5', [
        GO_SECRET,
      ]),
    ).toEqual(NO_MATCH);
  });
});

describe('raw bytes', () => {
  test('one byte changed in a real delivery fails', () => {
    const tampered = Buffer.from(fixtureBytes(TRIGGERED));
    const at = tampered.indexOf('"status":"triggered"') + '"status":"'.length;
    tampered[at] = 'T'.charCodeAt(0);
    expect(verifyPagerDutySignature(fixtureBytes(TRIGGERED), TRIGGERED_SIG, [ALDAVIVA])).toEqual({ ok: true });
    expect(verifyPagerDutySignature(tampered, TRIGGERED_SIG, [ALDAVIVA])).toEqual(NO_MATCH);
  });

  test('the same JSON re-serialized (pretty-printed, or a trailing newline) fails: only the raw bytes count', () => {
    const pretty = Buffer.from(JSON.stringify(fixtureJson(TRIGGERED), null, 2));
    expect(verifyPagerDutySignature(pretty, TRIGGERED_SIG, [ALDAVIVA])).toEqual(NO_MATCH);
    const newline = Buffer.concat([fixtureBytes(TRIGGERED), Buffer.from('\n')]);
    expect(verifyPagerDutySignature(newline, TRIGGERED_SIG, [ALDAVIVA])).toEqual(NO_MATCH);
  });

  test('a UTF-8 body verifies over its UTF-8 bytes, not over another encoding of the same text', () => {
    const text = '{"event":{"data":{"title":"Disque plein sur nœud ✓ 🚒"}}}';
    const utf8 = Buffer.from(text, 'utf8');
    expect(verifyPagerDutySignature(utf8, sign('s3cret', utf8), ['s3cret'])).toEqual({ ok: true });
    expect(verifyPagerDutySignature(utf8, sign('s3cret', Buffer.from(text, 'latin1')), ['s3cret'])).toEqual(NO_MATCH);
  });

  test('a secret with non-ASCII characters is used as UTF-8', () => {
    const body = fixtureBytes(TRIGGERED);
    const header = `v1=${createHmac('sha256', Buffer.from('clé', 'utf8')).update(body).digest('hex')}`;
    expect(verifyPagerDutySignature(body, header, ['clé'])).toEqual({ ok: true });
  });
});

describe('rotation: several secrets, several v1 entries', () => {
  test('two secrets where only the second is right verifies', () => {
    expect(
      verifyPagerDutySignature(fixtureBytes(TRIGGERED), TRIGGERED_SIG, ['old-secret-no-longer-used', ALDAVIVA]),
    ).toEqual({ ok: true });
  });

  test('several v1 entries, the right one first or last, with or without spaces', () => {
    const body = fixtureBytes(TRIGGERED);
    const other = sign('another-secret', body);
    expect(verifyPagerDutySignature(body, `${other},${TRIGGERED_SIG}`, [ALDAVIVA])).toEqual({ ok: true });
    expect(verifyPagerDutySignature(body, `${TRIGGERED_SIG}, ${other}`, [ALDAVIVA])).toEqual({ ok: true });
    expect(verifyPagerDutySignature(body, ` ${other} ,  ${TRIGGERED_SIG} ,`, [ALDAVIVA])).toEqual({ ok: true });
    expect(verifyPagerDutySignature(body, `${other},${other}`, [ALDAVIVA])).toEqual(NO_MATCH);
  });

  test('uppercase hex of the right signature verifies (compared as bytes, like go-pagerduty)', () => {
    expect(
      verifyPagerDutySignature(fixtureBytes(TRIGGERED), `v1=${TRIGGERED_SIG.slice(3).toUpperCase()}`, [ALDAVIVA]),
    ).toEqual({ ok: true });
  });
});

describe('hostile and malformed headers', () => {
  const body = fixtureBytes(TRIGGERED);
  const hex = TRIGGERED_SIG.slice(3);

  test.each([
    ['an unknown scheme carrying the right hex', `v2=${hex}`],
    ['a V1 prefix in upper case', `V1=${hex}`],
    ['the hex with no prefix', hex],
    ['an empty v1 entry', 'v1='],
    ['one hex digit short (odd length)', `v1=${hex.slice(0, 63)}`],
    ['one hex digit too many', `v1=${hex}0`],
    ['the right hex followed by garbage', `v1=${hex.slice(0, 62)}zz`],
    ['half the signature (a valid prefix)', `v1=${hex.slice(0, 32)}`],
    ['commas only', ',,,'],
    ['10,000 wrong entries', Array.from({ length: 10_000 }, () => `v1=${'0'.repeat(64)}`).join(',')],
  ])('%s does not match and does not throw', (_name, header) => {
    expect(verifyPagerDutySignature(body, header, [ALDAVIVA])).toEqual(NO_MATCH);
  });

  test.each([
    ['absent', undefined],
    ['empty', ''],
    ['blank', '   '],
  ])('a missing header (%s) is 401 "missing X-PagerDuty-Signature"', (_name, header) => {
    expect(verifyPagerDutySignature(body, header, [ALDAVIVA])).toEqual({
      ok: false,
      status: 401,
      reason: 'missing X-PagerDuty-Signature',
    });
  });

  test('no secrets configured refuses everything, even a correctly signed delivery', () => {
    const expected = {
      ok: false,
      status: 401,
      reason: 'no PagerDuty webhook secrets configured (RUNE_PAGERDUTY_SECRETS)',
    };
    expect(verifyPagerDutySignature(body, TRIGGERED_SIG, [])).toEqual(expected);
    expect(verifyPagerDutySignature(body, TRIGGERED_SIG, ['', '  '])).toEqual(expected);
  });

  test('a body signed with the empty key is refused even when an empty secret slipped into the list', () => {
    expect(verifyPagerDutySignature(body, sign('', body), ['', ALDAVIVA])).toEqual(NO_MATCH);
  });

  test('an empty body is 400', () => {
    expect(verifyPagerDutySignature(Buffer.alloc(0), sign(ALDAVIVA, Buffer.alloc(0)), [ALDAVIVA])).toEqual({
      ok: false,
      status: 400,
      reason: 'empty body',
    });
  });
});
