import { readFileSync } from 'node:fs';
import type { Actor } from '../auth/actor';
import { createAuthenticator, createHashAuthenticator } from '../auth/create-authenticator';
import type { StoredToken } from '../auth/parse-tokens-file';
import { readTokensFile } from '../auth/read-tokens-file';
import { formatProblem } from '../config/read-config';
import type { RuneError } from '../core/errors';
import { redactsValues, type Logger } from '../core/logger';
import { buildReporters, type ReporterSecrets } from './build-reporters';
import type { PagerDutyAccess } from './context';
import type { RuneMetrics } from './create-metrics';
import { loadRuntime, type Runtime } from './runtime';

/** Where the reloadable state comes from. */
export interface ServiceSources {
  /** rules.yaml and the plugins folder (RUNE_CONFIG, RUNE_PLUGINS_DIR). */
  rules: { configPath: string; configExplicit: boolean; pluginsDir: string };
  /** RUNE_API_TOKENS_FILE (re-read on reload) and the tokens read from it at start. */
  apiTokensFile: string | null;
  apiTokens: StoredToken[];
  reporterSecrets: Omit<ReporterSecrets, 'readFile'>;
  /** Secret values from the environment (webhook token, PagerDuty secrets and token): never logged. */
  secrets: string[];
  log: Logger;
}

type Notifiers = ReturnType<typeof buildReporters>;

/** The rules, plugins, notifiers and API tokens of the moment, replaced as a whole by a reload. */
export interface ServiceState {
  runtime(): Runtime;
  notifiers(): Notifiers;
  pagerduty(): PagerDutyAccess | null;
  authenticate(credential: string): Actor | null;
  /** The same, from the token's SHA-256 (hex): a dashboard session's token, re-checked. */
  authenticateHash(hashHex: string): Actor | null;
  reload(): { ok: boolean; problems: string[] };
}

export function createServiceState(o: ServiceSources & { publicUrl: string }, metrics: RuneMetrics): ServiceState {
  const readText = (p: string) => readFileSync(p, 'utf8');
  const secrets: ReporterSecrets = { ...o.reporterSecrets, readFile: readText };
  /** The rule engine, counting matches (once per alert and rule) in rune_rule_matches_total. */
  const counted = (rt: Runtime): Runtime => ({
    ...rt,
    match: (alert) => {
      const outcome = rt.match(alert);
      for (const rule of new Set(outcome.invocations.map((i) => i.rule))) metrics.ruleMatched(rule);
      return outcome;
    },
  });
  let runtime = counted(loadRuntime(o.rules));
  let notifiers = buildReporters(runtime.config, o.publicUrl, secrets);
  let authenticate = createAuthenticator(o.apiTokens);
  let authenticateHash = createHashAuthenticator(o.apiTokens);
  // Defence in depth beside the logger's key-based redaction: no configured secret value is ever
  // written (API tokens need no entry: RUNE only ever holds their hashes).
  const hideSecrets = () => {
    if (redactsValues(o.log)) o.log.redactValues([...o.secrets, ...notifiers.secrets]);
  };
  hideSecrets();
  for (const w of notifiers.warnings) o.log.warn({ config: runtime.config.source }, w);

  const pagerduty: PagerDutyAccess = {
    getIncidentAlerts: async (id) => {
      const client = notifiers.pagerduty;
      if (!client) throw new Error('the PagerDuty REST token was removed by a reload');
      const out = await client.listIncidentAlerts(id);
      if (!out.ok) throw new Error(`GET /incidents/${id}/alerts failed: ${out.error}`);
      return out.value;
    },
    createNote: async (id, content) => {
      const client = notifiers.pagerduty;
      if (!client) throw new Error('the PagerDuty REST token was removed by a reload');
      const out = await client.createNote(id, content);
      if (!out.ok) throw new Error(`POST /incidents/${id}/notes failed: ${out.error}`);
    },
  };

  // API tokens: re-read with the rules; an invalid tokens file keeps the old tokens (say why).
  const reloadTokens = (): string[] => {
    if (!o.apiTokensFile) return [];
    try {
      const tokens = readTokensFile(o.apiTokensFile, readText);
      authenticate = createAuthenticator(tokens);
      authenticateHash = createHashAuthenticator(tokens);
      o.log.info({ file: o.apiTokensFile, tokens: tokens.length }, 'API tokens reloaded');
      return [];
    } catch (err) {
      const problems = ((err as RuneError).details?.problems as string[] | undefined) ?? [(err as Error).message];
      o.log.error({ problems }, 'tokens reload refused: the file is invalid; the old tokens still serve');
      return problems;
    }
  };
  const reloadRules = (): { ok: boolean; problems: string[] } => {
    try {
      const next = loadRuntime(o.rules);
      const nextNotifiers = buildReporters(next.config, o.publicUrl, secrets);
      runtime = counted(next);
      notifiers = nextNotifiers;
      hideSecrets();
      for (const w of notifiers.warnings) o.log.warn({ config: next.config.source }, w);
      const counts = { rules: next.config.rules.length, plugins: next.registry.plugins.size };
      o.log.info({ config: next.config.source, ...counts }, 'rules reloaded');
      return { ok: true, problems: [] };
    } catch (err) {
      type Problem = { file: string; line: number | null; path: string; message: string };
      const listed = (err as RuneError).details?.problems as Problem[] | undefined;
      const problems = listed?.map(formatProblem) ?? [(err as Error).message];
      o.log.error({ problems }, 'reload refused: the new rules are invalid; the old ones still serve');
      return { ok: false, problems };
    }
  };
  return {
    runtime: () => runtime,
    notifiers: () => notifiers,
    pagerduty: () => (notifiers.pagerduty ? pagerduty : null),
    authenticate: (credential) => authenticate(credential),
    authenticateHash: (hashHex) => authenticateHash(hashHex),
    reload() {
      const tokenProblems = reloadTokens();
      const rules = reloadRules();
      return { ok: rules.ok && tokenProblems.length === 0, problems: [...rules.problems, ...tokenProblems] };
    },
  };
}
