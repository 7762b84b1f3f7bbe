import type { Actor } from '../auth/actor';
import { RuneError } from '../core/errors';
import type { IncidentRef, RunRequest } from '../core/types';
import { stripPort } from '../config/strip-port';
import { planRun } from '../orchestrator/plan-run';
import { plainLine } from '../reporters/plain-line';
import { renderPressNote } from '../reporters/render-note';
import { findIncidentLabels, type IncidentLabels } from '../sources/pagerduty/find-incident-labels';
import { parseIncidentAction } from '../sources/pagerduty/parse-incident-action';
import { withDeadline } from '../util/with-deadline';
import { findPlugin } from '../plugins/find-plugin';
import { outsideScope } from './authorize';
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
 * the PagerDuty user who clicked; the Result becomes a note. Every press is audited with the
 * incident and the delivery's X-Webhook-Id; one that runs nothing is refused, audited as such and
 * answered by a note saying why. The X-Webhook-Id is claimed only with the jobs it creates, so a
 * refused press does not make its retry a `duplicate`.
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
  const parsed = parseIncidentAction(body);
  if (!parsed.ok) {
    const message = `not a PagerDuty Custom Incident Action (v2 envelope): ${parsed.problems.join('; ')}`;
    throw new RuneError('INVALID_PAYLOAD', message, { problems: parsed.problems });
  }
  if ('ignored' in parsed) return { status: 'ignored', events: parsed.ignored };
  const { incident, agent } = parsed.value;
  const rt = ctx.runtime();
  const { action } = query;
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
    noteOnIncident(ctx, incident.id, renderPressNote(clicked, note));
    throw error;
  };
  /** A check that throws a RuneError (UNKNOWN_ACTION, UNKNOWN_NODE, …) refuses the press with its message. */
  const refusing = <T>(check: () => T): T => {
    try {
      return check();
    } catch (err) {
      if (err instanceof RuneError) return refuse({ error: err, note: err.message });
      throw err;
    }
  };
  if (query.node !== null && action === null) {
    const why = '?node= needs ?action= (the rules choose their own node)';
    refuse({ error: new RuneError('BAD_REQUEST', why), note: why });
  }
  // UNKNOWN_ACTION, or PLUGIN_BROKEN with file:line.
  if (action !== null) refusing(() => findPlugin(rt.registry, action));
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
  const incidentRef: IncidentRef = {
    provider: 'pagerduty',
    id: incident.id,
    ...(incident.url !== undefined ? { url: incident.url } : {}),
  };
  const notify = rt.config.notify.pagerduty ? ['pagerduty'] : [];
  // The name PagerDuty sends is shown wherever jobs are (CLI, dashboard, notes): one plain line.
  const who = `${actor.name} (PagerDuty: ${plainLine(clicked, 120)})`;
  const audited = { actor, source, details };
  // PagerDuty delivers at least once and repeats X-Webhook-Id on retries (§2.5); claimed only once
  // the press is known to run something, so a refusal, or a failure above (5xx), can be retried.
  const dedupKey = `pagerduty-incident-action\u0000${webhookId}`;
  if (action === null) {
    return runMatchingRules(ctx, parsed.value, found as IncidentLabels, {
      who,
      incidentRef,
      notify,
      audited,
      refuse,
      dedupKey,
      notePartial: (why) => noteOnIncident(ctx, incident.id, renderPressNote(clicked, why, { ranSome: true })),
    });
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
  const outside = outsideScope(actor, target);
  if (outside !== null) refuse({ error: new RuneError('FORBIDDEN', outside), note: outside });
  const request = { action, node: node as string, params: {}, dryRun: ctx.dryRun, pluginDryRun: false };
  // What createManualJob would refuse (UNKNOWN_NODE, INVALID_PARAMS), found before the claim.
  const trigger = { kind: 'manual' as const, source: 'pagerduty', actor: who, incident: incidentRef };
  const planned: RunRequest = { ...request, trigger, alert: null, jobId: 'check', traceId: 'check' };
  refusing(() => planRun(planned, rt.registry, rt.config, { fallbackUser: ctx.fallbackUser }));
  if (!ctx.store.rememberKey(dedupKey)) return { status: 'duplicate', webhook_id: webhookId };
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
    return refuse({
      error: new RuneError(
        'PAGERDUTY_UNAVAILABLE',
        `cannot read the alerts of incident ${incidentId} from PagerDuty: ${(err as Error).message}`,
      ),
      note: "RUNE could not read the incident's alerts from PagerDuty; press the button again.",
    });
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

/**
 * Best effort: a note on the incident (why nothing ran, rendered by renderPressNote); a failure is
 * logged, never thrown.
 */
export function noteOnIncident(ctx: AppContext, incidentId: string, content: string): void {
  const createNote = ctx.pagerduty()?.createNote;
  if (!createNote) return;
  ctx.inBackground(
    createNote(incidentId, content).catch((err: unknown) =>
      ctx.log.warn({ err, incident: incidentId }, 'cannot post the note on the incident'),
    ),
  );
}
