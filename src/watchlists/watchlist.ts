/**
 * Sentinel watchlists as smbwatch holds them: named tables of text that queries read with `_GetWatchlist('alias')`.
 *
 * Sentinel stores each item as a property bag of strings (the CSV row) plus a `SearchKey`: the value of the column
 * chosen as the watchlist's search key when it was created (learn.microsoft.com/azure/sentinel/watchlists-queries).
 * `_GetWatchlist` returns `_DTItemId`, `LastUpdatedTimeUTC`, `SearchKey`, `WatchlistItem` (the bag) and then one
 * string column per CSV column — the schema Microsoft's own query tooling declares for it (bag_unpack of string
 * slots gives string columns).
 */
import { uuidV5 } from '../alerts/id.js';

export interface Watchlist {
  /** The name queries use: `_GetWatchlist('alias')`. */
  readonly alias: string;
  /** The CSV column whose value is each item's `SearchKey`. */
  readonly searchKey: string;
  /** CSV columns in file order. */
  readonly columns: readonly string[];
  /** One array of values per item, in column order. */
  readonly rows: ReadonlyArray<readonly string[]>;
  /** Where it came from: a file path, or `builtin:<file>`. */
  readonly source: string;
  /** When the file was last changed, in microseconds since the epoch; null for the built-in watchlists. */
  readonly updatedMicros: number | null;
}

/** The columns `_GetWatchlist` returns before the watchlist's own (each a string). */
export const WATCHLIST_FIXED_COLUMNS = [
  { name: '_DTItemId', type: 'string' },
  { name: 'LastUpdatedTimeUTC', type: 'datetime' },
  { name: 'SearchKey', type: 'string' },
  { name: 'WatchlistItem', type: 'dynamic' },
] as const;

/** `_GetWatchlist`'s result columns for this watchlist, as [name, Kusto type]. */
export function watchlistColumns(watchlist: Watchlist): Array<{ name: string; type: string }> {
  const fixed = new Set<string>(WATCHLIST_FIXED_COLUMNS.map((c) => c.name));
  return [
    ...WATCHLIST_FIXED_COLUMNS,
    ...watchlist.columns.filter((c) => !fixed.has(c)).map((name) => ({ name, type: 'string' })),
  ];
}

export type WatchlistValue = string | number | null | Record<string, string>;

/** `_GetWatchlist`'s rows: values in the order of `watchlistColumns`. */
export function watchlistRows(watchlist: Watchlist): WatchlistValue[][] {
  const keyIndex = watchlist.columns.indexOf(watchlist.searchKey);
  const fixed = new Set<string>(WATCHLIST_FIXED_COLUMNS.map((c) => c.name));
  return watchlist.rows.map((row, index) => {
    const item: Record<string, string> = {};
    watchlist.columns.forEach((column, i) => (item[column] = row[i] ?? ''));
    return [
      itemId(watchlist, index),
      watchlist.updatedMicros,
      row[keyIndex] ?? '',
      item,
      ...watchlist.columns.flatMap((column, i) => (fixed.has(column) ? [] : [row[i] ?? ''])),
    ];
  });
}

/** A stable item id (Sentinel's are GUIDs): the same watchlist content gives the same ids. */
function itemId(watchlist: Watchlist, index: number): string {
  return uuidV5(JSON.stringify(['watchlist-item', watchlist.alias, index, watchlist.rows[index]]));
}

/** Aliases are matched as Sentinel matches them: exactly, case included. */
export type WatchlistSet = ReadonlyMap<string, Watchlist>;
