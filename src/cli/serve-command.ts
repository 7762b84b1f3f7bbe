import { readFileSync } from 'node:fs';
import { LOOPBACK_NAMES } from '../http/loopback-host-only';
import { createLogger } from '../server/create-logger';
import { startServer } from '../server/start-server';
import { readServeSettings, readSettings, type ServeFlags } from '../settings/read-settings';
import type { CliDeps } from './cli-deps';
import type { CliIo } from './cli-io';
import { defaultTransports } from './default-transports';
import { isPostgresUrl } from '../store/db-url';
import { redactDbUrl } from '../store/pg/open-pg-store';

export interface ServeCliFlags extends ServeFlags {
  config?: string;
  plugins?: string;
}

/** `rune serve`: runs until SIGTERM/SIGINT; SIGHUP reloads the rules (an invalid file keeps the old ones). */
export async function serveCommand(o: ServeCliFlags, io: CliIo, deps: CliDeps): Promise<number> {
  const settings = readSettings({ config: o.config, plugins: o.plugins }, io.env);
  const serve = readServeSettings(o, io.env, (p) => readFileSync(p, 'utf8'));
  const log = deps.createLogger?.() ?? createLogger();
  if (serve.insecureNoAuth) {
    io.stderr(
      'rune: WARNING: --insecure-no-auth: every webhook, API endpoint and dashboard page accepts anyone, as admin. ' +
        `Only requests to ${LOOPBACK_NAMES} are answered (against DNS rebinding). ` +
        'Never use this outside a local experiment.\n',
    );
  }
  const server = await startServer({
    settings,
    serve,
    log,
    createTransports: deps.createTransports ?? defaultTransports,
  });
  const dry = serve.dryRun ? ', DRY RUN: no node is contacted' : '';
  const db = isPostgresUrl(serve.dbPath) ? redactDbUrl(serve.dbPath) : serve.dbPath;
  io.stderr(`rune: serving on ${server.url} (rules ${settings.configPath}, database ${db}${dry})\n`);
  log.info({ url: server.url, public_url: serve.publicUrl, db, dry_run: serve.dryRun }, 'listening');
  return new Promise<number>((resolve) => {
    const onHup = () => void server.reload();
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down: no new work; running jobs may finish');
      process.off('SIGHUP', onHup);
      void server.close(serve.shutdownGraceMs).then(() => {
        resolve(0);
        // A plugin cut off at the bound may still hold the event loop (its child process); its job
        // is already recorded as interrupted, so leave now rather than when it ends.
        setTimeout(() => process.exit(0), 200).unref();
      });
    };
    process.on('SIGHUP', onHup);
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
