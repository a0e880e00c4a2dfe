/**
 * Options shared by several commands.
 */
import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_DB, QUERY_ENGINES } from '../store/engines.js';

export { DEFAULT_DB };

export function dbOption(): Option {
  return new Option(
    '--db <path|url>',
    'the store: a DuckDB file, or clickhouse://[user[:password]@]host[:port]/database[?cluster=NAME] (env SMBWATCH_DB)',
  ).default(undefined, `$SMBWATCH_DB or ${DEFAULT_DB}`);
}

/** `--engine`: the SQL engine that runs KQL; default the store's own. */
export function engineOption(): Option {
  return new Option('--engine <engine>', "SQL engine for the query: the store's own (default), or clickhouse (embedded chdb) over a DuckDB store's records").choices([
    ...QUERY_ENGINES,
  ]);
}

/** --memory-limit: DuckDB's memory limit for the command (larger work spills to disk instead of growing). */
export function memoryLimitOption(what: string): Option {
  return new Option('--memory-limit <size>', `DuckDB's memory limit for this ${what}, e.g. 2GB (default: DuckDB's, 80% of RAM)`).argParser(
    (value: string) => {
      if (!/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(value)) {
        throw new InvalidArgumentError(`must be a size such as 512MB or 2GB, got "${value}"`);
      }
      return value;
    },
  );
}

/** `--watchlists`: user watchlists for `_GetWatchlist('alias')`, besides the built-in ones. */
export function watchlistsOption(): Option {
  return new Option(
    '--watchlists <dir>',
    "user watchlists for _GetWatchlist('alias'): a directory of CSV files (file name = alias, first column = search key) or Sentinel watchlist JSON; they add to or replace the built-in ones",
  );
}
