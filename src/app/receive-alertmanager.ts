import { RuneError } from '../core/errors';
import { parseAlertmanagerPayload } from '../sources/alertmanager/parse-alertmanager-payload';
import { requireAccepting, type AppContext } from './context';
import { ingestNotification, type NotificationOutcome } from './ingest-notification';

/**
 * An Alertmanager v4 webhook payload (docs/protocols.md §1) → jobs, per alert. A payload that is not
 * one is INVALID_PAYLOAD (400: Alertmanager does not retry a 4xx, and retrying would not help).
 */
export async function receiveAlertmanager(
  ctx: AppContext,
  body: unknown,
  source: string,
): Promise<NotificationOutcome & { warnings: string[] }> {
  requireAccepting(ctx);
  const parsed = parseAlertmanagerPayload(body);
  if (!parsed.ok) {
    const problems = parsed.problems;
    const message = `not an Alertmanager v4 webhook payload: ${problems.slice(0, 5).join('; ')}`;
    throw new RuneError('INVALID_PAYLOAD', message, { problems });
  }
  const { alerts, groupKey } = parsed.value;
  for (const w of parsed.warnings) ctx.log.warn({ source: 'alertmanager', group_key: groupKey }, w);
  const outcome = await ingestNotification(
    ctx,
    alerts,
    { actor: 'alertmanager', source, action: 'webhook', target: groupKey || '(no groupKey)', details: {} },
    { source: 'alertmanager', id: groupKey ?? '' },
  );
  const fields = { source: 'alertmanager', group_key: groupKey, alerts: alerts.length };
  ctx.log.info({ ...fields, jobs: outcome.jobs.length, duplicates: outcome.duplicates.length }, 'webhook accepted');
  return { ...outcome, warnings: parsed.warnings };
}
