/**
 * The watcher's link to the KQL compiler: the rule engine's QueryRunner over the tick's store — through the plan
 * cache, so catching up many missed runs compiles each rule once — and a compile check at start-up.
 */
import { compileKql } from '../kql/compile.js';
import { cachedQueryRunner } from '../rules/cache/plan-cache.js';
import type { QueryRunner } from '../rules/evaluate.js';
import type { Store } from '../store/engine.js';
import type { Catalog } from '../kql/catalog.js';
import { defaultCatalog } from '../summaries/catalog.js';

export function storeQueryRunner(store: Store, catalog: Catalog = defaultCatalog()): QueryRunner {
  return cachedQueryRunner(store, store, store.dialect, catalog);
}

/** Compiles a query once, so a broken rule fails when the watcher starts rather than at its first run. */
export function checkCompiles(queryText: string, at: Date): void {
  compileKql(queryText, { engine: 'duckdb', now: at.getTime() * 1000, catalog: defaultCatalog() });
}
