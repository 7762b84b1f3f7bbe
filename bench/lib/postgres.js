'use strict';
/**
 * A throw-away PostgreSQL cluster from Debian's packages (scripts/install-test-deps.sh installs
 * `postgresql`), for the tests (test/helpers/postgres.ts) and bench/ha: initdb in `dir`, listening
 * on 127.0.0.1 only (and a socket in `dir`), password authentication. PostgreSQL refuses to run as
 * root, so under root the server runs as the `postgres` user the package creates.
 */
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PG_USER = 'rune';
const PG_PASSWORD = 'rune-test-password';

/** The folder of PostgreSQL's server programs (the newest installed version). */
function postgresBin() {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest)
    throw new Error('PostgreSQL is not installed: run scripts/install-test-deps.sh (Debian package postgresql)');
  return path.join(root, newest, 'bin');
}

let counter = 0;

/** Starts a cluster in `dir` (which must exist and be empty) on `port`; see the returned methods. */
function startPostgresCluster(dir, port) {
  const bin = postgresBin();
  const data = path.join(dir, 'data');
  const asRoot = os.userInfo().uid === 0;
  const run = (cmd, args) => {
    const r = asRoot
      ? spawnSync('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args], {
          encoding: 'utf8',
          timeout: 60_000,
        })
      : spawnSync(path.join(bin, cmd), args, { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  const pwfile = path.join(dir, 'pw');
  fs.writeFileSync(pwfile, `${PG_PASSWORD}\n`, { mode: 0o600 });
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    fs.chownSync(dir, uid, gid);
    fs.chownSync(pwfile, uid, gid);
  }
  run('initdb', ['-D', data, '-U', PG_USER, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--no-sync', '-E', 'UTF8']);
  // No fsync: a test machine's crash is not a case; a killed server still finds every commit.
  const options = `-k ${dir} -c listen_addresses=127.0.0.1 -p ${port} -c fsync=off -c max_connections=100`;
  const startServer = () =>
    run('pg_ctl', ['-D', data, '-o', options, '-w', '-t', '60', '-l', path.join(dir, 'log'), 'start']);
  const stopServer = () => run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  startServer();
  const psql = (sql, db = 'postgres') =>
    execFileSync('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', PG_USER, '-d', db, '-XAtq', '-c', sql], {
      encoding: 'utf8',
      env: { ...process.env, PGPASSWORD: PG_PASSWORD },
      stdio: ['ignore', 'pipe', 'pipe'], // an error is thrown with its message, not printed
      timeout: 30_000,
    });
  let stopped = false;
  return {
    port,
    url: (db = 'postgres') => `postgres://${PG_USER}@127.0.0.1:${port}/${db}`,
    createDatabase(prefix = 't') {
      const db = `${prefix}_${process.pid}_${++counter}`;
      psql(`CREATE DATABASE ${db}`);
      return db;
    },
    psql,
    startServer,
    stopServer,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        stopServer();
      } catch {
        // already stopped
      }
    },
  };
}

module.exports = { PG_USER, PG_PASSWORD, postgresBin, startPostgresCluster };
