import type { Alert } from '../core/types';
import { parseAlertmanagerPayload } from './alertmanager/parse-alertmanager-payload';
import { isJsonObject } from './is-json-object';

/** The fields a bare alert may have: Alertmanager's own alert object (docs/protocols.md §1.3). */
const ALERT_KEYS = new Set(['status', 'labels', 'annotations', 'startsAt', 'endsAt', 'generatorURL', 'fingerprint']);

export type ParseBareAlertsResult = { ok: true; alerts: Alert[] } | { ok: false; problems: string[] };

/**
 * `{labels, annotations?, status?, startsAt?, …}` (or an array of them), as written by hand in
 * `rune rules test` payloads and rules.test.yaml, → Alerts. Missing status is `firing`, missing
 * startsAt is `defaultStartsAt`, a missing fingerprint is Alertmanager's own (from the labels).
 * The alerts go through the Alertmanager parser, so they are checked and normalized exactly as a
 * webhook's are.
 */
export function parseBareAlerts(body: unknown, defaultStartsAt: string, path = 'alert'): ParseBareAlertsResult {
  const list: unknown[] = Array.isArray(body) ? body : [body];
  const problems: string[] = [];
  const at = (i: number) => (Array.isArray(body) ? `${path}[${i}]` : path);
  const alerts = list.map((raw, i) => {
    if (!isJsonObject(raw)) {
      problems.push(`${at(i)}: must be an object {labels, annotations?, status?, startsAt?}`);
      return {};
    }
    for (const k of Object.keys(raw))
      if (!ALERT_KEYS.has(k)) problems.push(`${at(i)}.${k}: unknown field (known: ${[...ALERT_KEYS].join(', ')})`);
    const status = raw.status ?? 'firing';
    return {
      ...raw,
      status,
      annotations: raw.annotations ?? {},
      startsAt: raw.startsAt ?? defaultStartsAt,
      endsAt: raw.endsAt ?? (status === 'resolved' ? defaultStartsAt : '0001-01-01T00:00:00Z'),
    };
  });
  if (problems.length > 0) return { ok: false, problems };
  const parsed = parseAlertmanagerPayload({ version: '4', status: 'firing', alerts });
  if (!parsed.ok)
    return {
      ok: false,
      problems: parsed.problems.map((p) => p.replace(/^alerts\[(\d+)\]/, (_m, i: string) => at(Number(i)))),
    };
  return { ok: true, alerts: parsed.value.alerts };
}
