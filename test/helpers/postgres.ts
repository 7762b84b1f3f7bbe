/**
 * A real PostgreSQL cluster for the tests, from Debian's packages (scripts/install-test-deps.sh
 * installs `postgresql`): initdb in a scratch folder, listening on 127.0.0.1 only (and a socket in
 * that folder), password authentication, stopped and removed by `stop()`. PostgreSQL refuses to
 * run as root, so under root the server runs as the `postgres` user the package creates.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { track } from './live-resources';
import { freePort } from './sshd';
import { makeTempDir, removeTempDir } from './temp-dir';

export const PG_USER = 'rune';
export const PG_PASSWORD = 'rune-test-password';

export interface TestPostgres {
  port: number;
  /** A URL without the password (RUNE_DB), for database `db`. */
  url(db?: string): string;
  /** A URL with the password in it. */
  urlWithPassword(db?: string): string;
  /** Creates a fresh database and returns its name. */
  createDatabase(prefix?: string): string;
  /** Runs SQL as the superuser (psql), returning its output. */
  psql(sql: string, db?: string): string;
  /** Stops the server at once (as a crash would), then starts it again on the same port. */
  restart(): void;
  stopServer(): void;
  startServer(): void;
  stop(): void;
}

/** The folder of PostgreSQL's server programs (the newest installed version). */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest)
    throw new Error('PostgreSQL is not installed: run scripts/install-test-deps.sh (Debian package postgresql)');
  return join(root, newest, 'bin');
}

let counter = 0;

export async function startPostgres(name = 'pg'): Promise<TestPostgres> {
  const bin = postgresBin();
  const dir = makeTempDir(name);
  const data = join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  const run = (cmd: string, args: string[]) => {
    const full = asRoot ? ['-u', 'postgres', '--', join(bin, cmd), ...args] : args;
    const r = spawnSync(asRoot ? 'runuser' : join(bin, cmd), full, { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${PG_PASSWORD}\n`);
  if (asRoot) {
    const ids = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
    const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
    chownSync(dir, Number(ids), Number(gid));
    chownSync(pwfile, Number(ids), Number(gid));
  }
  chmodSync(pwfile, 0o600);
  run('initdb', ['-D', data, '-U', PG_USER, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const options = [
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    `-p ${port}`,
    // No fsync: a test machine's crash is not a case; a killed server still finds every commit.
    '-c fsync=off',
    '-c max_connections=100',
  ].join(' ');
  const startServer = () =>
    run('pg_ctl', ['-D', data, '-o', options, '-w', '-t', '60', '-l', join(dir, 'log'), 'start']);
  const stopServer = () => run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  startServer();
  const untrack = track(`PostgreSQL on 127.0.0.1:${port}`, () => result.stop());
  const env = { ...process.env, PGPASSWORD: PG_PASSWORD };
  const psql = (sql: string, db = 'postgres') =>
    execFileSync('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', PG_USER, '-d', db, '-XAtq', '-c', sql], {
      encoding: 'utf8',
      env,
      timeout: 30_000,
    });
  let stopped = false;
  const result: TestPostgres = {
    port,
    url: (db = 'postgres') => `postgres://${PG_USER}@127.0.0.1:${port}/${db}`,
    urlWithPassword: (db = 'postgres') => `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/${db}`,
    createDatabase(prefix = 't') {
      const db = `${prefix}_${process.pid}_${++counter}`;
      psql(`CREATE DATABASE ${db}`);
      return db;
    },
    psql,
    restart() {
      stopServer();
      startServer();
    },
    stopServer,
    startServer,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        stopServer();
      } catch {
        // already stopped
      }
      removeTempDir(dir);
      untrack();
    },
  };
  return result;
}
