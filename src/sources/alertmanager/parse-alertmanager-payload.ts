import type { Alert } from '../../core/types';
import { isJsonObject } from '../is-json-object';
import { LABEL_LIMITS, labelProblem } from '../label-limits';
import { alertmanagerFingerprint } from './alertmanager-fingerprint';

/** One Alertmanager webhook notification (docs/protocols.md §1.3), its alerts normalized. */
export interface AlertmanagerNotification {
  /** "4"; null for older senders that had no `version` field. */
  version: string | null;
  /** Identifies the notification group (§1.4); null for older senders. */
  groupKey: string | null;
  receiver: string;
  /** Group status: `firing` if any alert is. Decide per alert, never from this (§1.4). */
  status: 'firing' | 'resolved';
  externalURL: string;
  /** Alerts that `max_alerts` dropped from this body (§1.4). */
  truncatedAlerts: number;
  /** `notification_reason` (v0.32.0+), null when absent. */
  notificationReason: string | null;
  groupLabels: Record<string, string>;
  /** Intersection over the included alerts: `instance` drops out with several hosts (§1.4). */
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  /** `routeLabels` (v0.34.0+), {} when absent. */
  routeLabels: Record<string, string>;
  alerts: Alert[];
}

export type ParseAlertmanagerResult =
  { ok: true; value: AlertmanagerNotification; warnings: string[] } | { ok: false; problems: string[] };

export const MAX_ALERTS = 1000;
/** Annotations are free text (descriptions, runbook links): same count bound, longer values. */
const MAX_ANNOTATION_VALUE_LENGTH = 65536;
/** A flood of problems helps nobody and costs memory: report the first ones and a count. */
const MAX_PROBLEMS = 50;
const MAX_FINGERPRINT_LENGTH = 128;
const ZERO_TIME = '0001-01-01T00:00:00Z';
// RFC 3339 date-time (section 5.6), as Go's time.Time marshals it (RFC3339Nano).
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Checks and normalizes an Alertmanager webhook body (already JSON-parsed). Strict about types,
 * lenient about unknown and missing optional fields, so newer Alertmanager versions keep working
 * and broken senders get every problem with its JSON path.
 */
export function parseAlertmanagerPayload(body: unknown): ParseAlertmanagerResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (!isJsonObject(body)) return { ok: false, problems: [`(root): must be a JSON object, got ${describe(body)}`] };

  let version: string | null = null;
  if (body.version === undefined) {
    warnings.push('no "version" field: treated as an Alertmanager payload older than version 4');
  } else if (body.version !== '4') {
    // Alertmanager has sent "4" since 0.7; another value is another contract (§1.3).
    problems.push(`version: must be "4", got ${describe(body.version)}`);
  } else {
    version = body.version;
  }

  let groupKey: string | null = null;
  if (body.groupKey === undefined) warnings.push('no "groupKey" field: alerts carry no notification group');
  else if (typeof body.groupKey !== 'string')
    problems.push(`groupKey: must be a string, got ${describe(body.groupKey)}`);
  else groupKey = body.groupKey;

  const receiver = optionalString(body, 'receiver', '', problems);
  const externalURL = optionalString(body, 'externalURL', '', problems);
  const status = checkStatus(body.status, 'status', problems);

  let notificationReason: string | null = null;
  if (body.notification_reason !== undefined) {
    if (typeof body.notification_reason === 'string') notificationReason = body.notification_reason;
    else problems.push(`notification_reason: must be a string, got ${describe(body.notification_reason)}`);
  }

  let truncatedAlerts = 0;
  if (body.truncatedAlerts !== undefined) {
    if (
      typeof body.truncatedAlerts === 'number' &&
      Number.isSafeInteger(body.truncatedAlerts) &&
      body.truncatedAlerts >= 0
    ) {
      truncatedAlerts = body.truncatedAlerts;
    } else {
      problems.push(`truncatedAlerts: must be a non-negative integer, got ${describe(body.truncatedAlerts)}`);
    }
  }
  if (truncatedAlerts > 0) {
    // The dropped alerts are not in the body at all (§1.4): nothing will run for them.
    warnings.push(
      `Alertmanager dropped ${truncatedAlerts} alert(s) from this notification ` +
        `(max_alerts on receiver "${receiver}"); RUNE never sees them`,
    );
  }

  const groupLabels = optionalMap(body.groupLabels, 'groupLabels', 'label', problems);
  const commonLabels = optionalMap(body.commonLabels, 'commonLabels', 'label', problems);
  const commonAnnotations = optionalMap(body.commonAnnotations, 'commonAnnotations', 'annotation', problems);
  const routeLabels = optionalMap(body.routeLabels, 'routeLabels', 'label', problems);

  const alerts: Alert[] = [];
  if (!Array.isArray(body.alerts)) {
    problems.push(`alerts: must be an array, got ${describe(body.alerts)}`);
  } else if (body.alerts.length > MAX_ALERTS) {
    problems.push(
      `alerts: ${body.alerts.length} alerts, at most ${MAX_ALERTS} are accepted in one notification ` +
        '(set max_alerts on the receiver)',
    );
  } else {
    body.alerts.forEach((raw: unknown, i: number) => {
      const alert = parseAlert(raw, `alerts[${i}]`, groupKey, problems, warnings);
      if (alert) alerts.push(alert);
    });
  }

  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS);
    if (problems.length > MAX_PROBLEMS) shown.push(`… and ${problems.length - MAX_PROBLEMS} more problems`);
    return { ok: false, problems: shown };
  }
  return {
    ok: true,
    value: {
      version,
      groupKey,
      receiver,
      status: status as 'firing' | 'resolved',
      externalURL,
      truncatedAlerts,
      notificationReason,
      groupLabels,
      commonLabels,
      commonAnnotations,
      routeLabels,
      alerts,
    },
    warnings,
  };
}

function parseAlert(
  raw: unknown,
  path: string,
  groupKey: string | null,
  problems: string[],
  warnings: string[],
): Alert | null {
  if (!isJsonObject(raw)) {
    problems.push(`${path}: must be an object, got ${describe(raw)}`);
    return null;
  }
  const before = problems.length;
  // Each alert's own status: a firing notification may carry resolved alerts (§1.4).
  const status = checkStatus(raw.status, `${path}.status`, problems);
  if (raw.labels === undefined) problems.push(`${path}.labels: is required`);
  const labels = raw.labels === undefined ? {} : checkMap(raw.labels, `${path}.labels`, 'label', problems);
  const annotations = optionalMap(raw.annotations, `${path}.annotations`, 'annotation', problems);
  const startsAt = checkTime(raw.startsAt, `${path}.startsAt`, problems, true);
  const endsAtRaw = checkTime(raw.endsAt, `${path}.endsAt`, problems, false);
  // Firing alerts carry Go's zero time as endsAt (§1.4).
  const endsAt = endsAtRaw === null || endsAtRaw === ZERO_TIME ? null : endsAtRaw;
  const generatorURL = optionalString(raw, 'generatorURL', '', problems, path);
  let fingerprint = optionalString(raw, 'fingerprint', '', problems, path);
  if (fingerprint.length > MAX_FINGERPRINT_LENGTH) {
    problems.push(`${path}.fingerprint: longer than ${MAX_FINGERPRINT_LENGTH} characters`);
  }
  if (problems.length > before) return null;

  if (fingerprint === '') {
    fingerprint = alertmanagerFingerprint(labels);
    warnings.push(`${path}.fingerprint: empty, computed ${fingerprint} from the labels as Alertmanager does`);
  }
  const alert: Alert = {
    source: 'alertmanager',
    status: status as 'firing' | 'resolved',
    labels,
    annotations,
    startsAt: startsAt as string,
    endsAt,
    fingerprint,
  };
  if (generatorURL !== '') alert.generatorURL = generatorURL;
  if (groupKey !== null) alert.groupKey = groupKey;
  return alert;
}

function checkStatus(value: unknown, path: string, problems: string[]): 'firing' | 'resolved' | null {
  if (value === 'firing' || value === 'resolved') return value;
  problems.push(`${path}: must be "firing" or "resolved", got ${describe(value)}`);
  return null;
}

function checkTime(value: unknown, path: string, problems: string[], required: boolean): string | null {
  if (value === undefined) {
    if (required) problems.push(`${path}: is required (RFC 3339 time)`);
    return null;
  }
  if (typeof value !== 'string' || !RFC3339.test(value) || Number.isNaN(Date.parse(value))) {
    problems.push(`${path}: must be an RFC 3339 time string, got ${describe(value)}`);
    return null;
  }
  return value;
}

function optionalString(
  obj: Record<string, unknown>,
  key: string,
  fallback: string,
  problems: string[],
  parent?: string,
): string {
  const value = obj[key];
  if (value === undefined) return fallback;
  if (typeof value === 'string') return value;
  problems.push(`${parent === undefined ? key : `${parent}.${key}`}: must be a string, got ${describe(value)}`);
  return fallback;
}

function optionalMap(
  value: unknown,
  path: string,
  kind: 'label' | 'annotation',
  problems: string[],
): Record<string, string> {
  return value === undefined ? {} : checkMap(value, path, kind, problems);
}

/** A string→string map within the label bounds; every bad entry is reported with its path. */
function checkMap(
  value: unknown,
  path: string,
  kind: 'label' | 'annotation',
  problems: string[],
): Record<string, string> {
  if (!isJsonObject(value)) {
    problems.push(`${path}: must be an object of strings, got ${describe(value)}`);
    return {};
  }
  const entries = Object.entries(value);
  if (entries.length > LABEL_LIMITS.maxLabels) {
    problems.push(`${path}: ${entries.length} ${kind}s, at most ${LABEL_LIMITS.maxLabels} are accepted`);
    return {};
  }
  const accepted: [string, string][] = [];
  for (const [name, v] of entries) {
    const at = `${path}${pathKey(name)}`;
    if (typeof v !== 'string') {
      problems.push(`${at}: must be a string, got ${describe(v)}`);
      continue;
    }
    const problem = labelProblem(name, v, kind === 'label' ? LABEL_LIMITS.maxValueLength : MAX_ANNOTATION_VALUE_LENGTH);
    if (problem !== null) problems.push(`${at}: ${problem}`);
    else accepted.push([name, v]);
  }
  // fromEntries defines own properties, so a key "__proto__" stays a plain key.
  return Object.fromEntries(accepted);
}

/** `.instance`, or `["odd name"]` when the name is not an identifier; long names are cut. */
function pathKey(name: string): string {
  if (IDENTIFIER.test(name) && name.length <= 64) return `.${name}`;
  const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
  return `[${JSON.stringify(shown)}]`;
}

/** A short, safe rendering of a wrong value for a problem message. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return value.length > 64 ? `${JSON.stringify(value.slice(0, 64))}…` : JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}
