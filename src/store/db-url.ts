/** RUNE_DB names PostgreSQL (a `postgres://` or `postgresql://` URL) rather than a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}
