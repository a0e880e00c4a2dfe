/**
 * What a query can name besides the ASIM table and its parsers: the catalog of one compilation.
 *
 * - `tables`: tables Sentinel content may read (a solution's `_CL` summary tables), each with its schema and whether
 *   the store holds it. The binder knows the ones the store holds; one it lacks is Kusto's "unknown table": an
 *   error, except as a leg of `union isfuzzy=true`, which is dropped before binding (build.ts).
 * - `functions`: stored functions (parsers), declared by their KQL body and expanded like `let` functions.
 * - `watchlists`: what `_GetWatchlist('alias')` returns (src/watchlists/).
 *
 * A compiled plan depends on the catalog (watchlist rows are literals of the plan, and a fuzzy union's legs depend on
 * which tables exist), so plan caches key on `catalogFingerprint`.
 */
import { createHash } from 'node:crypto';
import type { WatchlistSet } from '../watchlists/watchlist.js';
import type { Column } from './types.js';

export interface CatalogTable {
  readonly name: string;
  readonly columns: readonly Column[];
  /** The store holds this table. */
  readonly present: boolean;
  /**
   * Microseconds between a row's `TimeGenerated` and the moment it is written, when that is fixed: a summary bin's
   * row is stamped with the bin's start and written when the bin is due (binSize + binDelay later). A rule run at
   * `now` then reads only rows written by `now`, as in Sentinel, even when the store already holds later ones (a
   * catch-up, or `smbwatch summarize` run past `--at`).
   */
  readonly writtenAfter?: number;
}

export interface CatalogFunction {
  readonly name: string;
  /** Kusto parameter list, e.g. `(starttime:datetime=datetime(null))`; `()` for none. */
  readonly parameters: string;
  /** The body, braces included: `{ union isfuzzy=true A, B }`. */
  readonly body: string;
}

export interface Catalog {
  readonly tables: readonly CatalogTable[];
  readonly functions: readonly CatalogFunction[];
  readonly watchlists: WatchlistSet;
}

export const EMPTY_CATALOG: Catalog = { tables: [], functions: [], watchlists: new Map() };

/** What the binder sees of a catalog: names and types only (watchlist rows do not change binding). */
export function catalogSchemaKey(catalog: Catalog): string {
  return JSON.stringify([
    catalog.tables.map((t) => [t.name, t.present, t.columns.map((c) => [c.name, c.type])]),
    catalog.functions.map((f) => [f.name, f.parameters, f.body]),
    [...catalog.watchlists.values()].map((w) => [w.alias, w.columns]),
  ]);
}

/** Everything a compiled plan depends on: schemas, which tables exist, and the watchlists' contents. */
export function catalogFingerprint(catalog: Catalog): string {
  const hash = createHash('sha256');
  hash.update(catalogSchemaKey(catalog));
  hash.update(JSON.stringify(catalog.tables.map((t) => t.writtenAfter ?? 0)));
  for (const w of catalog.watchlists.values()) hash.update(JSON.stringify([w.alias, w.searchKey, w.rows, w.updatedMicros]));
  return hash.digest('hex');
}

export function catalogTable(catalog: Catalog | undefined, name: string): CatalogTable | undefined {
  return catalog?.tables.find((t) => t.name === name);
}

export function catalogFunction(catalog: Catalog | undefined, name: string): CatalogFunction | undefined {
  return catalog?.functions.find((f) => f.name === name);
}
