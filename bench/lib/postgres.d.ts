export const PG_USER: string;
export const PG_PASSWORD: string;
export function postgresBin(): string;
export interface PostgresCluster {
  port: number;
  /** A URL without the password, for database `db`. */
  url(db?: string): string;
  /** Creates a fresh database and returns its name. */
  createDatabase(prefix?: string): string;
  /** Runs SQL as the superuser (psql -XAtq), returning its output. */
  psql(sql: string, db?: string): string;
  startServer(): void;
  /** Stops the server at once, as a crash would. */
  stopServer(): void;
  stop(): void;
}
export function startPostgresCluster(dir: string, port: number): PostgresCluster;
