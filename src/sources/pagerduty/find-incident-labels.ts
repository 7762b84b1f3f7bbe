import { isJsonObject } from '../is-json-object';
import { LABEL_LIMITS, labelProblem } from '../label-limits';

/** Which part of the PagerDuty alert the labels came from (kept in the job's history). */
export type IncidentLabelSource =
  'body.details' | 'body.details.firing[0].labels' | 'body.details.firing (text)' | 'body.cef_details.source_origin';

export interface IncidentLabels {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  from: IncidentLabelSource;
  /** The PagerDuty alert's `alert_key` = the Events v2 dedup_key = sha256(groupKey) (§2.7, §1.5). */
  alertKey: string | null;
}

export interface FindIncidentLabelsDeps {
  /** Parsed JSON of `GET /incidents/{id}/alerts`. Errors it throws reach the caller unchanged. */
  getIncidentAlerts: (incidentId: string) => Promise<unknown>;
  sleep: (ms: number) => Promise<void>;
  /** Calls in all, the first included; default 4. */
  attempts?: number;
  /** Pause between calls; default 1000 ms. */
  delayMs?: number;
}

/** The keys docs/protocols.md §1.5 recommends adding to `pagerduty_configs.details`. */
const HOST_KEYS = ['instance', 'instance_id', 'nodename'] as const;
const CONFIGURED_KEYS = [...HOST_KEYS, 'alertname'] as const;
/** Alertmanager's default Events v2 `source` is its client name, not a host (§1.5). */
const ALERTMANAGER_CLIENT = 'Alertmanager';

/**
 * Finds the labels of the alert behind a PagerDuty incident, since v3 incident webhooks carry none
 * (docs/protocols.md §2.7). Retries while PagerDuty has not filled the alert yet (body.details was seen
 * null ~700 ms after creation, §2.7 item 2). Returns null when nothing usable is found.
 */
export async function findIncidentLabels(
  incidentId: string,
  deps: FindIncidentLabelsDeps,
): Promise<IncidentLabels | null> {
  const attempts = Math.max(1, Math.floor(deps.attempts ?? 4));
  const delayMs = deps.delayMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    const alerts = alertsOf(await deps.getIncidentAlerts(incidentId));
    // Details, once there, are final: only their absence is worth waiting for.
    if (attempt >= attempts || alerts.some(hasDetails)) {
      for (const alert of alerts) {
        const found = labelsOf(alert);
        if (found) return found;
      }
      return null;
    }
    await deps.sleep(delayMs);
  }
}

/** `{alerts: […]}` as the REST API answers; a bare array is taken too (openshift-cad test data). */
function alertsOf(response: unknown): Record<string, unknown>[] {
  const list = isJsonObject(response) ? response.alerts : response;
  return Array.isArray(list) ? list.filter(isJsonObject) : [];
}

function hasDetails(alert: Record<string, unknown>): boolean {
  const details = isJsonObject(alert.body) ? alert.body.details : undefined;
  if (typeof details === 'string') return details.trim() !== '';
  return isJsonObject(details) && Object.keys(details).length > 0;
}

/** The first of the §2.7 sources that yields a host label, in order. */
function labelsOf(alert: Record<string, unknown>): IncidentLabels | null {
  const alertKey = typeof alert.alert_key === 'string' && alert.alert_key !== '' ? alert.alert_key : null;
  const body = isJsonObject(alert.body) ? alert.body : {};
  const details = isJsonObject(body.details) ? body.details : {};
  const result = (
    labels: Record<string, string>,
    annotations: Record<string, string>,
    from: IncidentLabelSource,
  ): IncidentLabels => ({
    labels,
    annotations,
    from,
    alertKey,
  });

  // The alert's own labels, when Alertmanager sent them: as objects (>= 0.30) or as its default
  // text (<= 0.29) in details.firing (§1.5). Only the first firing alert is read.
  let fromFiring: IncidentLabels | null = null;
  const firing = details.firing;
  if (Array.isArray(firing)) {
    const first: unknown = firing[0];
    if (isJsonObject(first) && isJsonObject(first.labels)) {
      const labels = sanitize(Object.entries(first.labels));
      if (Object.keys(labels).length > 0) {
        const annotations = isJsonObject(first.annotations) ? sanitize(Object.entries(first.annotations)) : {};
        fromFiring = result(labels, annotations, 'body.details.firing[0].labels');
      }
    }
  } else if (typeof firing === 'string') {
    const parsed = parseFiringText(firing);
    if (Object.keys(parsed.labels).length > 0)
      fromFiring = result(parsed.labels, parsed.annotations, 'body.details.firing (text)');
  }

  // 1. Keys set on purpose in pagerduty_configs.details (§1.5) win; the firing alert's other labels
  //    (severity, …) stay underneath so rules can match on them. Alertmanager renders a missing
  //    label as "", so empty values count as absent.
  const configured = sanitize(CONFIGURED_KEYS.map((key): [string, unknown] => [key, details[key]]));
  if (HOST_KEYS.some((key) => key in configured))
    return result({ ...(fromFiring?.labels ?? {}), ...configured }, fromFiring?.annotations ?? {}, 'body.details');
  // 2./3. Otherwise the firing alert's labels as they are.
  if (fromFiring) return fromFiring;

  // 4. The Events v2 payload.source, only when it names something other than the sender (§1.5).
  const cef = isJsonObject(body.cef_details) ? body.cef_details : {};
  const origin = cef.source_origin;
  if (typeof origin === 'string' && origin.trim() !== '' && origin !== ALERTMANAGER_CLIENT && origin !== cef.client) {
    const labels = sanitize([['instance', origin.trim()]]);
    if ('instance' in labels) return result(labels, {}, 'body.cef_details.source_origin');
  }
  return null;
}

/**
 * Alertmanager's default text (template `__text_alert_list`): per alert "Labels:", lines
 * " - name = value", "Annotations:", the same, then "Source: <url>". Only the first alert is read.
 * A line that is none of these continues the previous value (multi-line annotations).
 */
function parseFiringText(text: string): { labels: Record<string, string>; annotations: Record<string, string> } {
  const labels: [string, string][] = [];
  const annotations: [string, string][] = [];
  let section: typeof labels | null = null;
  let seenLabels = false;
  for (const line of text.split('\n')) {
    if (line === 'Labels:') {
      if (seenLabels) break; // the second alert begins
      seenLabels = true;
      section = labels;
    } else if (line === 'Annotations:' && seenLabels) {
      section = annotations;
    } else if (line.startsWith('Source:') && seenLabels) {
      break;
    } else if (section) {
      const pair = /^ - (.+?) = (.*)$/.exec(line);
      const last = section[section.length - 1];
      if (pair) section.push([pair[1] as string, pair[2] as string]);
      else if (last) last[1] += `\n${line}`;
    }
  }
  return { labels: sanitize(labels), annotations: sanitize(annotations) };
}

/** Keeps string pairs within the label bounds: details are free-form JSON from any sender. */
function sanitize(pairs: [string, unknown][]): Record<string, string> {
  const kept: [string, string][] = [];
  for (const [name, value] of pairs) {
    if (kept.length >= LABEL_LIMITS.maxLabels) break;
    if (typeof value === 'string' && value !== '' && labelProblem(name, value) === null) kept.push([name, value]);
  }
  return Object.fromEntries(kept); // own properties even for a key "__proto__"
}
