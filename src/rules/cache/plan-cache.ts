/**
 * The compiled-plan cache: a rule that ran before does not pay Kusto.Language's start-up (≈1.3 s) again.
 *
 * What is cached is the query's template (template.ts: the IR with `now` symbolic), in the store's table
 * `smbwatch_plans`, keyed by a SHA-256 of
 *   - the query text after parameters (the parameter values are literals in it),
 *   - the look-back (the rule's queryPeriod, folded into the IR's scan filters),
 *   - the fingerprint: smbwatch's version, the ASIM schema (column names and types), and the text of the compiler
 *     itself (every module under kql/ and rules/cache/), so that a change to the compiler never serves an old plan
 *     even when the version number did not move.
 * (key.ts). Rows of another fingerprint are deleted when a plan is stored: the table holds the current compiler's
 * plans only. Before the store, the plans shipped with smbwatch are looked at (shipped.ts: the built-in rules',
 * compiled at build time). A plan is turned into SQL for the chosen engine at the run's instant without loading
 * Kusto.Language.
 */
import { compileKql, runCompiled, type CompiledQuery, type SqlRunner } from '../../kql/compile.js';
import type { DialectChoice } from '../../kql/compile.js';
import type { Catalog } from '../../kql/catalog.js';
import { defaultCatalog } from '../../summaries/catalog.js';
import type { Store } from '../../store/engine.js';
import type { Lookback, QueryRunner, TypedResult } from '../evaluate.js';
import { compilerFingerprint, planKey } from './key.js';
import { shippedPlan } from './shipped.js';
import { buildTemplate, instantiate, NotTemplatableError, type QueryTemplate } from './template.js';

export { compilerFingerprint, planKey } from './key.js';

export const PLANS_TABLE = 'smbwatch_plans';
const MICROS_PER_MS = 1000;

/**
 * Where a run's plan came from: shipped with smbwatch (a built-in rule's, compiled at build time), the store's cache,
 * a fresh compile that was cached, or a compile that cannot be cached.
 */
export type PlanOrigin = 'shipped' | 'cache' | 'compiled' | 'uncacheable';

export interface Plan {
  readonly origin: PlanOrigin;
  /** Absent when the query cannot be templated (it is then compiled for every instant). */
  readonly template?: QueryTemplate;
}

async function readPlan(store: Store, key: string): Promise<QueryTemplate | undefined> {
  const json = await store.plans.get(key);
  return json === undefined ? undefined : (JSON.parse(json) as QueryTemplate);
}

async function writePlan(store: Store, key: string, template: QueryTemplate): Promise<void> {
  await store.plans.put(key, compilerFingerprint(), JSON.stringify(template));
}

/**
 * The plan of a query with this look-back: shipped, from the cache, or compiled now (loading Kusto.Language) and cached.
 * `at` (microseconds) is only used to compile; a KqlError of a broken query propagates.
 */
export async function lookupPlan(store: Store, queryText: string, lookbackMicros: number, at: number, catalog: Catalog = defaultCatalog()): Promise<Plan> {
  const key = planKey(queryText, lookbackMicros, catalog);
  const shipped = shippedPlan(key);
  if (shipped) return { origin: 'shipped', template: shipped };
  const cached = await readPlan(store, key);
  if (cached) return { origin: 'cache', template: cached };
  let template: QueryTemplate;
  try {
    template = buildTemplate(queryText, at, lookbackMicros, catalog);
  } catch (error) {
    if (error instanceof NotTemplatableError) return { origin: 'uncacheable' };
    throw error;
  }
  await writePlan(store, key, template);
  return { origin: 'compiled', template };
}

/** The SQL of a plan at an instant (microseconds) for an engine. */
export function planSql(plan: Plan, queryText: string, now: number, lookbackMicros: number, engine: DialectChoice, catalog: Catalog = defaultCatalog()): CompiledQuery {
  if (plan.template) return instantiate(plan.template, now, engine);
  return compileKql(queryText, { engine, now, lookback: lookbackMicros, catalog });
}

export interface CachedQueryRunner extends QueryRunner {
  /** Where the plan of the latest run came from (undefined before the first run). */
  readonly lastOrigin: PlanOrigin | undefined;
}

/**
 * A QueryRunner (evaluate.ts) that takes plans from the cache in `plans` and runs their SQL on `sql` (the same
 * store, or chdb loaded from it) with the given engine's dialect.
 */
export function cachedQueryRunner(plans: Store, sql: SqlRunner, engine: DialectChoice = 'duckdb', catalog: Catalog = defaultCatalog()): CachedQueryRunner {
  let lastOrigin: PlanOrigin | undefined;
  return {
    get lastOrigin() {
      return lastOrigin;
    },
    async run(queryText: string, at: Date, lookback: Lookback): Promise<TypedResult> {
      if (lookback.end.getTime() !== at.getTime()) throw new Error('the look-back of a rule run ends at the run time');
      const now = at.getTime() * MICROS_PER_MS;
      const lookbackMicros = (lookback.end.getTime() - lookback.start.getTime()) * MICROS_PER_MS;
      const plan = await lookupPlan(plans, queryText, lookbackMicros, now, catalog);
      lastOrigin = plan.origin;
      return runCompiled(planSql(plan, queryText, now, lookbackMicros, engine, catalog), sql);
    },
  };
}

/** Whether Kusto.Language's Bridge.NET build has been loaded in this process (it defines the global `Kusto`). */
export function kustoLoaded(): boolean {
  return 'Kusto' in globalThis;
}
