/**
 * The series analysis functions in the function registry: `series_decompose_anomalies`, `series_decompose` and
 * `series_outliers`. Their definition is algorithm.ts; their SQL is sql.ts, over the dialect's series arrays.
 *
 * `extend (anomalies, score, baseline) = series_decompose_anomalies(…)` computes the decomposition once per row
 * (CallSite.once) and takes each column from its result. Arguments after the series must be constants, as in every
 * documented use (the decomposition is written into the SQL); a computed one is refused.
 */
import { call, lit, type Expr } from '../ir.js';
import { must, type KNode } from '../kusto.js';
import { arg, type SqlContext } from '../sql/template.js';
import { operator, scalar, type CallSite, type ScalarFunction } from '../functions/types.js';
import type { OutlierKind, Trend } from './algorithm.js';
import { decomposeAnomaliesSql, outliersSql, type AnomalyParameters } from './sql.js';

const TRENDS: readonly Trend[] = ['avg', 'linefit', 'none'];
const METHODS: readonly OutlierKind[] = ['ctukey', 'tukey'];

/** A constant's text; the binder gives no value for a negated literal (`-1`), so that one is read here. */
function constantText(site: CallSite, node: KNode): string | null | undefined {
  if (node.kind === 'UnaryMinusExpression') {
    const operand = site.constantText(must(node, 'Expression'));
    return typeof operand === 'string' ? `-${operand}` : undefined;
  }
  return site.constantText(node);
}

/** The constant at `index` (absent → `fallback`), parsed, or a refusal naming the parameter. */
function constantArg<T>(site: CallSite, index: number, name: string, fallback: T, parse: (text: string) => T | undefined): T {
  const node: KNode | undefined = site.argNodes[index];
  if (!node) return fallback;
  const text = constantText(site, node);
  if (text === undefined) return site.unsupported(`${site.name} with a computed ${name} (give it as a constant)`, node);
  if (text === null) return fallback;
  const value = parse(text);
  if (value === undefined) return site.unsupported(`${site.name} with ${name} ${text}`, node);
  return value;
}

const number = (text: string): number | undefined => (Number.isFinite(Number(text)) ? Number(text) : undefined);
const integer = (text: string): number | undefined => (Number.isInteger(Number(text)) ? Number(text) : undefined);
const oneOf = <T extends string>(values: readonly T[]) => (text: string): T | undefined =>
  values.find((v) => v === text.toLowerCase());

function seasonality(site: CallSite, index: number): number {
  const value = constantArg(site, index, 'seasonality', -1, integer);
  if (value < -1) return site.unsupported(`${site.name} with seasonality ${value} (−1 detects, 0 is none, a period is positive)`, site.argNodes[index]);
  return value;
}

function testPoints(site: CallSite, index: number): number {
  const value = constantArg(site, index, 'test_points', 0, integer);
  if (value < 0) return site.unsupported(`${site.name} with test_points ${value}`, site.argNodes[index]);
  return value;
}

/** series_decompose_anomalies(Series, [Threshold, Seasonality, Trend, Test_points, AD_method, Seasonality_threshold]). */
function anomalyParameters(site: CallSite): AnomalyParameters {
  return {
    threshold: constantArg(site, 1, 'threshold', 1.5, number),
    seasonality: seasonality(site, 2),
    trend: constantArg(site, 3, 'trend', 'avg', oneOf(TRENDS)),
    testPoints: testPoints(site, 4),
    adMethod: constantArg(site, 5, 'AD_method', 'ctukey', oneOf(METHODS)),
    seasonalityThreshold: constantArg(site, 6, 'seasonality_threshold', 0.6, number),
  };
}

/** series_decompose(Series, [Seasonality, Trend, Test_points, Seasonality_threshold]): no scoring needed. */
function decomposeParameters(site: CallSite): AnomalyParameters {
  return {
    threshold: 1.5,
    seasonality: seasonality(site, 1),
    trend: constantArg(site, 2, 'trend', 'avg', oneOf(TRENDS)),
    testPoints: testPoints(site, 3),
    adMethod: 'ctukey',
    seasonalityThreshold: constantArg(site, 4, 'seasonality_threshold', 0.6, number),
  };
}

/** The columns of one decomposition, each a member of its result bag (computed once per row). */
function decompositionColumns(site: CallSite, parameters: AnomalyParameters, fields: readonly string[]): Expr[] {
  const [series] = site.args();
  if (!series) return site.unsupported(`${site.name} without a series`);
  const bag = site.once(call('series_decomposition', 'dynamic', series, lit(JSON.stringify(parameters), 'string')));
  return fields.map((field) => call('dynamic_get', 'dynamic', bag, lit(field, 'string')));
}

function arrays(c: SqlContext) {
  return c.d.seriesArrays ?? c.unsupported(`series analysis on ${c.d.label}`);
}

export const SERIES_ANALYSIS_FUNCTIONS: readonly ScalarFunction[] = [
  scalar({
    name: 'series_decompose_anomalies',
    columns: (site) => decompositionColumns(site, anomalyParameters(site), ['flags', 'scores', 'baseline']),
  }),
  scalar({
    name: 'series_decompose',
    columns: (site) => decompositionColumns(site, decomposeParameters(site), ['baseline', 'seasonal', 'trend', 'residual']),
  }),
  operator({
    name: 'series_decomposition',
    sql: (a, c) => {
      const parameters = a[1]?.e.k === 'lit' && typeof a[1].e.value === 'string' ? (JSON.parse(a[1].e.value) as AnomalyParameters) : undefined;
      if (!parameters) return c.unsupported('series_decomposition without its parameters');
      return c.d.cast(decomposeAnomaliesSql(arrays(c), c.d.jsonArrayNumbers(arg(a, 0, c).sql), parameters), 'dynamic');
    },
  }),
  scalar({
    name: 'series_outliers',
    build: (site) => {
      const [series] = site.args();
      if (!series) return site.unsupported('series_outliers without a series');
      const kind = constantArg(site, 1, 'kind', 'ctukey', oneOf(METHODS));
      const ignore = constantArg<number | null>(site, 2, 'ignore_val', null, number);
      const low = constantArg(site, 3, 'min_percentile', 10, number);
      const high = constantArg(site, 4, 'max_percentile', 90, number);
      if (kind === 'ctukey' && !((low === 10 && high === 90) || (low === 25 && high === 75))) {
        return site.unsupported(`series_outliers with percentiles ${low}/${high}: Kusto's normalization for them is not published (10/90 and 25/75 are supported)`);
      }
      const method: OutlierKind = kind === 'ctukey' && low === 25 ? 'tukey' : kind;
      return call('series_outlier_scores', 'dynamic', series, lit(JSON.stringify({ method, ignore }), 'string'));
    },
  }),
  operator({
    name: 'series_outlier_scores',
    sql: (a, c) => {
      const options = a[1]?.e.k === 'lit' && typeof a[1].e.value === 'string'
        ? (JSON.parse(a[1].e.value) as { method: OutlierKind; ignore: number | null })
        : undefined;
      if (!options) return c.unsupported('series_outlier_scores without its options');
      return c.d.cast(outliersSql(arrays(c), c.d.jsonArrayNumbers(arg(a, 0, c).sql), options.method, options.ignore), 'dynamic');
    },
  }),
];
