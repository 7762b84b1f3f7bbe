import type { Actor } from '../auth/actor';
import { RuneError } from '../core/errors';
import type { IncidentRef } from '../core/types';
import { stripPort } from '../config/strip-port';
import { findIncidentLabels, type IncidentLabels } from '../sources/pagerduty/find-incident-labels';
import { parseIncidentAction } from '../sources/pagerduty/parse-incident-action';
import { withDeadline } from '../util/with-deadline';
import { findPlugin } from '../plugins/find-plugin';
import { requireScope } from './authorize';
import { requireAccepting, type AppContext } from './context';
import { createManualJob } from './create-manual-job';
import { runMatchingRules, type IncidentActionOutcome, type Refusal } from './incident-action-rules';
import { describePause, pauseView } from './pause';
import { recordAudit } from './record-audit';

/** The extension URL's choice: `?action=NAME[&node=…]`, or nothing (the rules matching the incident). */
export interface IncidentActionQuery {
  action: string | null;
  node: string | null;
}

/**
 * PagerDuty's Custom Incident Action (docs/protocols.md §2.8): a button on the incident page runs the
 * rules matching the incident's alert, or `?action=`, as a manual run by the extension's token and
 * the PagerDuty user who clicked; the Result becomes a note. When nothing runs, a note says why.
 */
export async function runIncidentAction(
  ctx: AppContext,
  actor: Actor,
  source: string,
  body: unknown,
  query: IncidentActionQuery,
  webhookIdHeader: string | undefined,
): Promise<IncidentActionOutcome> {
  requireAccepting(ctx);
  if (query.node !== null && query.action === null) {
    throw new RuneError('BAD_REQUEST', '?node= needs ?action= (the rules choose their own node)');
  }
  const parsed = parseIncidentAction(body);
  if (!parsed.ok) {
    const message = `not a PagerDuty Custom Incident Action (v2 envelope): ${parsed.problems.join('; ')}`;
    throw new RuneError('INVALID_PAYLOAD', message, { problems: parsed.problems });
  }
  if ('ignored' in parsed) return { status: 'ignored', events: parsed.ignored };
  const { incident, agent } = parsed.value;
  const rt = ctx.runtime();
  const { action } = query;
  if (action !== null) findPlugin(rt.registry, action); // UNKNOWN_ACTION, or PLUGIN_BROKEN with file:line
  const clicked = agent?.summary ?? 'an unknown PagerDuty user';
  const webhookId = webhookIdHeader || parsed.value.messageId;
  const details = {
    incident: incident.id,
    agent: agent?.summary ?? null,
    agent_id: agent?.id ?? null,
    webhook_id: webhookId,
    query_action: action,
    query_node: query.node,
    reason: `Custom Incident Action pressed by ${clicked}`,
  };
  const refuse = ({ error, note }: Refusal): never => {
    const refused = { ...details, refused: error.code, message: error.message };
    recordAudit(ctx, { actor: actor.name, source }, 'incident-action-refused', `incident ${incident.id}`, refused);
    noteOnIncident(
      ctx,
      incident.id,
      `RUNE did not run anything for the incident action pressed by ${clicked}: ${note}`,
    );
    throw error;
  };
  const pause = ctx.store.getPause();
  if (pause) {
    refuse({
      error: new RuneError('PAUSED', `RUNE is paused ${describePause(pause)}; nothing was run`, {
        paused: pauseView(pause),
      }),
      note: `RUNE is paused ${describePause(pause)}. An admin can lift it with \`rune resume\`.`,
    });
  }
  // The incident's alert labels (the v3 incident.triggered look-up), unless ?node= makes them unnecessary.
  const found = query.node === null ? await incidentLabels(ctx, incident.id, refuse) : null;
  // PagerDuty delivers at least once and repeats X-Webhook-Id on retries (§2.5); claimed only now,
  // so a delivery that failed above (5xx) can still run when PagerDuty retries it.
  if (!ctx.store.rememberKey(`pagerduty-incident-action\u0000${webhookId}`)) {
    return { status: 'duplicate', webhook_id: webhookId };
  }
  const incidentRef: IncidentRef = {
    provider: 'pagerduty',
    id: incident.id,
    ...(incident.url !== undefined ? { url: incident.url } : {}),
  };
  const notify = rt.config.notify.pagerduty ? ['pagerduty'] : [];
  const who = `${actor.name} (PagerDuty: ${clicked})`;
  const audited = { actor, source, details };
  if (action === null) {
    return runMatchingRules(ctx, parsed.value, found as IncidentLabels, { who, incidentRef, notify, audited, refuse });
  }
  const node = query.node ?? nodeFromLabels(found?.labels ?? {});
  if (!node) {
    refuse({
      error: new RuneError(
        'INCIDENT_UNMATCHED',
        `the alerts of incident ${incident.id} name no node (labels instance, nodename or instance_id); ` +
          'add &node= to the extension URL',
      ),
      note: 'its alerts name no node.',
    });
  }
  const target = { action, node: rt.canonicalNode(node as string) };
  requireScope(ctx, actor, source, 'POST /webhooks/pagerduty/incident-action', target);
  const request = { action, node: node as string, params: {}, dryRun: ctx.dryRun, pluginDryRun: false };
  const job = createManualJob(ctx, who, request, { fromIncident: { incident: incidentRef, notify } });
  const audit = { ...details, job_ids: [job.id] };
  recordAudit(ctx, { actor: actor.name, source }, 'incident-action', `${action} on ${target.node}`, audit);
  return { status: 'accepted', incident: incident.id, jobs: [job.id] };
}

/** The node of a `?action=` run: like a rule's `{{ labels.instance | hostname }}`, then nodename, instance_id. */
function nodeFromLabels(labels: Record<string, string>): string | null {
  if (labels.instance) return stripPort(labels.instance);
  return labels.nodename || labels.instance_id || null;
}

/** The incident's alert labels from PagerDuty within the button's time, or a refusal. */
async function incidentLabels(
  ctx: AppContext,
  incidentId: string,
  refuse: (r: Refusal) => never,
): Promise<IncidentLabels> {
  const pd = ctx.pagerduty();
  if (!pd) {
    return refuse({
      error: new RuneError(
        'INCIDENT_UNMATCHED',
        "RUNE has no PagerDuty REST token (RUNE_PAGERDUTY_TOKEN) to read the incident's alerts; set it, " +
          'or add &node= with ?action= to the extension URL',
      ),
      note: "RUNE cannot read the incident's alerts (no PagerDuty REST token).",
    });
  }
  let found: IncidentLabels | null;
  try {
    // The button's request must be answered within 16 s (docs/protocols.md §2.5): the look-up gets 10.
    const lookup = {
      getIncidentAlerts: (id: string) => pd.getIncidentAlerts(id),
      sleep: (ms: number) => ctx.sleep(ms),
    };
    found = await withDeadline(findIncidentLabels(incidentId, { ...lookup, attempts: 3, delayMs: 1000 }), 10_000);
  } catch (err) {
    ctx.log.error({ err, incident: incidentId }, 'PagerDuty incident lookup failed');
    throw new RuneError(
      'PAGERDUTY_UNAVAILABLE',
      `cannot read the alerts of incident ${incidentId} from PagerDuty: ${(err as Error).message}`,
    );
  }
  if (found) return found;
  return refuse({
    error: new RuneError(
      'INCIDENT_UNMATCHED',
      `no host labels found in the alerts of incident ${incidentId} (GET /incidents/{id}/alerts); ` +
        'add &node= with ?action= to the extension URL',
    ),
    note: 'no host labels were found in its alerts.',
  });
}

/** Best effort: a note on the incident (e.g. why nothing ran); a failure is logged, never thrown. */
export function noteOnIncident(ctx: AppContext, incidentId: string, content: string): void {
  const createNote = ctx.pagerduty()?.createNote;
  if (!createNote) return;
  ctx.inBackground(
    createNote(incidentId, content).catch((err: unknown) =>
      ctx.log.warn({ err, incident: incidentId }, 'cannot post the note on the incident'),
    ),
  );
}
