/**
 * Options shared by several commands.
 */
import { resolve } from 'node:path';
import { Option } from 'commander';

export const DEFAULT_DB = './smbwatch.duckdb';

export function dbOption(): Option {
  return new Option('--db <path>', 'DuckDB database file (env SMBWATCH_DB)').default(undefined, `$SMBWATCH_DB or ${DEFAULT_DB}`);
}

/** The database path: --db, else $SMBWATCH_DB, else ./smbwatch.duckdb. */
export function resolveDbPath(given: string | undefined): string {
  return resolve(given ?? process.env.SMBWATCH_DB ?? DEFAULT_DB);
}
