import { alertmanagerFingerprint } from '../../../../src/sources/alertmanager/alertmanager-fingerprint';
import {
  parseAlertmanagerPayload,
  type ParseAlertmanagerResult,
} from '../../../../src/sources/alertmanager/parse-alertmanager-payload';
import { fixtureJson } from '../../../helpers/fixtures';

const FIRING = 'alertmanager/captured-am0.25-webhook-firing-1alert.json';
const RESOLVED = 'alertmanager/captured-am0.25-webhook-resolved-1alert.json';
const TWO_INSTANCES = 'alertmanager/captured-am0.25-webhook-firing-2instances.json';
const AM034 = 'alertmanager/DERIVED-am0.34-webhook-firing-1alert.json';
const PRE_V4 = 'alertmanager/public-imgix-prometheus-am-executor-alert_payload.json';

function ok(result: ParseAlertmanagerResult) {
  if (!result.ok) throw new Error(`expected ok, got problems: ${result.problems.join(' | ')}`);
  return result;
}
function problems(result: ParseAlertmanagerResult): string[] {
  if (result.ok) throw new Error('expected problems, got ok');
  return result.problems;
}
/** A valid v4 payload to break one piece at a time. */
function valid(): any {
  return fixtureJson(TWO_INSTANCES);
}

describe('real Alertmanager payloads', () => {
  test('0.25 firing, one alert: every field normalized, endsAt zero time becomes null', () => {
    const { value, warnings } = ok(parseAlertmanagerPayload(fixtureJson(FIRING)));
    expect(warnings).toEqual([]);
    const groupKey = '{}/{}:{alertname="NodeFilesystemAlmostOutOfSpace", instance="10.0.1.23:9100"}';
    expect(value).toMatchObject({
      version: '4',
      groupKey,
      receiver: 'remediation-webhook',
      status: 'firing',
      externalURL: 'http://alertmanager.example.internal:9093',
      truncatedAlerts: 0,
      notificationReason: null,
      routeLabels: {},
    });
    expect(value.groupLabels).toEqual({ alertname: 'NodeFilesystemAlmostOutOfSpace', instance: '10.0.1.23:9100' });
    expect(value.alerts).toEqual([
      {
        source: 'alertmanager',
        status: 'firing',
        labels: {
          alertname: 'NodeFilesystemAlmostOutOfSpace',
          device: '/dev/nvme0n1p1',
          fstype: 'xfs',
          instance: '10.0.1.23:9100',
          instance_id: 'i-0123456789abcdef0',
          job: 'node',
          mountpoint: '/',
          nodename: 'ip-10-0-1-23',
          severity: 'critical',
        },
        annotations: {
          description: 'Filesystem on /dev/nvme0n1p1 at 10.0.1.23:9100 has only 3.12% available space left.',
          runbook_url: 'https://runbooks.prometheus-operator.dev/runbooks/node/nodefilesystemalmostoutofspace',
          summary: 'Filesystem has less than 5% space left.',
        },
        startsAt: '2026-11-23T23:11:16.374427234Z',
        endsAt: null,
        // Go escapes & as \u0026 on the wire; the parsed URL has a plain &.
        generatorURL:
          'http://prometheus.example.internal:9090/graph?g0.expr=node_filesystem_avail_bytes%7Bfstype%21%3D%22%22%2Cjob%3D%22node%22%7D+%2F+node_filesystem_size_bytes+%2A+100+%3C+5&g0.tab=1',
        fingerprint: '8938c54a9647462a',
        groupKey,
      },
    ]);
  });

  test('0.25 resolved: the alert is resolved and keeps its real endsAt', () => {
    const { value } = ok(parseAlertmanagerPayload(fixtureJson(RESOLVED)));
    expect(value.status).toBe('resolved');
    expect(value.alerts[0]).toMatchObject({
      status: 'resolved',
      endsAt: '2026-11-23T23:11:25Z',
      fingerprint: '8938c54a9647462a',
    });
  });

  test('two hosts in one group: each alert has its own instance although commonLabels has none', () => {
    const { value } = ok(parseAlertmanagerPayload(fixtureJson(TWO_INSTANCES)));
    expect(value.commonLabels.instance).toBeUndefined();
    expect(value.commonAnnotations).toEqual({});
    expect(value.alerts.map((a) => [a.labels.instance, a.fingerprint])).toEqual([
      ['10.0.1.23:9100', '3157b38c6cdeaa92'],
      ['10.0.2.57:9100', '703113cdea14cad6'],
    ]);
    expect(value.alerts[0]?.annotations.description).toBe('CPU load is > 80%\n  VALUE = 93.4');
  });

  test('0.34 fields (notification_reason, routeLabels) are read', () => {
    const { value, warnings } = ok(parseAlertmanagerPayload(fixtureJson(AM034)));
    expect(warnings).toEqual([]);
    expect(value.notificationReason).toBe('first notification');
    expect(value.routeLabels).toEqual({});
    expect(value.alerts).toHaveLength(1);
  });

  test('a firing notification carrying a resolved alert: each alert keeps its own status', () => {
    const body = valid();
    body.alerts[1].status = 'resolved';
    body.alerts[1].endsAt = '2026-11-23T23:20:00Z';
    const { value } = ok(parseAlertmanagerPayload(body));
    expect(value.status).toBe('firing');
    expect(value.alerts.map((a) => [a.status, a.endsAt])).toEqual([
      ['firing', null],
      ['resolved', '2026-11-23T23:20:00Z'],
    ]);
  });

  test('pre-v4 payload (no version, groupKey; empty fingerprints): accepted, warnings, computed fingerprints', () => {
    const { value, warnings } = ok(parseAlertmanagerPayload(fixtureJson(PRE_V4)));
    expect(value.version).toBeNull();
    expect(value.groupKey).toBeNull();
    expect(value.alerts).toHaveLength(2);
    const [first, second] = value.alerts;
    expect(first?.fingerprint).toBe(alertmanagerFingerprint(first!.labels));
    expect(first?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(first?.fingerprint).not.toBe(second?.fingerprint);
    expect(first).not.toHaveProperty('groupKey');
    expect(first?.startsAt).toBe('2016-04-07T10:08:52-06:00');
    expect(warnings).toEqual([
      expect.stringMatching(/no "version" field/),
      expect.stringMatching(/no "groupKey" field/),
      `alerts[0].fingerprint: empty, computed ${first?.fingerprint} from the labels as Alertmanager does`,
      `alerts[1].fingerprint: empty, computed ${second?.fingerprint} from the labels as Alertmanager does`,
    ]);
  });

  test('the same payload parsed twice gives the same computed fingerprints', () => {
    const a = ok(parseAlertmanagerPayload(fixtureJson(PRE_V4))).value.alerts.map((x) => x.fingerprint);
    const b = ok(parseAlertmanagerPayload(fixtureJson(PRE_V4))).value.alerts.map((x) => x.fingerprint);
    expect(a).toEqual(b);
  });
});

describe('lenient about what is optional or unknown', () => {
  test('truncatedAlerts > 0 gives a warning naming the count and the receiver', () => {
    const body = valid();
    body.truncatedAlerts = 3;
    const { value, warnings } = ok(parseAlertmanagerPayload(body));
    expect(value.truncatedAlerts).toBe(3);
    expect(warnings).toEqual([expect.stringMatching(/dropped 3 alert\(s\).*max_alerts.*"remediation-webhook"/)]);
  });

  test('unknown fields are ignored; missing annotations, generatorURL, endsAt, fingerprint are filled in', () => {
    const body = valid();
    body.someFutureField = { nested: true };
    body.alerts[0].someFutureAlertField = 42;
    delete body.alerts[0].annotations;
    delete body.alerts[0].generatorURL;
    delete body.alerts[0].endsAt;
    delete body.alerts[0].fingerprint;
    delete body.commonAnnotations;
    const { value, warnings } = ok(parseAlertmanagerPayload(body));
    const alert = value.alerts[0]!;
    expect(alert.annotations).toEqual({});
    expect(alert).not.toHaveProperty('generatorURL');
    expect(alert).not.toHaveProperty('someFutureAlertField');
    expect(alert.endsAt).toBeNull();
    expect(alert.fingerprint).toBe('3157b38c6cdeaa92'); // what Alertmanager itself sent for these labels
    expect(value.commonAnnotations).toEqual({});
    expect(warnings).toHaveLength(1);
  });

  test('a label named __proto__ stays an ordinary label and pollutes nothing', () => {
    const body = JSON.parse(
      '{"version":"4","status":"firing","alerts":[{"status":"firing",' +
        '"labels":{"__proto__":"x","instance":"a"},"startsAt":"2026-01-01T00:00:00Z"}]}',
    );
    const { value } = ok(parseAlertmanagerPayload(body));
    const labels = value.alerts[0]!.labels;
    expect(Object.keys(labels)).toEqual(['__proto__', 'instance']);
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  test('annotations may be longer than a label value (free text), up to 64 KiB', () => {
    const body = valid();
    body.alerts[0].annotations.description = 'd'.repeat(20000);
    expect(parseAlertmanagerPayload(body).ok).toBe(true);
    body.alerts[0].annotations.description = 'd'.repeat(65537);
    expect(problems(parseAlertmanagerPayload(body))).toEqual([
      'alerts[0].annotations.description: longer than 65536 characters',
    ]);
  });
});

describe('hostile and broken bodies', () => {
  test.each([
    ['null', null, 'null'],
    ['a JSON array', [fixtureJson(FIRING)], 'an array'],
    ['a string', 'firing', '"firing"'],
    ['a number', 4, 'number 4'],
  ])('non-object body (%s) is refused at the root', (_name, body, shown) => {
    expect(problems(parseAlertmanagerPayload(body))).toEqual([`(root): must be a JSON object, got ${shown}`]);
  });

  test('version other than "4" (string "3", number 4) is refused', () => {
    const body = valid();
    body.version = '3';
    expect(problems(parseAlertmanagerPayload(body))).toEqual(['version: must be "4", got "3"']);
    body.version = 4;
    expect(problems(parseAlertmanagerPayload(body))).toEqual(['version: must be "4", got number 4']);
  });

  test('status "weird", at the top and on an alert, is reported with its path', () => {
    const body = valid();
    body.status = 'weird';
    body.alerts[1].status = 'weird';
    expect(problems(parseAlertmanagerPayload(body))).toEqual([
      'status: must be "firing" or "resolved", got "weird"',
      'alerts[1].status: must be "firing" or "resolved", got "weird"',
    ]);
  });

  test('labels as numbers: every bad label is named by its JSON path', () => {
    const body = valid();
    body.alerts[1].labels.instance = 9100;
    body.alerts[1].labels.up = true;
    body.alerts[0].annotations.summary = null;
    expect(problems(parseAlertmanagerPayload(body))).toEqual([
      'alerts[0].annotations.summary: must be a string, got null',
      'alerts[1].labels.instance: must be a string, got number 9100',
      'alerts[1].labels.up: must be a string, got boolean true',
    ]);
  });

  test('labels as an array, labels missing, alert not an object', () => {
    const body = valid();
    body.alerts[0].labels = ['instance', 'a'];
    delete body.alerts[1].labels;
    body.alerts.push('alert');
    expect(problems(parseAlertmanagerPayload(body))).toEqual([
      'alerts[0].labels: must be an object of strings, got an array',
      'alerts[1].labels: is required',
      'alerts[2]: must be an object, got "alert"',
    ]);
  });

  test('alerts as an object or missing is refused', () => {
    const body = valid();
    body.alerts = { 0: body.alerts[0] };
    expect(problems(parseAlertmanagerPayload(body))).toEqual(['alerts: must be an array, got an object']);
    delete body.alerts;
    expect(problems(parseAlertmanagerPayload(body))).toEqual(['alerts: must be an array, got nothing']);
  });

  test('label values containing NUL are refused', () => {
    const body = valid();
    body.alerts[0].labels.instance = '10.0.1.23:9100\u0000; rm -rf /';
    body.commonLabels.job = 'no\u0000de';
    expect(problems(parseAlertmanagerPayload(body))).toEqual([
      'commonLabels.job: contains a NUL character',
      'alerts[0].labels.instance: contains a NUL character',
    ]);
  });

  test('startsAt that is not an RFC 3339 string is refused; endsAt too', () => {
    const body = valid();
    body.alerts[0].startsAt = '2026-11-23 23:11:16';
    body.alerts[1].startsAt = 1764000000;
    body.alerts[1].endsAt = 'yesterday';
    const list = problems(parseAlertmanagerPayload(body));
    expect(list).toEqual([
      'alerts[0].startsAt: must be an RFC 3339 time string, got "2026-11-23 23:11:16"',
      'alerts[1].startsAt: must be an RFC 3339 time string, got number 1764000000',
      'alerts[1].endsAt: must be an RFC 3339 time string, got "yesterday"',
    ]);
    body.alerts[0].startsAt = '2026-13-45T99:11:16Z'; // the right shape, not a date
    body.alerts[1].startsAt = '2026-11-23T23:11:16Z';
    delete body.alerts[1].endsAt;
    expect(problems(parseAlertmanagerPayload(body))).toEqual([
      'alerts[0].startsAt: must be an RFC 3339 time string, got "2026-13-45T99:11:16Z"',
    ]);
    delete body.alerts[0].startsAt;
    expect(problems(parseAlertmanagerPayload(body))).toEqual(['alerts[0].startsAt: is required (RFC 3339 time)']);
  });

  test('10,000 alerts are refused quickly with one problem, not parsed one by one', () => {
    const body = valid();
    const alert = body.alerts[0];
    body.alerts = Array.from({ length: 10_000 }, () => alert);
    const started = Date.now();
    expect(problems(parseAlertmanagerPayload(body))).toEqual([
      'alerts: 10000 alerts, at most 1000 are accepted in one notification (set max_alerts on the receiver)',
    ]);
    expect(Date.now() - started).toBeLessThan(500);
  });

  test('1000 alerts (the bound) are accepted', () => {
    const body = valid();
    body.alerts = Array.from({ length: 1000 }, (_, i) => ({
      ...body.alerts[0],
      labels: { instance: `h${i}` },
      fingerprint: '',
    }));
    const { value, warnings } = ok(parseAlertmanagerPayload(body));
    expect(value.alerts).toHaveLength(1000);
    expect(new Set(value.alerts.map((a) => a.fingerprint)).size).toBe(1000);
    expect(warnings).toHaveLength(1000);
  });

  test('257 labels on one alert are refused; 256 are fine', () => {
    const body = valid();
    body.alerts[0].labels = Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`l${i}`, 'v']));
    expect(parseAlertmanagerPayload(body).ok).toBe(true);
    body.alerts[0].labels.one_more = 'v';
    expect(problems(parseAlertmanagerPayload(body))).toEqual([
      'alerts[0].labels: 257 labels, at most 256 are accepted',
    ]);
  });

  test('oversized label name and value are problems, with the name cut in the path', () => {
    const body = valid();
    const longName = 'n'.repeat(1025);
    body.alerts[0].labels[longName] = 'v';
    body.alerts[1].labels.instance = 'v'.repeat(16385);
    const list = problems(parseAlertmanagerPayload(body));
    expect(list).toEqual([
      `alerts[0].labels["${'n'.repeat(64)}…"]: name longer than 1024 characters`,
      'alerts[1].labels.instance: longer than 16384 characters',
    ]);
    expect(parseAlertmanagerPayload({ ...valid(), alerts: [{ ...valid().alerts[0], labels: { '': 'x' } }] })).toEqual({
      ok: false,
      problems: ['alerts[0].labels[""]: name must not be empty'],
    });
  });

  test('thousands of bad labels give at most 50 problems plus a count', () => {
    const body = valid();
    body.alerts = Array.from({ length: 100 }, () => ({ ...body.alerts[0], labels: { a: 1, b: 2 } }));
    const list = problems(parseAlertmanagerPayload(body));
    expect(list).toHaveLength(51);
    expect(list[50]).toBe('… and 150 more problems');
  });

  test('wrong types on optional top-level fields are refused', () => {
    const body = valid();
    body.groupKey = 7;
    body.receiver = ['x'];
    body.truncatedAlerts = -1;
    body.notification_reason = false;
    body.groupLabels = 'alertname';
    expect(problems(parseAlertmanagerPayload(body))).toEqual([
      'groupKey: must be a string, got number 7',
      'receiver: must be a string, got an array',
      'notification_reason: must be a string, got boolean false',
      'truncatedAlerts: must be a non-negative integer, got number -1',
      'groupLabels: must be an object of strings, got "alertname"',
    ]);
  });
});
