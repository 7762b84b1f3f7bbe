import {
  findIncidentLabels,
  type FindIncidentLabelsDeps,
} from '../../../../src/sources/pagerduty/find-incident-labels';
import { fixtureJson } from '../../../helpers/fixtures';

const AM025_TRIGGER = 'alertmanager/captured-am0.25-to-pagerduty-events-v2-trigger.json';
const AM030_TRIGGER = 'alertmanager/DERIVED-am0.30plus-to-pagerduty-events-v2-trigger-structured-details.json';
const DEDUP_KEY = 'ebef90548b6b91aec5258ec10caf4b40eaf9cdf58de44f537de423ce3dde89a9';
const LABELS = {
  alertname: 'NodeFilesystemAlmostOutOfSpace',
  device: '/dev/nvme0n1p1',
  fstype: 'xfs',
  instance: '10.0.1.23:9100',
  instance_id: 'i-0123456789abcdef0',
  job: 'node',
  mountpoint: '/',
  nodename: 'ip-10-0-1-23',
  severity: 'critical',
};
const ANNOTATIONS = {
  description: 'Filesystem on /dev/nvme0n1p1 at 10.0.1.23:9100 has only 3.12% available space left.',
  runbook_url: 'https://runbooks.prometheus-operator.dev/runbooks/node/nodefilesystemalmostoutofspace',
  summary: 'Filesystem has less than 5% space left.',
};

/**
 * One element of GET /incidents/{id}/alerts as PagerDuty builds it from an Events v2 event
 * (docs/protocols.md §2.7): alert_key = dedup_key, body.details = custom_details, body.cef_details.
 */
function pdAlert(event: any, id = 'PALERT1'): Record<string, unknown> {
  return {
    id,
    type: 'alert',
    status: 'triggered',
    alert_key: event.dedup_key,
    summary: event.payload.summary,
    severity: event.payload.severity,
    body: {
      type: 'alert_body',
      details: event.payload.custom_details,
      cef_details: {
        details: event.payload.custom_details,
        source_origin: event.payload.source,
        client: event.client,
        client_url: event.client_url,
        description: event.payload.summary,
      },
    },
  };
}
function listResponse(...alerts: unknown[]) {
  return { alerts, limit: 25, offset: 0, more: false };
}
/** Fake collaborators: answers in turn (the last one repeats), and a record of the sleeps. */
function fakes(...responses: unknown[]) {
  const calls: string[] = [];
  const sleeps: number[] = [];
  const deps: FindIncidentLabelsDeps = {
    getIncidentAlerts: async (id) => {
      calls.push(id);
      return responses[Math.min(calls.length, responses.length) - 1];
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
  return { deps, calls, sleeps };
}

describe('Alertmanager through PagerDuty', () => {
  test('Alertmanager <= 0.29: all labels and annotations of the first alert from the text blob', async () => {
    const { deps, calls, sleeps } = fakes(listResponse(pdAlert(fixtureJson(AM025_TRIGGER))));
    expect(await findIncidentLabels('Q2CKYRLH85UNN4', deps)).toEqual({
      labels: LABELS,
      annotations: ANNOTATIONS,
      from: 'body.details.firing (text)',
      alertKey: DEDUP_KEY,
    });
    expect(calls).toEqual(['Q2CKYRLH85UNN4']);
    expect(sleeps).toEqual([]);
  });

  test("Alertmanager >= 0.30: the first firing alert's structured labels", async () => {
    const { deps } = fakes(listResponse(pdAlert(fixtureJson(AM030_TRIGGER))));
    expect(await findIncidentLabels('Q1', deps)).toEqual({
      labels: LABELS,
      annotations: ANNOTATIONS,
      from: 'body.details.firing[0].labels',
      alertKey: DEDUP_KEY,
    });
  });

  test('details per docs/protocols.md §1.5 beat firing labels (kept under); empty rendered labels absent', async () => {
    const event = fixtureJson(AM025_TRIGGER);
    Object.assign(event.payload.custom_details, {
      instance: '10.0.1.23:9100',
      instance_id: '',
      nodename: 'configured-name',
      alertname: 'NodeFilesystemAlmostOutOfSpace',
    });
    const { deps } = fakes(listResponse(pdAlert(event)));
    const found = await findIncidentLabels('Q1', deps);
    expect(found).toMatchObject({ from: 'body.details', alertKey: DEDUP_KEY });
    expect(found!.labels).toMatchObject({
      instance: '10.0.1.23:9100',
      nodename: 'configured-name', // configured wins over the firing label ip-10-0-1-23
      alertname: 'NodeFilesystemAlmostOutOfSpace',
      instance_id: 'i-0123456789abcdef0', // the empty configured value did not hide the firing one
      severity: 'critical', // rules can still match on the alert's other labels
    });
    expect(found!.annotations.summary).toBe('Filesystem has less than 5% space left.');
  });

  test('alertname alone in details is no host: the firing labels are used instead', async () => {
    const event = fixtureJson(AM030_TRIGGER);
    event.payload.custom_details.alertname = 'NodeFilesystemAlmostOutOfSpace';
    const { deps } = fakes(listResponse(pdAlert(event)));
    expect((await findIncidentLabels('Q1', deps))?.from).toBe('body.details.firing[0].labels');
  });

  test('text blob with two alerts and a multi-line annotation: only the first alert, annotation whole', async () => {
    // What Alertmanager's __text_alert_list renders for captured-am0.25-webhook-firing-2instances.json.
    const webhook = fixtureJson('alertmanager/captured-am0.25-webhook-firing-2instances.json');
    const render = (a: any) =>
      `Labels:\n${Object.keys(a.labels)
        .sort()
        .map((k) => ` - ${k} = ${a.labels[k]}\n`)
        .join('')}` +
      `Annotations:\n${Object.keys(a.annotations)
        .sort()
        .map((k) => ` - ${k} = ${a.annotations[k]}\n`)
        .join('')}` +
      `Source: ${a.generatorURL}\n`;
    const event = fixtureJson(AM025_TRIGGER);
    event.payload.custom_details.firing = webhook.alerts.map(render).join('');
    const { deps } = fakes(listResponse(pdAlert(event)));
    const found = await findIncidentLabels('Q1', deps);
    expect(found?.labels).toEqual(webhook.alerts[0].labels);
    expect(found?.labels.instance).toBe('10.0.1.23:9100');
    expect(found?.annotations).toEqual({
      description: 'CPU load is > 80%\n  VALUE = 93.4',
      summary: 'Host high CPU load (instance 10.0.1.23:9100)',
    });
  });

  test('the first alert without usable data is skipped for the next one', async () => {
    const openshift = fixtureJson<unknown[]>(
      'pagerduty/public-rest-incident-alerts-array.alertmanager-origin.openshift-cad.json',
    )[0];
    const { deps } = fakes(listResponse(openshift, pdAlert(fixtureJson(AM030_TRIGGER), 'PALERT2')));
    expect((await findIncidentLabels('Q1', deps))?.labels.instance).toBe('10.0.1.23:9100');
  });
});

describe('waiting for PagerDuty to fill the alert', () => {
  test('no alerts, then details null, then filled: three calls, two pauses of the default 1000 ms', async () => {
    const filling = pdAlert(fixtureJson(AM025_TRIGGER));
    const { deps, calls, sleeps } = fakes(
      listResponse(),
      listResponse({ ...filling, body: { type: 'alert_body', details: null } }),
      listResponse(filling),
    );
    const found = await findIncidentLabels('Q1', deps);
    expect(found?.from).toBe('body.details.firing (text)');
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([1000, 1000]);
  });

  test('never filled: gives up after the default 4 calls and returns null', async () => {
    const { deps, calls, sleeps } = fakes(listResponse());
    expect(await findIncidentLabels('Q1', deps)).toBeNull();
    expect(calls).toHaveLength(4);
    expect(sleeps).toEqual([1000, 1000, 1000]);
  });

  test('attempts and delayMs are honoured', async () => {
    const { deps, calls, sleeps } = fakes({ alerts: [{ body: { details: {} } }] });
    expect(await findIncidentLabels('Q1', { ...deps, attempts: 2, delayMs: 50 })).toBeNull();
    expect(calls).toHaveLength(2);
    expect(sleeps).toEqual([50]);
  });

  test('details with no host (openshift-cad sample, OpenAPI example): null at once, no waiting', async () => {
    for (const response of [
      fixtureJson('pagerduty/public-rest-incident-alerts-array.alertmanager-origin.openshift-cad.json'),
      fixtureJson('pagerduty/openapi-rest-list-incident-alerts.response.json'),
    ]) {
      const { deps, calls, sleeps } = fakes(response);
      expect(await findIncidentLabels('Q1', deps)).toBeNull();
      expect([calls.length, sleeps.length]).toEqual([1, 0]);
    }
  });

  test('an error from the REST call reaches the caller', async () => {
    const deps: FindIncidentLabelsDeps = {
      getIncidentAlerts: async () => {
        throw new Error('PagerDuty REST 401');
      },
      sleep: async () => undefined,
    };
    await expect(findIncidentLabels('Q1', deps)).rejects.toThrow('PagerDuty REST 401');
  });
});

describe('payload.source as a last resort', () => {
  test('custom details too big for PagerDuty (replaced by an error) but source set to the host', async () => {
    const event = fixtureJson(AM025_TRIGGER);
    event.payload.source = 'ip-10-0-1-23';
    event.payload.custom_details = {
      error: 'Custom details have been removed because the original event exceeds the maximum size of 512KB',
    };
    const { deps } = fakes(listResponse(pdAlert(event)));
    expect(await findIncidentLabels('Q1', deps)).toEqual({
      labels: { instance: 'ip-10-0-1-23' },
      annotations: {},
      from: 'body.cef_details.source_origin',
      alertKey: DEDUP_KEY,
    });
  });

  test('no details at all: waits the retries out, then still reads the source', async () => {
    const event = fixtureJson(AM025_TRIGGER);
    event.payload.source = 'web-1.example.com';
    event.payload.custom_details = {};
    const { deps, calls } = fakes(listResponse(pdAlert(event)));
    expect((await findIncidentLabels('Q1', deps))?.labels).toEqual({ instance: 'web-1.example.com' });
    expect(calls).toHaveLength(4);
  });

  test('Alertmanager\'s default source ("Alertmanager", its client name) is no host', async () => {
    const event = fixtureJson(AM025_TRIGGER);
    event.payload.custom_details = { firing: '', num_firing: '1' };
    const { deps } = fakes(listResponse(pdAlert(event)));
    expect(await findIncidentLabels('Q1', deps)).toBeNull();
  });
});

describe('hostile alert lists', () => {
  test.each([
    ['null', null],
    ['a string', 'alerts'],
    ['alerts as an object', { alerts: { 0: {} } }],
    ['alerts of nulls and numbers', { alerts: [null, 7, 'x'] }],
    ['alerts whose body is a string', { alerts: [{ body: 'details' }] }],
  ])('a response that is %s is "nothing yet", never a crash', async (_name, response) => {
    const { deps, calls } = fakes(response);
    expect(await findIncidentLabels('Q1', deps)).toBeNull();
    expect(calls).toHaveLength(4);
  });

  test('labels with NUL, numbers, empty values or oversized values are dropped, the rest kept', async () => {
    const event = fixtureJson(AM030_TRIGGER);
    Object.assign(event.payload.custom_details.firing[0].labels, {
      evil: 'a\u0000b',
      port: 9100,
      empty: '',
      huge: 'x'.repeat(16385),
    });
    const { deps } = fakes(listResponse(pdAlert(event)));
    expect((await findIncidentLabels('Q1', deps))?.labels).toEqual(LABELS);
  });

  test('a host only in labels that are all unusable gives null', async () => {
    const event = fixtureJson(AM030_TRIGGER);
    event.payload.custom_details.firing[0].labels = { instance: 9100, nodename: ['a'] };
    event.payload.custom_details.firing[0].annotations = 'not an object';
    const { deps } = fakes(listResponse(pdAlert(event)));
    expect(await findIncidentLabels('Q1', deps)).toBeNull();
  });

  test('a label named __proto__ stays a plain key', async () => {
    const event = fixtureJson(AM030_TRIGGER);
    event.payload.custom_details.firing[0].labels = JSON.parse('{"__proto__":"x","instance":"a"}');
    const { deps } = fakes(listResponse(pdAlert(event)));
    const labels = (await findIncidentLabels('Q1', deps))?.labels;
    expect(labels && Object.keys(labels)).toEqual(['__proto__', 'instance']);
    expect(labels && Object.getPrototypeOf(labels)).toBe(Object.prototype);
  });

  test('more than 256 labels are cut to 256', async () => {
    const event = fixtureJson(AM030_TRIGGER);
    event.payload.custom_details.firing[0].labels = Object.fromEntries(
      Array.from({ length: 1000 }, (_, i) => [`l${i}`, 'v']),
    );
    const { deps } = fakes(listResponse(pdAlert(event)));
    expect(Object.keys((await findIncidentLabels('Q1', deps))?.labels ?? {})).toHaveLength(256);
  });
});
