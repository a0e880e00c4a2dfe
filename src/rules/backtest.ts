/**
 * Backtest: a rule run at every scheduled time in [from, to], as Sentinel would have run it, to see what it would
 * have raised — the tool for tuning a threshold.
 *
 * Steps lie on the watch scheduler's grid (watch/schedule.ts): 1970-01-01T00:00:00Z + k·queryFrequency, so a
 * 1d rule runs at 00:00 UTC each day and the backtest shows exactly the runs `smbwatch watch` makes. Each step is
 * `evaluateRule` at that time: same look-back, trigger, grouping and alert ids as `smbwatch run`.
 *
 * Work shared across steps:
 *   1. the plan is compiled once (or taken from the plan cache) and only `now` changes per step;
 *   2. the store is read once: backtest-input.ts copies the rows of [first − queryPeriod, last] that pass the
 *      step-independent conditions into a temporary table, which the steps read instead.
 * Suppression is simulated within the backtest (an alerting step suppresses the following steps for
 * suppressionDuration); alerts already in the store play no part, so a backtest is a pure what-if.
 */
import { applyParameters } from './parameters.js';
import { evaluateRule, type QueryRunner, type RuleRun } from './evaluate.js';
import { lookupPlan, planSql, type PlanOrigin } from './cache/plan-cache.js';
import type { Catalog } from '../kql/catalog.js';
import { defaultCatalog } from '../summaries/catalog.js';
import { instantiate, type QueryTemplate } from './cache/template.js';
import { planSharedInput, type SharedTable } from './backtest-input.js';
import type { Rule } from './rule.js';
import { runCompiled } from '../kql/compile.js';
import type { Dialect } from '../kql/sql/dialect.js';
import type { Store } from '../store/engine.js';
import { quoteIdentifier } from '../store/sql.js';
import { gridCeil, gridFloor } from '../watch/schedule.js';

const MICROS_PER_MS = 1000;
/** The scheduler's grid anchor (watch/schedule.ts): the epoch. */
export const BACKTEST_ANCHOR = new Date(0);
/** More steps than this is almost certainly a mistake (a 5m rule over a year is 105,120 runs). */
export const MAX_BACKTEST_STEPS = 10_000;

export class BacktestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BacktestError';
  }
}

/** The scheduled times in [from, to], oldest first. */
export function backtestTimes(rule: Pick<Rule, 'queryFrequency' | 'queryFrequencyMs'>, from: Date, to: Date): Date[] {
  if (to.getTime() < from.getTime()) throw new BacktestError(`--to (${to.toISOString()}) is before --from (${from.toISOString()})`);
  const grid = { anchor: BACKTEST_ANCHOR, frequencyMs: rule.queryFrequencyMs };
  const first = gridCeil(grid, from.getTime());
  const last = gridFloor(grid, to.getTime());
  const count = last < first ? 0 : (last - first) / rule.queryFrequencyMs + 1;
  if (count > MAX_BACKTEST_STEPS) throw new BacktestError(`${count} steps of ${rule.queryFrequency} in that range; at most ${MAX_BACKTEST_STEPS}`);
  return Array.from({ length: count }, (_, i) => new Date(first + i * rule.queryFrequencyMs));
}

export interface BacktestOptions {
  /** Called after each step (progress, or storing its alerts). */
  readonly onStep?: (run: RuleRun, index: number, total: number) => Promise<void> | void;
  /** Read the store once for all steps (default true); false runs each step against the store, for comparison. */
  readonly shareInput?: boolean;
  /** The catalog the rule compiles against (the store's summary tables, the watchlists); default the built-in one. */
  readonly catalog?: Catalog;
}

export interface BacktestResult {
  readonly times: readonly Date[];
  readonly runs: readonly RuleRun[];
  readonly planOrigin: PlanOrigin;
  /** How many shared input tables the steps read (0: every step read the store). */
  readonly sharedTables: number;
}

const SHARED_TABLE_PREFIX = '__smbwatch_backtest_input_';

/**
 * Runs the rule at every scheduled time in [from, to] over a store. The shared input is a temporary table, which
 * only the DuckDB store offers (a server store's session would not hold it between requests): on a ClickHouse
 * server every step reads the store.
 */
export async function backtest(
  store: Store,
  rule: Rule,
  parameters: Readonly<Record<string, string>>,
  from: Date,
  to: Date,
  options: BacktestOptions = {},
): Promise<BacktestResult> {
  const times = backtestTimes(rule, from, to);
  const queryText = applyParameters(rule, parameters);
  const lookback = rule.queryPeriodMs * MICROS_PER_MS;
  const first = times[0];
  const last = times[times.length - 1];
  if (!first || !last) return { times, runs: [], planOrigin: 'cache', sharedTables: 0 };
  const catalog = options.catalog ?? defaultCatalog();
  const plan = await lookupPlan(store, queryText, lookback, first.getTime() * MICROS_PER_MS, catalog);

  const dialect = store.dialect;
  let tables: readonly SharedTable[] = [];
  let runner: QueryRunner;
  if (plan.template && options.shareInput !== false && store.engine === 'duckdb') {
    const shared = planSharedInput(plan.template, first.getTime() * MICROS_PER_MS, last.getTime() * MICROS_PER_MS, dialect, SHARED_TABLE_PREFIX);
    tables = shared.tables;
    runner = templateRunner(store, shared.template, dialect);
  } else {
    runner = { run: (text, at) => runCompiled(planSql(plan, text, at.getTime() * MICROS_PER_MS, lookback, dialect, catalog), store) };
  }

  const runs: RuleRun[] = [];
  try {
    for (const table of tables) await store.query(`CREATE OR REPLACE TEMP TABLE ${quoteIdentifier(table.name)} AS ${table.select}`);
    let lastAlertAt: Date | undefined;
    for (const [index, at] of times.entries()) {
      const run = await evaluateRule(rule, parameters, runner, at, lastAlertAt ? { lastAlertAt } : {});
      if (run.alerts.length > 0) lastAlertAt = at;
      runs.push(run);
      await options.onStep?.(run, index, times.length);
    }
  } finally {
    for (const table of tables) await store.query(`DROP TABLE IF EXISTS ${quoteIdentifier(table.name)}`).catch(() => undefined);
  }
  return { times, runs, planOrigin: plan.origin, sharedTables: tables.length };
}

function templateRunner(store: Store, template: QueryTemplate, dialect: Dialect): QueryRunner {
  return { run: (_text, at) => runCompiled(instantiate(template, at.getTime() * MICROS_PER_MS, dialect), store) };
}
