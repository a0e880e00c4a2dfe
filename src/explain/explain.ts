/**
 * `smbwatch explain ALERT`: the evidence behind one stored alert, counted over the store at the alert's run time T
 * with the rule's own plan (so with its exact semantics):
 *   - for the alert's group (the seed rule: SrcIpAddr and DstPortNumber; a rule counting per source: SrcIpAddr —
 *     see evidence.ts), the measured sessions and their destinations per day over the look-back, zero days
 *     included, and which days the rule compared (baseline, recent);
 *   - the recent window's destinations: sessions, failures and sessions without a reply, first and last time,
 *     sessions in the baseline, and whether the source had contacted them at all (any port) in the baseline;
 *   - how the row scored: each computed field's formula with the row's values, and what an aggregate over
 *     one-row groups really is (the seed rule's AvgCount is the 13-day total);
 *   - rows in and out of every stage at T.
 * A rule without a counting stage over a source gets the row and the stage counts.
 */
import { liveFigures, type LiveFigures } from '../catalog/live.js';
import { kqlText } from '../catalog/kql-text.js';
import { allStages, mainPipeline, type Stage } from '../catalog/pipeline.js';
import { nodeAt, rulePlan } from '../catalog/plan.js';
import { DIALECTS } from '../kql/compile.js';
import { and, call, col, lit, type Expr, type Rel } from '../kql/ir.js';
import { generateSql, resultSql } from '../kql/sql/generate.js';
import { normalizeValue, type KustoValue } from '../kql/values.js';
import type { Alert } from '../alerts/types.js';
import { applyParameters } from '../rules/parameters.js';
import type { Rule } from '../rules/rule.js';
import type { Store } from '../store/engine.js';
import { microsToIso } from '../util/time.js';
import { evidence, measureOf, windowsOf, type Measure } from './evidence.js';

export const EXPLAIN_FORMAT = 'smbwatch.explain/1';

const MICROS_PER_MS = 1000;
const DAY = 86_400_000_000;
const HOUR = 3_600_000_000;
/** Destinations listed in full; counts cover all of them. */
export const MAX_DESTINATIONS = 500;

export interface Interval {
  readonly start: string;
  readonly end: string;
}

export interface SeriesPoint {
  readonly start: string;
  readonly count: number;
  /** Distinct destinations (DstIpAddr) of those sessions. */
  readonly destinations: number;
  readonly window: 'baseline' | 'recent' | 'look-back';
}

export interface Destination {
  readonly address: string;
  readonly sessions: number;
  /** Sessions that did not succeed (EventResult Failure). */
  readonly failures: number;
  /** Sessions that succeeded by ASIM's mapping but got no reply (DstPackets 0: a Zeek S0 is a Success in ASIM). */
  readonly unanswered: number;
  readonly first: string;
  readonly last: string;
  /** Sessions of the measured kind (same group) in the baseline window. */
  readonly baselineSessions: number;
  /** Whether the source entity contacted it at all, on any port, in the baseline window (null: unknown). */
  readonly contactedInBaseline: boolean | null;
}

export interface MeasureEvidence {
  readonly stage: string;
  readonly keys: Readonly<Record<string, KustoValue>>;
  /** The key that is the alert's source entity (an entity-mapped key), when there is one. */
  readonly sourceKey?: string;
  readonly windows: { readonly recent: Interval; readonly baseline?: Interval };
  readonly bucket: 'day' | 'hour';
  readonly series: readonly SeriesPoint[];
  readonly totals: { readonly recent: number; readonly baseline?: number; readonly baselineDays?: number };
  readonly destinationCount: number;
  /** Destinations of the recent window with no session of the measured kind in the baseline. */
  readonly newDestinations: number;
  /** Of those, how many the source never contacted on any port in the baseline (null when unknown). */
  readonly neverContacted: number | null;
  readonly destinations: readonly Destination[];
  /** `share` is failed / sessions; `unanswered` are counted apart from `failed`. */
  readonly failures: { readonly failed: number; readonly unanswered: number; readonly sessions: number; readonly share: number };
}

export interface Formula {
  readonly field: string;
  readonly stage: string;
  readonly expression: string;
  readonly withValues: string;
  readonly value: KustoValue;
}

export interface Scoring {
  /** The alert's group just before the final projection (every intermediate column). */
  readonly row: Readonly<Record<string, KustoValue>>;
  readonly formulas: readonly Formula[];
  /** The filters after the grouping, with the row's values: why the row survived. */
  readonly conditions: ReadonlyArray<{ readonly stage: string; readonly predicate: string; readonly withValues: string }>;
  /** Aggregates over groups of one row (avg of one value is that value): what they really are. */
  readonly notes: readonly string[];
}

export interface Explanation {
  readonly format: typeof EXPLAIN_FORMAT;
  readonly alert: Alert;
  readonly rule: { readonly id: string; readonly name: string; readonly version: string; readonly source: string };
  readonly at: string;
  readonly window: Interval;
  readonly measure?: MeasureEvidence;
  readonly scoring?: Scoring;
  readonly stages: LiveFigures;
}

/** Explains a stored alert of `rule` over the store (read-only). Loads Kusto.Language once per process. */
export async function explainAlert(store: Pick<Store, 'query' | 'engine'>, rule: Rule, alert: Alert): Promise<Explanation> {
  const query = applyParameters(rule, alert.parameters);
  const plan = rulePlan(query, rule.queryPeriodMs);
  const at = new Date(alert.queryEndTime);
  const now = at.getTime() * MICROS_PER_MS;
  const pipeline = mainPipeline(plan.symbolic);
  const row = alert.rows[0] ?? {};
  const counter = new Counter(store, query);
  const measure = measureOf(plan.symbolic, row);
  const base = {
    format: EXPLAIN_FORMAT,
    alert,
    rule: { id: rule.id, name: rule.name, version: rule.version, source: rule.source },
    at: alert.queryEndTime,
    window: { start: alert.queryStartTime, end: alert.queryEndTime },
    stages: await liveFigures(store, query, rule.queryPeriodMs, pipeline, at),
  } as const;
  if (!measure) return base;
  const sourceKey = measure.keys.find((k) => rule.entityMappings.some((m) => m.fieldMappings.some((f) => f.columnName === k.column.name)))?.column.name;
  const windows = windowsOf(plan.symbolic, pipeline, plan.lookback);
  return {
    ...base,
    measure: await measureEvidence(counter, measure, sourceKey, windows, now, plan.lookback),
    scoring: await scoring(counter, plan.symbolic, plan.at(now), measure, pipeline.stages),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Counting over the store

class Counter {
  private readonly dialect;

  constructor(
    private readonly store: Pick<Store, 'query' | 'engine'>,
    private readonly text: string,
  ) {
    this.dialect = DIALECTS[store.engine];
  }

  sql(rel: Rel): string {
    return generateSql(rel, { dialect: this.dialect, text: this.text });
  }

  q(name: string): string {
    return this.dialect.ident(name);
  }

  micros(column: string): string {
    return this.dialect.datetimeToMicros(this.q(column));
  }

  async rows(sql: string): Promise<ReadonlyArray<ReadonlyArray<unknown>>> {
    return (await this.store.query(sql)).rows;
  }

  /** Rows of a relation as Kusto values (first `limit`). */
  async values(rel: Rel, limit: number): Promise<Array<Record<string, KustoValue>>> {
    const limited: Rel = { k: 'limit', columns: rel.columns, input: rel, count: limit };
    const rows = await this.rows(resultSql(limited, { dialect: this.dialect, text: this.text }));
    return rows.map((r) => Object.fromEntries(rel.columns.map((c, i) => [c.name, normalizeValue(c.type, r[i])])));
  }
}

async function measureEvidence(
  counter: Counter,
  measure: Measure,
  sourceKey: string | undefined,
  windows: ReturnType<typeof windowsOf>,
  now: number,
  lookback: number,
): Promise<MeasureEvidence> {
  const bucketSize = lookback <= 2 * DAY ? HOUR : DAY;
  const start = now - lookback;
  const buckets = Math.ceil(lookback / bucketSize);
  const whole = { from: -lookback, to: 0 };
  const t = counter.micros('TimeGenerated');
  // The record exactly at T belongs to the last bucket (the look-back includes both ends).
  const bucketSql = `LEAST(CAST(floor((${t} - ${start}) / ${bucketSize}) AS BIGINT), ${buckets - 1})`;
  const seriesRows = await counter.rows(
    `SELECT ${bucketSql} AS b, count(*) AS n, count(DISTINCT ${counter.q('DstIpAddr')}) AS d FROM (${counter.sql(evidence(measure, now, whole))}) AS __e GROUP BY b ORDER BY b`,
  );
  const counts = new Map(seriesRows.map((r) => [Number(r[0]), { n: Number(r[1]), d: Number(r[2]) }]));
  const inWindow = (w: { from: number; to: number } | undefined, s: number, e: number): boolean => w !== undefined && s >= now + w.from && e <= now + w.to;
  const series: SeriesPoint[] = Array.from({ length: buckets }, (_, i) => {
    const s = start + i * bucketSize;
    const e = Math.min(s + bucketSize, now);
    return {
      start: microsToIso(s).replace('.000000Z', 'Z'),
      count: counts.get(i)?.n ?? 0,
      destinations: counts.get(i)?.d ?? 0,
      window: inWindow(windows.recent, s, e) ? 'recent' : inWindow(windows.baseline, s, e) ? 'baseline' : 'look-back',
    };
  });

  const failed = `${counter.q('EventResult')} = 'Failure'`;
  const unanswered = `NOT (${failed}) AND ${counter.q('DstPackets')} = 0`;
  const perDestination = async (window: { from: number; to: number }): Promise<Map<string, { n: number; failed: number; unanswered: number; first: number; last: number }>> => {
    const rows = await counter.rows(
      `SELECT ${counter.q('DstIpAddr')}, count(*), sum(CASE WHEN ${failed} THEN 1 ELSE 0 END), sum(CASE WHEN ${unanswered} THEN 1 ELSE 0 END), min(${t}), max(${t}) ` +
        `FROM (${counter.sql(evidence(measure, now, window))}) AS __e GROUP BY ${counter.q('DstIpAddr')}`,
    );
    return new Map(rows.map((r) => [String(r[0] ?? ''), { n: Number(r[1]), failed: Number(r[2] ?? 0), unanswered: Number(r[3] ?? 0), first: Number(r[4]), last: Number(r[5]) }]));
  };
  const recent = await perDestination(windows.recent);
  const baseline = windows.baseline ? await perDestination(windows.baseline) : new Map();
  let contacted: Set<string> | undefined;
  if (sourceKey && windows.baseline) {
    const rows = await counter.rows(
      `SELECT DISTINCT ${counter.q('DstIpAddr')} FROM (${counter.sql(evidence(measure, now, windows.baseline, { onlyKey: sourceKey }))}) AS __e`,
    );
    contacted = new Set(rows.map((r) => String(r[0] ?? '')));
  }
  const destinations: Destination[] = [...recent.entries()]
    .map(([address, d]) => ({
      address,
      sessions: d.n,
      failures: d.failed,
      unanswered: d.unanswered,
      first: microsToIso(d.first),
      last: microsToIso(d.last),
      baselineSessions: baseline.get(address)?.n ?? 0,
      contactedInBaseline: contacted ? contacted.has(address) : null,
    }))
    .sort((a, b) => b.sessions - a.sessions || (a.address < b.address ? -1 : 1));
  const sessions = destinations.reduce((sum, d) => sum + d.sessions, 0);
  const failedTotal = destinations.reduce((sum, d) => sum + d.failures, 0);
  const unansweredTotal = destinations.reduce((sum, d) => sum + d.unanswered, 0);
  const fresh = destinations.filter((d) => d.baselineSessions === 0);
  const interval = (w: { from: number; to: number }): Interval => ({ start: microsToIso(now + w.from).replace('.000000Z', 'Z'), end: microsToIso(now + w.to).replace('.000000Z', 'Z') });
  const baselineTotal = windows.baseline ? [...baseline.values()].reduce((sum, d) => sum + d.n, 0) : undefined;
  return {
    stage: measure.stage,
    keys: Object.fromEntries(measure.keys.map((k) => [k.column.name, k.value])),
    ...(sourceKey ? { sourceKey } : {}),
    windows: { recent: interval(windows.recent), ...(windows.baseline ? { baseline: interval(windows.baseline) } : {}) },
    bucket: bucketSize === DAY ? 'day' : 'hour',
    series,
    totals: {
      recent: sessions,
      ...(baselineTotal === undefined ? {} : { baseline: baselineTotal }),
      ...(windows.baseline ? { baselineDays: (windows.baseline.to - windows.baseline.from) / DAY } : {}),
    },
    destinationCount: destinations.length,
    newDestinations: fresh.length,
    neverContacted: contacted ? fresh.filter((d) => d.contactedInBaseline === false).length : null,
    destinations: destinations.slice(0, MAX_DESTINATIONS),
    failures: { failed: failedTotal, unanswered: unansweredTotal, sessions, share: sessions === 0 ? 0 : failedTotal / sessions },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// How the row scored

async function scoring(counter: Counter, symbolic: Rel, atT: Rel, measure: Measure, stages: readonly Stage[]): Promise<Scoring | undefined> {
  const last = stages.at(-1);
  if (!last || last.kind !== 'project') return undefined;
  const beforePath = [...last.path, 0];
  const before = nodeAt(atT, beforePath);
  if (measure.keys.some((k) => !before.columns.some((c) => c.name === k.column.name))) return undefined;
  const keyTest = measure.keys.map((k) =>
    k.value === null ? call('isnull', 'bool', col(k.column.name, k.column.type)) : call('eq', 'bool', col(k.column.name, k.column.type), lit(k.value as string | number | boolean, k.column.type)),
  );
  const [row] = await counter.values({ k: 'filter', columns: before.columns, input: before, predicate: and(...keyTest) }, 1);
  if (!row) return undefined;
  const later = stages.slice(stages.findIndex((s) => s.number === measure.stage) + 1, -1);
  const formulas: Formula[] = [];
  const conditions: Array<{ stage: string; predicate: string; withValues: string }> = [];
  for (const stage of later) {
    const node = nodeAt(symbolic, stage.path);
    if (stage.kind === 'extend' && node.k === 'project') {
      for (const item of node.items) {
        if (item.expr.k === 'col' && item.expr.name === item.name) continue;
        formulas.push({ field: item.name, stage: stage.number, expression: kqlText(item.expr), withValues: kqlText(withValues(item.expr, row)), value: row[item.name] ?? null });
      }
    }
    if (stage.kind === 'where' && node.k === 'filter') {
      conditions.push({ stage: stage.number, predicate: kqlText(node.predicate), withValues: kqlText(withValues(node.predicate, row)) });
    }
  }
  return { row, formulas, conditions, notes: oneRowAggregates(symbolic, stages) };
}

/** Columns replaced by the row's values (reals rounded for reading). */
function withValues(e: Expr, row: Readonly<Record<string, KustoValue>>): Expr {
  switch (e.k) {
    case 'col': {
      const value = row[e.name];
      if (value === undefined || (value !== null && typeof value === 'object')) return e;
      return lit(typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value, e.type === 'real' && typeof value === 'number' && Number.isInteger(value) ? 'long' : e.type);
    }
    case 'lit':
    case 'subquery':
    default:
      return e;
    case 'call':
      return { ...e, args: e.args.map((a) => withValues(a, row)) };
    case 'case':
      return { ...e, whens: e.whens.map(([w, t]) => [withValues(w, row), withValues(t, row)] as const), otherwise: withValues(e.otherwise, row) };
  }
}

/**
 * `summarize X = avg(C) by K` over a summarize grouped by the same K holds one row per group: X is C itself.
 * (The seed rule's AvgCount is the 13-day total Count, not a daily average: seed-rule.md §3 item 10.)
 */
function oneRowAggregates(symbolic: Rel, stages: readonly Stage[]): string[] {
  const notes: string[] = [];
  const all = stages.flatMap((s) => [s, ...s.inputs.flatMap((p) => allStages(p))]);
  for (const stage of all) {
    const node = nodeAt(symbolic, stage.path);
    if (node.k !== 'summarize' || node.input.k !== 'summarize') continue;
    const keys = (n: Extract<Rel, { k: 'summarize' }>): string => n.keys.map((k) => k.name).sort().join(',');
    if (keys(node) !== keys(node.input)) continue;
    const below = all.find((s) => s.path.join('.') === [...stage.path, 0].join('.'));
    for (const a of node.aggregates) {
      const [arg] = a.agg.args;
      if (!['avg', 'min', 'max', 'sum'].includes(a.agg.fn) || arg?.k !== 'col') continue;
      notes.push(
        `${a.name} = ${a.agg.fn}(${arg.name}) groups by the same keys (${node.keys.map((k) => k.name).join(', ')}) as stage ${below?.number ?? '?'}, ` +
          `so each group holds exactly one row and ${a.name} is that row's ${arg.name} itself.`,
      );
    }
  }
  return notes;
}
