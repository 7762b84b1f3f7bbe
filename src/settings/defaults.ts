/**
 * Every default of RUNE's settings, written once (docs/configuration.md, Settings). The readers in
 * read-settings.ts apply them and the CLI's help texts quote them, so the two cannot disagree.
 */
export const DEFAULTS = {
  /** --config / RUNE_CONFIG; when this file does not exist, the embedded defaults apply. */
  config: './rules.yaml',
  /** --plugins / RUNE_PLUGINS_DIR: this folder when it exists, else the core plugins shipped with RUNE. */
  plugins: './plugins',
  /** --db / RUNE_DB. */
  db: './data/rune.db',
  /** RUNE_LEASE: a replica silent this long is dead; its queued work is taken over (PostgreSQL). */
  lease: '15s',
  /** --listen / RUNE_LISTEN: loopback; exposing RUNE must be a decision. */
  listen: '127.0.0.1:9095',
  /** RUNE_PAGERDUTY_API_URL. */
  pagerdutyApiUrl: 'https://api.pagerduty.com',
  /** RUNE_PAGERDUTY_EVENTS_URL: where escalations go (Events API v2). */
  pagerdutyEventsUrl: 'https://events.pagerduty.com',
  /** RUNE_WEBHOOK_RETENTION: how long stored notifications are kept for `rune rules replay`. */
  webhookRetention: '7d',
  /** RUNE_WEBHOOK_RETENTION_COUNT: at most this many stored notifications. */
  webhookRetentionCount: 100_000,
  /** rune serve --concurrency: jobs running at once. */
  serveConcurrency: 10,
  /** RUNE_VERIFY_INTERVAL: how often pending verifications ask Alertmanager / Prometheus. */
  verifyInterval: '30s',
  /** rune serve --shutdown-grace: how long running jobs may finish after SIGTERM. */
  shutdownGrace: '30s',
} as const;
