/**
 * A real PostgreSQL cluster for the tests (bench/lib/postgres.js: Debian's packages, 127.0.0.1
 * only, password authentication), in a scratch folder, registered so the leak guard sees one left
 * running; `stop()` stops it and removes the folder.
 */
import { PG_PASSWORD, startPostgresCluster, type PostgresCluster } from '../../bench/lib/postgres';
import { track } from './live-resources';
import { freePort } from './sshd';
import { makeTempDir, removeTempDir } from './temp-dir';

export { PG_PASSWORD };

export type TestPostgres = PostgresCluster;

export async function startPostgres(name = 'pg'): Promise<TestPostgres> {
  const dir = makeTempDir(name);
  const cluster = startPostgresCluster(dir, await freePort());
  const untrack = track(`PostgreSQL on 127.0.0.1:${cluster.port}`, () => stop());
  const stop = () => {
    cluster.stop();
    removeTempDir(dir);
    untrack();
  };
  return { ...cluster, stop };
}
