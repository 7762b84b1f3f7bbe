import type { IncidentRef, Result, Delivery } from '../core/types';
import { alertmanagerIncidentKey } from './alertmanager-incident-key';
import type { PagerDutyClient } from './pagerduty-client';
import { renderNote } from './render-note';
import { internalFailure, type ReportContext, type Reporter } from './reporter';

export interface PagerDutyReporterOptions {
  publicUrl: string;
  now?: () => Date;
  /** Delivery.reporter; default `pagerduty` (the rules.yaml `notify:` key). */
  name?: string;
}

/**
 * Posts the Result as a note on the job's PagerDuty incident. The incident is, in order: the one in
 * the context, the one on the alert (PagerDuty webhooks), the one in the job's trigger (a re-run
 * from the incident page), else, for an Alertmanager alert, the open incident whose incident_key is
 * sha256(groupKey) (docs/protocols.md §1.5).
 */
export function createPagerDutyReporter(client: PagerDutyClient, opts: PagerDutyReporterOptions): Reporter {
  const name = opts.name ?? 'pagerduty';
  const now = opts.now ?? (() => new Date());

  async function deliver(result: Result, ctx: ReportContext): Promise<Delivery> {
    const done = (d: Omit<Delivery, 'reporter' | 'at'>): Delivery => ({
      reporter: name,
      ...d,
      at: now().toISOString(),
    });
    // A note's attempts are its POSTs: the incident look-up before it is not a delivery attempt.
    const attempts = 0; // until the note is posted
    let incident = knownIncident(result, ctx);

    if (incident === null) {
      const groupKey = ctx.alert?.source === 'alertmanager' ? ctx.alert.groupKey : undefined;
      if (groupKey === undefined) {
        return done({
          ok: false,
          status: null,
          attempts,
          target: null,
          error: 'no PagerDuty incident for this job (no incident given and no Alertmanager groupKey)',
        });
      }
      const key = alertmanagerIncidentKey(groupKey);
      const found = await client.findIncidentByKey(key);
      if (!found.ok) return done({ ok: false, status: found.status, attempts, target: null, error: found.error });
      if (found.value === null) {
        return done({
          ok: false,
          status: found.status,
          attempts,
          target: null,
          error: `no PagerDuty incident with incident_key ${key} (triggered or acknowledged)`,
        });
      }
      incident = found.value;
    }

    const note = await client.createNote(incident.id, renderNote(result, { publicUrl: opts.publicUrl }));
    return done({
      ok: note.ok,
      status: note.status,
      attempts: note.attempts,
      target: incident.id,
      error: note.ok ? null : note.error,
    });
  }

  return {
    name,
    async report(result, ctx) {
      try {
        return await deliver(result, ctx);
      } catch (err) {
        return internalFailure(name, err, now());
      }
    },
  };
}

function knownIncident(result: Result, ctx: ReportContext): IncidentRef | null {
  if (ctx.incident !== null) return ctx.incident;
  if (ctx.alert?.incident !== undefined) return ctx.alert.incident;
  const fromTrigger = result.trigger.incident;
  if (fromTrigger !== undefined && fromTrigger.provider === 'pagerduty') {
    const ref: IncidentRef = { provider: 'pagerduty', id: fromTrigger.id };
    if (fromTrigger.url !== undefined) ref.url = fromTrigger.url;
    return ref;
  }
  return null;
}
