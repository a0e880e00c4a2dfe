/**
 * The catalog a rule compiles against (src/kql/catalog.ts), from what a store holds: the summary tables, the
 * solution's custom tables (only when a user loaded them), the solution's functions, and the watchlists (built-in
 * and the user's `--watchlists DIR`). A compiled plan depends on it: plan keys carry its fingerprint.
 */
import { builtinWatchlists, watchlistSet } from '../watchlists/load.js';
import type { WatchlistSet } from '../watchlists/watchlist.js';
import type { Catalog, CatalogTable } from '../kql/catalog.js';
import type { Store } from '../store/engine.js';
import { builtinSummaryRules } from './rule.js';
import { SUMMARY_FIELDS, SUMMARY_TABLES } from './tables.js';
import { CUSTOM_ANALYTICS_COLUMNS, CUSTOM_ANALYTICS_TABLES, essentialsFunctions } from './solution.js';

export { SUMMARY_TABLES } from './tables.js';

/** The catalog given the `_CL` tables a store holds and the watchlists. */
export function essentialsCatalog(present: ReadonlySet<string>, watchlists: WatchlistSet): Catalog {
  const tables: CatalogTable[] = [
    ...[...SUMMARY_TABLES].map(([name, columns]) => ({
      name,
      columns: [...columns, ...SUMMARY_FIELDS],
      present: present.has(name),
      ...writtenAfter(name),
    })),
    ...CUSTOM_ANALYTICS_TABLES.map((name) => ({ name, columns: CUSTOM_ANALYTICS_COLUMNS, present: present.has(name) })),
  ];
  return { tables, functions: essentialsFunctions(present), watchlists };
}

/** A summary table's rows are stamped with their bin's start and written when the bin is due (src/summaries/run.ts). */
function writtenAfter(table: string): { writtenAfter?: number } {
  const rule = builtinSummaryRules().find((r) => r.destinationTable === table);
  return rule ? { writtenAfter: (rule.binSize + rule.binDelay) * 60_000_000 } : {};
}

let defaultMemo: Catalog | undefined;

/**
 * The catalog of a store without summary tables and of the built-in watchlists only: the one the shipped plans are
 * compiled with (rules/cache/shipped.ts) and the one tests and checks use.
 */
export function defaultCatalog(): Catalog {
  defaultMemo ??= essentialsCatalog(new Set(), new Map(builtinWatchlists().map((w) => [w.alias, w])));
  return defaultMemo;
}

/** The catalog of a store: the summary tables it holds, and the watchlists (built-in, then `watchlistsPath`). */
export async function storeCatalog(store: Store, watchlistsPath?: string): Promise<Catalog> {
  const present = new Set(store.summaries ? await store.summaries.names() : []);
  if (present.size === 0 && watchlistsPath === undefined) return defaultCatalog();
  return essentialsCatalog(present, watchlistSet(watchlistsPath));
}
