/**
 * Reads of what the catalog holds (src/kql/catalog.ts): its tables, and `_GetWatchlist('alias')`. Stored functions
 * need nothing here: the builder expands them like `let` functions.
 *
 * A table the store lacks is not declared to the binder at all, so it is Kusto's unknown table: an error, except in a
 * leg of `union isfuzzy=true`, which build.ts drops before binding (as Kusto reduces the union to the tables that exist).
 */
import { watchlistRows } from '../../watchlists/watchlist.js';
import { catalogTable } from '../catalog.js';
import { and, call, col, lit, type Expr, type Rel } from '../ir.js';
import { callArguments, constantOf, type KNode } from '../kusto.js';
import type { Column } from '../types.js';
import { spanOf, type BuildOptions } from './context.js';

/**
 * A read of any table, limited to a rule's look-back when the table has `TimeGenerated` (Sentinel applies a
 * scheduled rule's query period to every table it reads). With `writtenAfter`, rows not yet written at `now` are left
 * out too (a summary bin that ends after `now`).
 */
export function timeBoundedScan(table: string, columns: readonly Column[], options: BuildOptions, node?: KNode, writtenAfter = 0): Rel {
  const span = node ? spanOf(node) : undefined;
  const scan: Rel = { k: 'scan', table, columns, ...(span ? { span } : {}) };
  const { lookback, now } = options;
  if (lookback === undefined || !columns.some((c) => c.name === 'TimeGenerated' && c.type === 'datetime')) return scan;
  const time = col('TimeGenerated', 'datetime');
  const predicate = and(call('ge', 'bool', time, lit(now - lookback, 'datetime')), call('le', 'bool', time, lit(now - writtenAfter, 'datetime')));
  return { k: 'filter', input: scan, columns, predicate };
}

/** A catalog table by name: its (time-bounded) read. The binder only knows the tables the store holds. */
export function catalogScan(name: string, columns: readonly Column[], options: BuildOptions, node: KNode): Rel | undefined {
  const table = catalogTable(options.catalog, name);
  if (!table?.present) return undefined;
  return timeBoundedScan(name, columns, options, node, table.writtenAfter);
}

/**
 * `_GetWatchlist('alias')`: the watchlist's items as rows (a datatable of literals), in the columns the binder
 * gave the call. The alias must be a constant, as in every Sentinel rule.
 */
export function watchlistRelation(node: KNode, columns: readonly Column[], options: BuildOptions, unsupported: (what: string, at?: KNode) => never): Rel {
  const [argument] = callArguments(node);
  const alias = argument ? constantOf(argument.value)?.value : undefined;
  if (typeof alias !== 'string') return unsupported('_GetWatchlist with a computed alias (give it as a string literal)', argument?.value);
  const watchlist = options.catalog?.watchlists.get(alias);
  if (!watchlist) {
    const known = [...(options.catalog?.watchlists.keys() ?? [])];
    return unsupported(`_GetWatchlist('${alias}'): no such watchlist (known: ${known.join(', ') || 'none'}; add one with --watchlists DIR)`, argument?.value);
  }
  const rows: Expr[][] = watchlistRows(watchlist).map((values) =>
    columns.map((c, i) => {
      const value = values[i] ?? null;
      if (c.type === 'datetime') return lit(typeof value === 'number' ? value : null, 'datetime');
      if (c.type === 'dynamic') return lit(value as Record<string, string>, 'dynamic');
      return lit(typeof value === 'string' ? value : '', 'string');
    }),
  );
  return { k: 'datatable', columns, rows, span: spanOf(node) };
}
