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

const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/** A size such as `500GB` or `2TiB` in bytes (KB = 1000 bytes, KiB = 1024, as DuckDB reads them). */
export function parseByteSize(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`must be a size such as 500GB or 2TiB, got "${value}"`);
  return Math.round(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!);
}

/** `--max-expansion`: how many times its compressed size a gzip or zip input may grow. */
export function parseExpansionRatio(value: string): number {
  const ratio = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(ratio >= 1)) throw new InvalidArgumentError(`must be a ratio of at least 1, such as 1000, got "${value}"`);
  return ratio;
}
