import { readTokensFile } from '../auth/read-tokens-file';
import type { StoredToken } from '../auth/parse-tokens-file';
import { RuneError } from '../core/errors';
import { DEFAULT_WEBHOOK_RETENTION, type WebhookRetention } from '../store/prune-webhooks';
import { parseDuration } from '../util/duration';
import type { NamedToken } from '../auth/check-token';

/** `rune serve` settings (docs/architecture.md settings table); names are part of the product. */
export interface ServeSettings {
  host: string;
  port: number;
  publicUrl: string;
  dbPath: string;
  webhookTokens: NamedToken[];
  pagerdutySecrets: string[];
  pagerdutyToken: string | null;
  pagerdutyApiUrl: string;
  /** RUNE_API_TOKENS_FILE, re-read on reload; null: no tokens, the API refuses all. */
  apiTokensFile: string | null;
  /** Its tokens (hashes and scopes), read and checked at start. */
  apiTokens: StoredToken[];
  insecureNoAuth: boolean;
  dryRun: boolean;
  concurrency: number;
  /** How long and how many webhook notifications are kept for `rune rules replay`. */
  webhookRetention: WebhookRetention;
}

export interface ServeFlags {
  listen?: string | undefined;
  publicUrl?: string | undefined;
  db?: string | undefined;
  insecureNoAuth?: boolean | undefined;
  dryRun?: boolean | undefined;
  concurrency?: string | undefined;
}

/** `127.0.0.1:9095`, `:9095` (loopback), `0.0.0.0:9095`, `[::1]:9095`. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new RuneError(
      'USAGE',
      `--listen / RUNE_LISTEN must be host:port (e.g. 127.0.0.1:9095), got ${JSON.stringify(value)}`,
    );
  // An empty host means loopback, not every interface: exposing RUNE must be a decision.
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/**
 * Pure: flags + environment + a file reader → settings. Secrets come from `X` or `X_FILE`
 * (never both); a named file that cannot be read is an error, not an open endpoint.
 */
export function readServeSettings(
  flags: ServeFlags,
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
): ServeSettings {
  const secret = (name: string): string | null => {
    const inline = env[name];
    const file = env[`${name}_FILE`];
    if (inline && file) throw new RuneError('USAGE', `set ${name} or ${name}_FILE, not both`);
    if (file) {
      try {
        return readFile(file).trim();
      } catch (err) {
        throw new RuneError(
          'USAGE',
          `cannot read ${name}_FILE ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
    }
    return inline ? inline.trim() : null;
  };
  const { host, port } = parseListen(flags.listen ?? env.RUNE_LISTEN ?? '127.0.0.1:9095');
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const webhook = secret('RUNE_WEBHOOK_TOKEN');
  const pdSecrets = (secret('RUNE_PAGERDUTY_SECRETS') ?? '')
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
  // NAME ROLE sha256:<hex> [actions=…] [nodes=…] per line (docs/security.md); a bad line refuses the file.
  const apiTokensFile = env.RUNE_API_TOKENS_FILE || null;
  const apiTokens = apiTokensFile ? readTokensFile(apiTokensFile, readFile) : [];
  let concurrency = 10;
  if (flags.concurrency !== undefined) {
    concurrency = Number(flags.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000)
      throw new RuneError('USAGE', '--concurrency must be an integer from 1 to 1000');
  }
  const retentionAge = env.RUNE_WEBHOOK_RETENTION;
  const maxAgeMs = retentionAge ? parseDuration(retentionAge) : DEFAULT_WEBHOOK_RETENTION.maxAgeMs;
  if (maxAgeMs === undefined || maxAgeMs <= 0)
    throw new RuneError(
      'USAGE',
      `RUNE_WEBHOOK_RETENTION must be a duration like 7d or 36h, got ${JSON.stringify(retentionAge)}`,
    );
  const retentionCount = env.RUNE_WEBHOOK_RETENTION_COUNT;
  const maxCount = retentionCount ? Number(retentionCount) : DEFAULT_WEBHOOK_RETENTION.maxCount;
  if (!/^\d{1,9}$/.test(retentionCount ?? '0'))
    throw new RuneError(
      'USAGE',
      `RUNE_WEBHOOK_RETENTION_COUNT must be a whole number (0 turns recording off), got ${JSON.stringify(retentionCount)}`,
    );
  return {
    host,
    port,
    publicUrl: (flags.publicUrl ?? env.RUNE_PUBLIC_URL ?? `http://${shownHost}:${port}`).replace(/\/+$/, ''),
    dbPath: flags.db ?? env.RUNE_DB ?? './data/rune.db',
    webhookTokens: webhook ? [{ name: 'alertmanager', token: webhook }] : [],
    pagerdutySecrets: pdSecrets,
    pagerdutyToken: secret('RUNE_PAGERDUTY_TOKEN'),
    pagerdutyApiUrl: (env.RUNE_PAGERDUTY_API_URL ?? 'https://api.pagerduty.com').replace(/\/+$/, ''),
    apiTokensFile,
    apiTokens,
    insecureNoAuth: flags.insecureNoAuth === true,
    dryRun: flags.dryRun === true,
    concurrency,
    webhookRetention: { maxAgeMs, maxCount },
  };
}
