import { RuneError } from '../core/errors';
import { createPagerDutyClient, type PagerDutyClient } from '../reporters/pagerduty-client';
import { createPagerDutyReporter } from '../reporters/pagerduty-reporter';
import type { Reporter } from '../reporters/reporter';
import { createSlackReporter } from '../reporters/slack-reporter';
import { createWebhookReporter } from '../reporters/webhook-reporter';
import type { RuneConfig } from '../config/config-types';

export interface ReporterSecrets {
  /** RUNE_PAGERDUTY_TOKEN(_FILE); `notify.pagerduty.token_file` wins when set. */
  pagerdutyToken: string | null;
  pagerdutyApiUrl: string;
  readFile: (path: string) => string;
  fetch?: typeof fetch;
}

/**
 * The notifiers of rules.yaml `notify:` with their secrets read from files or the environment
 * (secrets never live in rules.yaml). Also returns the PagerDuty client, which the PagerDuty
 * webhook uses to read an incident's alerts.
 */
export function buildReporters(
  config: RuneConfig,
  publicUrl: string,
  s: ReporterSecrets,
): { reporters: Map<string, Reporter>; pagerduty: PagerDutyClient | null; warnings: string[]; secrets: string[] } {
  const notify = config.notify;
  const warnings: string[] = [];
  /** Every secret value read here, so the logger can make sure none is ever written. */
  const secrets: string[] = [];
  const reporters = new Map<string, Reporter>();
  const read = (what: string, path: string) => {
    try {
      const value = s.readFile(path).trim();
      secrets.push(value);
      return value;
    } catch (err) {
      throw new RuneError(
        'CONFIG_INVALID',
        `${what}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  };
  const fetchOpt = s.fetch ? { fetch: s.fetch } : {};
  let pagerduty: PagerDutyClient | null = null;
  const pdToken = notify.pagerduty?.token_file
    ? read('notify.pagerduty.token_file', notify.pagerduty.token_file)
    : s.pagerdutyToken;
  if (pdToken) {
    pagerduty = createPagerDutyClient({
      baseUrl: s.pagerdutyApiUrl,
      token: pdToken,
      from: notify.pagerduty?.from ?? '',
      ...fetchOpt,
    });
  }
  if (notify.pagerduty) {
    if (pagerduty) reporters.set('pagerduty', createPagerDutyReporter(pagerduty, { publicUrl }));
    else {
      // Start anyway (the rules still run), but every note is a visible failed delivery, not silence.
      const why =
        'notify.pagerduty is configured but no REST API token is set ' +
        '(RUNE_PAGERDUTY_TOKEN, RUNE_PAGERDUTY_TOKEN_FILE or notify.pagerduty.token_file)';
      warnings.push(why);
      reporters.set('pagerduty', {
        name: 'pagerduty',
        report: async () => ({
          reporter: 'pagerduty',
          ok: false,
          status: null,
          attempts: 0,
          target: null,
          error: why,
          at: new Date().toISOString(),
        }),
      });
    }
  }
  if (notify.slack) {
    reporters.set(
      'slack',
      createSlackReporter({
        webhookUrl: read('notify.slack.webhook_url_file', notify.slack.webhook_url_file),
        publicUrl,
        ...fetchOpt,
      }),
    );
  }
  if (notify.webhook) {
    if (!notify.webhook.secret_file)
      throw new RuneError('CONFIG_INVALID', 'notify.webhook needs secret_file: deliveries are always signed');
    reporters.set(
      'webhook',
      createWebhookReporter({
        url: notify.webhook.url,
        secret: read('notify.webhook.secret_file', notify.webhook.secret_file),
        ...fetchOpt,
      }),
    );
  }
  return { reporters, pagerduty, warnings, secrets };
}
