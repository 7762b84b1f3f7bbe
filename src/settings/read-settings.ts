import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { RuneError } from '../core/errors';
import { parseDuration } from '../util/duration';
import { DEFAULTS } from './defaults';
import { listenUrl, parseListen } from './parse-listen';

// The one module that reads RUNE_* variables (docs/configuration.md, Settings, lists each once).
// Every reader is pure: flags, the environment and the look-ups passed in → settings, validated.
// An empty variable counts as unset; a value that cannot be used is a USAGE error naming the
// variable (or flag) and the value.

/** What every command that loads rules or runs plugins needs. */
export interface Settings {
  configPath: string;
  /** True when the user named the config (flag or RUNE_CONFIG): then it must exist. */
  configExplicit: boolean;
  pluginsDir: string;
  sshKey: string | undefined;
  sshAgent: string | undefined;
  knownHosts: string;
  fallbackUser: string;
  /** RUNE_SSM_OUTPUT_S3_BUCKET: SSM keeps the full output there (docs/transports.md). */
  ssmOutputS3Bucket: string | undefined;
}

/** `rune serve`'s own settings, beside Settings. */
export interface ServeSettings {
  host: string;
  port: number;
  publicUrl: string;
  dbPath: string;
  /** RUNE_DB_PASSWORD(_FILE): PostgreSQL's password, when RUNE_DB's URL has none. */
  dbPassword: string | null;
  /** RUNE_LEASE: how long a replica that stopped renewing its lease counts as alive (PostgreSQL). */
  leaseMs: number;
  webhookTokens: { name: string; token: string }[];
  pagerdutySecrets: string[];
  pagerdutyToken: string | null;
  pagerdutyApiUrl: string;
  /** RUNE_API_TOKENS_FILE, read (and checked) at start and on reload; null: no tokens, the API refuses all. */
  apiTokensFile: string | null;
  insecureNoAuth: boolean;
  dryRun: boolean;
  concurrency: number;
  /** How long and how many webhook notifications are kept for `rune rules replay`. */
  webhookRetention: { maxAgeMs: number; maxCount: number };
  /** On SIGTERM, how long running jobs may finish before they are marked interrupted. */
  shutdownGraceMs: number;
  /** RUNE_ALERTMANAGER_URL: Alertmanager(s) RUNE asks about alerts (one, or an HA pair, comma-separated). */
  alertmanagerUrls: string[];
  /** RUNE_PROMETHEUS_URL: where `verify.query` runs; null: nowhere. */
  prometheusUrl: string | null;
  /** RUNE_VERIFY_INTERVAL: how often pending verifications look (ms). */
  verifyIntervalMs: number;
  /** RUNE_PAGERDUTY_ROUTING_KEY(_FILE): the Events API v2 integration key escalations use; null: none. */
  pagerdutyRoutingKey: string | null;
  /** RUNE_PAGERDUTY_EVENTS_URL. */
  pagerdutyEventsUrl: string;
}

export interface ServeFlags {
  listen?: string | undefined;
  publicUrl?: string | undefined;
  db?: string | undefined;
  insecureNoAuth?: boolean | undefined;
  dryRun?: boolean | undefined;
  concurrency?: string | undefined;
  shutdownGrace?: string | undefined;
}

/** Where the commands that talk to a running `rune serve` send their requests. */
export interface ServerTarget {
  url: string;
  /** A token from `rune tokens add`, or undefined: the server then answers 401. */
  token: string | undefined;
}

export interface Lookups {
  exists: (path: string) => boolean;
  home: () => string;
  user: () => string;
}

const REAL_LOOKUPS: Lookups = { exists: existsSync, home: homedir, user: () => userInfo().username };

/** Where RUNE's own plugins live: `plugins/` beside `dist/` or `src/`. */
export const BUNDLED_PLUGINS_DIR = resolve(__dirname, '..', '..', 'plugins');

const q = (v: string) => JSON.stringify(v);
const usage = (message: string) => new RuneError('USAGE', message);

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** A flag wins over its variable; `from` names whichever gave the value, for errors. */
function pick(
  flag: string,
  flagValue: string | undefined,
  variable: string,
  env: NodeJS.ProcessEnv,
): { value: string; from: string } | undefined {
  if (flagValue !== undefined) return { value: flagValue, from: flag };
  const v = nonEmpty(env[variable]);
  return v === undefined ? undefined : { value: v, from: variable };
}

function httpUrl(value: string, from: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw usage(`${from} must be an http:// or https:// URL, got ${q(value)}`);
  return value.replace(/\/+$/, '');
}

/** Settings for every command that loads rules.yaml or the plugins (run, actions, rules, serve). */
export function readSettings(
  flags: { config?: string | undefined; plugins?: string | undefined },
  env: NodeJS.ProcessEnv,
  look: Lookups = REAL_LOOKUPS,
): Settings {
  const configFromUser = flags.config ?? nonEmpty(env.RUNE_CONFIG);
  const pluginsFromUser = flags.plugins ?? nonEmpty(env.RUNE_PLUGINS_DIR);
  return {
    configPath: configFromUser ?? DEFAULTS.config,
    configExplicit: configFromUser !== undefined,
    // ./plugins when present (an operator's own set), else the core plugins shipped with RUNE.
    pluginsDir: pluginsFromUser ?? (look.exists(DEFAULTS.plugins) ? DEFAULTS.plugins : BUNDLED_PLUGINS_DIR),
    sshKey: nonEmpty(env.RUNE_SSH_KEY),
    sshAgent: nonEmpty(env.SSH_AUTH_SOCK),
    knownHosts: nonEmpty(env.RUNE_SSH_KNOWN_HOSTS) ?? join(look.home(), '.ssh', 'known_hosts'),
    fallbackUser: nonEmpty(env.RUNE_SSH_USER) ?? look.user(),
    ssmOutputS3Bucket: nonEmpty(env.RUNE_SSM_OUTPUT_S3_BUCKET),
  };
}

/** `--db`, else RUNE_DB, else the default: the service's database (serve, rules test, rules replay). */
export function readDbPath(flags: { db?: string | undefined }, env: NodeJS.ProcessEnv): string {
  return flags.db ?? nonEmpty(env.RUNE_DB) ?? DEFAULTS.db;
}

/** `--file`, else RUNE_API_TOKENS_FILE: the tokens file `rune serve` reads; null when neither is set. */
export function readTokensFilePath(flags: { file?: string | undefined }, env: NodeJS.ProcessEnv): string | null {
  return flags.file ?? nonEmpty(env.RUNE_API_TOKENS_FILE) ?? null;
}

/** The address `rune serve` is reached at: --public-url, else RUNE_PUBLIC_URL, else its listen address. */
function publicUrl(flagValue: string | undefined, listen: { host: string; port: number }, env: NodeJS.ProcessEnv) {
  const given = pick('--public-url', flagValue, 'RUNE_PUBLIC_URL', env);
  return given ? httpUrl(given.value, given.from) : listenUrl(listen);
}

function readListen(flagValue: string | undefined, env: NodeJS.ProcessEnv): { host: string; port: number } {
  const given = pick('--listen', flagValue, 'RUNE_LISTEN', env);
  return given ? parseListen(given.value, given.from) : parseListen(DEFAULTS.listen);
}

/**
 * The running RUNE for pause, resume, breaker, guards and jobs: --server (alias --url), else
 * RUNE_PUBLIC_URL, else the address of RUNE_LISTEN (default 127.0.0.1:9095); the token from
 * --token, else RUNE_TOKEN, else RUNE_API_TOKEN.
 */
export function readServerTarget(
  flags: { server?: string | undefined; url?: string | undefined; token?: string | undefined },
  env: NodeJS.ProcessEnv,
): ServerTarget {
  const server = flags.server !== undefined ? '--server' : '--url';
  const url =
    (flags.server ?? flags.url) !== undefined
      ? httpUrl((flags.server ?? flags.url) as string, server)
      : publicUrl(undefined, readListen(undefined, env), env);
  return { url, token: flags.token ?? nonEmpty(env.RUNE_TOKEN) ?? nonEmpty(env.RUNE_API_TOKEN) };
}

/**
 * `rune serve`'s settings. Secrets come from `X` or `X_FILE` (never both), read through `readFile`;
 * a named file that cannot be read is an error, not an open endpoint.
 */
export function readServeSettings(
  flags: ServeFlags,
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
): ServeSettings {
  const secret = (name: string, fileName: string): string | null => {
    const inline = nonEmpty(env[name]);
    const file = nonEmpty(env[fileName]);
    if (inline && file) throw usage(`set ${name} or ${fileName}, not both`);
    if (file) {
      try {
        return readFile(file).trim();
      } catch (err) {
        const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        throw usage(`cannot read ${fileName} ${q(file)}: ${why}`);
      }
    }
    return inline ? inline.trim() : null;
  };
  const listen = readListen(flags.listen, env);
  const webhook = secret('RUNE_WEBHOOK_TOKEN', 'RUNE_WEBHOOK_TOKEN_FILE');
  const pdSecrets = (secret('RUNE_PAGERDUTY_SECRETS', 'RUNE_PAGERDUTY_SECRETS_FILE') ?? '')
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
  const pdApiUrl = nonEmpty(env.RUNE_PAGERDUTY_API_URL);
  return {
    host: listen.host,
    port: listen.port,
    publicUrl: publicUrl(flags.publicUrl, listen, env),
    dbPath: readDbPath(flags, env),
    dbPassword: secret('RUNE_DB_PASSWORD', 'RUNE_DB_PASSWORD_FILE'),
    leaseMs: lease(env),
    webhookTokens: webhook ? [{ name: 'alertmanager', token: webhook }] : [],
    pagerdutySecrets: pdSecrets,
    pagerdutyToken: secret('RUNE_PAGERDUTY_TOKEN', 'RUNE_PAGERDUTY_TOKEN_FILE'),
    pagerdutyApiUrl: pdApiUrl ? httpUrl(pdApiUrl, 'RUNE_PAGERDUTY_API_URL') : DEFAULTS.pagerdutyApiUrl,
    // NAME ROLE sha256:<hex> [actions=…] [nodes=…] per line (docs/security.md), read by the server.
    apiTokensFile: nonEmpty(env.RUNE_API_TOKENS_FILE) ?? null,
    insecureNoAuth: flags.insecureNoAuth === true,
    dryRun: flags.dryRun === true,
    concurrency: serveConcurrency(flags.concurrency),
    webhookRetention: webhookRetention(env),
    shutdownGraceMs: shutdownGrace(flags.shutdownGrace),
    alertmanagerUrls: (nonEmpty(env.RUNE_ALERTMANAGER_URL) ?? '')
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean)
      .map((u) => httpUrl(u, 'RUNE_ALERTMANAGER_URL')),
    prometheusUrl: optionalUrl(env.RUNE_PROMETHEUS_URL, 'RUNE_PROMETHEUS_URL'),
    verifyIntervalMs: verifyInterval(env),
    pagerdutyRoutingKey: secret('RUNE_PAGERDUTY_ROUTING_KEY', 'RUNE_PAGERDUTY_ROUTING_KEY_FILE'),
    pagerdutyEventsUrl:
      optionalUrl(env.RUNE_PAGERDUTY_EVENTS_URL, 'RUNE_PAGERDUTY_EVENTS_URL') ?? DEFAULTS.pagerdutyEventsUrl,
  };
}

function optionalUrl(value: string | undefined, from: string): string | null {
  const v = nonEmpty(value);
  return v === undefined ? null : httpUrl(v, from);
}

function verifyInterval(env: NodeJS.ProcessEnv): number {
  const given = nonEmpty(env.RUNE_VERIFY_INTERVAL);
  const ms = parseDuration(given ?? DEFAULTS.verifyInterval);
  if (ms === undefined || ms < 100 || ms > 3_600_000)
    throw usage(`RUNE_VERIFY_INTERVAL must be a duration from 100ms to 1h like 30s, got ${q(given ?? '')}`);
  return ms;
}

function serveConcurrency(flag: string | undefined): number {
  if (flag === undefined) return DEFAULTS.serveConcurrency;
  const n = Number(flag);
  if (!/^\d+$/.test(flag) || n < 1 || n > 1000)
    throw usage(`--concurrency must be an integer from 1 to 1000, got ${q(flag)}`);
  return n;
}

function shutdownGrace(flag: string | undefined): number {
  const ms = parseDuration(flag ?? DEFAULTS.shutdownGrace);
  if (ms === undefined) throw usage(`--shutdown-grace ${q(flag ?? '')} is not a duration like 30s or 2m`);
  return ms;
}

function lease(env: NodeJS.ProcessEnv): number {
  const value = nonEmpty(env.RUNE_LEASE);
  const ms = parseDuration(value ?? DEFAULTS.lease);
  if (ms === undefined || ms < 1000 || ms > 600_000)
    throw usage(`RUNE_LEASE must be a duration from 1s to 10m, like 15s, got ${q(value ?? '')}`);
  return ms;
}

function webhookRetention(env: NodeJS.ProcessEnv): ServeSettings['webhookRetention'] {
  const age = nonEmpty(env.RUNE_WEBHOOK_RETENTION);
  const maxAgeMs = parseDuration(age ?? DEFAULTS.webhookRetention);
  if (maxAgeMs === undefined || maxAgeMs <= 0)
    throw usage(`RUNE_WEBHOOK_RETENTION must be a duration like 7d or 36h, got ${q(age ?? '')}`);
  const count = nonEmpty(env.RUNE_WEBHOOK_RETENTION_COUNT);
  if (count !== undefined && !/^\d{1,9}$/.test(count))
    throw usage(`RUNE_WEBHOOK_RETENTION_COUNT must be a whole number (0 turns recording off), got ${q(count)}`);
  return { maxAgeMs, maxCount: count === undefined ? DEFAULTS.webhookRetentionCount : Number(count) };
}
