/**
 * The UI's tuning view: a rule's scheduled runs over a range, once per value of one numeric parameter, reading
 * the store only (plans are compiled in memory, nothing is stored). Each run is `smbwatch run --at` that time;
 * suppression is simulated within each sweep as `smbwatch backtest` does.
 */
import { rulePlan } from '../catalog/plan.js';
import { runCompiled } from '../kql/compile.js';
import { DIALECTS } from '../kql/compile.js';
import { resultSql } from '../kql/sql/generate.js';
import { evaluateRule, type QueryRunner } from '../rules/evaluate.js';
import { backtestTimes } from '../rules/backtest.js';
import { ruleParameters } from '../rules/parameters.js';
import type { Rule } from '../rules/rule.js';
import type { Store } from '../store/engine.js';

/** Keeps a page's work bounded: runs × values. */
export const MAX_SWEEP_RUNS = 62;
export const MAX_SWEEP_VALUES = 5;

export class SweepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepError';
  }
}

export interface Sweep {
  readonly parameter: string;
  readonly values: readonly string[];
  readonly times: readonly string[];
  /** alerts[v][t]: alerts of the run at times[t] with values[v]. */
  readonly alerts: ReadonlyArray<readonly number[]>;
  /** rows[v][t]: the query's result rows of that run (alerts are capped at 150 a run, as in Sentinel). */
  readonly rows: ReadonlyArray<readonly number[]>;
  readonly entities: ReadonlyArray<readonly string[]>;
}

/** The parameters a sweep may vary: numbers only, so a request never puts text into a query. */
export function numericParameters(rule: Rule): string[] {
  return ruleParameters(rule).filter((p) => p.kustoType === 'long' || p.kustoType === 'int' || p.kustoType === 'real').map((p) => p.name);
}

const NUMBER = /^-?\d{1,12}(\.\d{1,9})?$/;

function readOnlyRunner(store: Pick<Store, 'query' | 'engine'>): QueryRunner {
  return {
    async run(text, at, lookback) {
      const plan = rulePlan(text, lookback.end.getTime() - lookback.start.getTime());
      const root = plan.at(at.getTime() * 1000);
      return runCompiled({ sql: resultSql(root, { dialect: DIALECTS[store.engine], text }), columns: root.columns, ir: root }, store);
    },
  };
}

export async function sweep(store: Pick<Store, 'query' | 'engine'>, rule: Rule, parameter: string, values: readonly string[], from: Date, to: Date): Promise<Sweep> {
  if (!numericParameters(rule).includes(parameter)) throw new SweepError(`"${parameter}" is not a numeric parameter of this rule (${numericParameters(rule).join(', ') || 'it has none'})`);
  if (values.length === 0 || values.length > MAX_SWEEP_VALUES) throw new SweepError(`give 1 to ${MAX_SWEEP_VALUES} values`);
  const bad = values.find((v) => !NUMBER.test(v));
  if (bad !== undefined) throw new SweepError(`not a number: "${bad}"`);
  let times: Date[];
  try {
    times = backtestTimes(rule, from, to);
  } catch (error) {
    throw new SweepError(error instanceof Error ? error.message : String(error));
  }
  if (times.length === 0) throw new SweepError('no scheduled run in that range');
  if (times.length > MAX_SWEEP_RUNS) throw new SweepError(`${times.length} runs in that range; at most ${MAX_SWEEP_RUNS} on this page (use smbwatch backtest)`);
  const runner = readOnlyRunner(store);
  const alerts: number[][] = [];
  const rows: number[][] = [];
  const entities: string[][] = [];
  for (const value of values) {
    const counts: number[] = [];
    const resultRows: number[] = [];
    const seen = new Set<string>();
    let lastAlertAt: Date | undefined;
    for (const at of times) {
      const run = await evaluateRule(rule, { [parameter]: value }, runner, at, lastAlertAt ? { lastAlertAt } : {});
      if (run.alerts.length > 0) lastAlertAt = at;
      counts.push(run.alerts.length);
      resultRows.push(run.resultRows);
      for (const alert of run.alerts) for (const { type, ...ids } of alert.entities) seen.add(`${type}:${Object.values(ids).join('/')}`);
    }
    alerts.push(counts);
    rows.push(resultRows);
    entities.push([...seen].sort());
  }
  return { parameter, values, times: times.map((t) => t.toISOString()), alerts, rows, entities };
}
