/**
 * One run of a rule, as Sentinel runs it at time T: `now()` is T, the query sees records whose TimeGenerated lies
 * in the look-back [T − queryPeriod, T] (both ends included), the trigger counts result rows, and alerts are grouped
 * per `aggregationKind`.
 *
 * The KQL engine is behind `QueryRunner`: anything that can run a rule's query text at an instant over a
 * look-back and return typed rows. `smbwatch run` wires the compiler in once it has landed.
 */
import { buildAlerts, type RunWindow } from '../alerts/build.js';
import { isSuppressed } from '../alerts/suppression.js';
import type { Alert, TypedResult } from '../alerts/types.js';
import { applyParameters } from './parameters.js';
import type { Rule } from './rule.js';

export type { TypedResult } from '../alerts/types.js';

export interface Lookback {
  readonly start: Date;
  readonly end: Date;
}

export interface QueryRunner {
  /**
   * Runs KQL with `now()` fixed at `at`, over the records whose TimeGenerated lies in [lookback.start,
   * lookback.end] (inclusive).
   */
  run(queryText: string, at: Date, lookback: Lookback): Promise<TypedResult>;
}

export interface RuleRun {
  readonly rule: Rule;
  readonly parameters: Readonly<Record<string, string>>;
  readonly at: Date;
  readonly window: RunWindow;
  /** The query text that ran (the rule's, with parameters applied). */
  readonly queryText: string;
  /** True when suppression skipped the run: the query did not run. */
  readonly suppressed: boolean;
  readonly resultRows: number;
  readonly triggered: boolean;
  readonly alerts: readonly Alert[];
}

export interface EvaluateOptions {
  /** The time of this rule's latest alerting run before `at` (for suppression). */
  readonly lastAlertAt?: Date;
}

export function runWindow(rule: Pick<Rule, 'queryPeriodMs'>, at: Date): RunWindow {
  return { start: new Date(at.getTime() - rule.queryPeriodMs), end: new Date(at.getTime()) };
}

export async function evaluateRule(
  rule: Rule,
  parameters: Readonly<Record<string, string>>,
  runner: QueryRunner,
  at: Date,
  options: EvaluateOptions = {},
): Promise<RuleRun> {
  const queryText = applyParameters(rule, parameters);
  const window = runWindow(rule, at);
  const base = { rule, parameters, at, window, queryText };
  if (isSuppressed(rule, at, options.lastAlertAt)) return { ...base, suppressed: true, resultRows: 0, triggered: false, alerts: [] };
  const result = await runner.run(queryText, at, window);
  const alerts = buildAlerts(rule, result, window, parameters);
  return { ...base, suppressed: false, resultRows: result.rows.length, triggered: alerts.length > 0, alerts };
}
