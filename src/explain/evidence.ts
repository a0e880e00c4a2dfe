/**
 * What an alert's row measured, read off the rule's plan: the first `summarize` of the main pipeline over a
 * source counts the source's filtered records per group (the seed rule: SMB sessions per SrcIpAddr and
 * DstPortNumber). Its group keys, with the alert row's values, pick out the records behind the alert; the plan's
 * sources give the windows they were counted in (the seed rule: baseline [T−14d, T−1d] and recent [T−1d, T]).
 *
 * From that, `evidence` is an IR relation over the ASIM table: the source's own conditions (not its time windows),
 * the group's key values, and a time range — so every figure of `explain` is counted with the rule's exact Kusto
 * semantics (has_any term matching, ipv4_is_private, …) by the same SQL generator, on any engine.
 */
import { and, call, col, lit, type Expr, type Rel } from '../kql/ir.js';
import type { Column } from '../kql/types.js';
import type { KustoValue } from '../kql/values.js';
import { conjuncts, isWindowConjunct, mainPipeline, allStages, type Pipeline, type Stage, type TimeWindow } from '../catalog/pipeline.js';
import { nodeAt, nowOffset } from '../catalog/plan.js';

export interface Measure {
  /** The summarize stage that counts (its number in the catalog page). */
  readonly stage: string;
  /** The group keys (plain columns) and the alert row's value of each. */
  readonly keys: ReadonlyArray<{ readonly column: Column; readonly value: KustoValue }>;
  /** The scan under the source (all ASIM columns). */
  readonly scan: Extract<Rel, { k: 'scan' }>;
  /** The source's conditions other than time windows. */
  readonly conditions: readonly Expr[];
}

export interface Windows {
  /** The latest window the plan reads (the seed rule's recent day), offsets from T in microseconds. */
  readonly recent: Required<TimeWindow>;
  /** The earliest other window (the seed rule's baseline), when the plan compares two. */
  readonly baseline?: Required<TimeWindow>;
}

/** The plan's measure for an alert row, or undefined when the rule has no such shape (or the row lacks a key). */
export function measureOf(symbolic: Rel, row: Readonly<Record<string, KustoValue>>): Measure | undefined {
  const pipeline = mainPipeline(symbolic);
  const [source, ...rest] = pipeline.stages;
  if (source?.kind !== 'source') return undefined;
  const summarize = rest.find((s) => s.kind === 'summarize');
  if (!summarize || rest.slice(0, rest.indexOf(summarize)).some((s) => s.kind !== 'where')) return undefined;
  const node = nodeAt(symbolic, summarize.path);
  if (node.k !== 'summarize') return undefined;
  const keys = node.keys.filter((k) => k.expr.k === 'col' && k.expr.name === k.name);
  if (keys.length === 0 || keys.some((k) => !(k.name in row))) return undefined;
  const scan = nodeAt(symbolic, source.bottomPath);
  if (scan.k !== 'scan') return undefined;
  const conditions = filtersBetween(symbolic, source.bottomPath, summarize.path)
    .flatMap(conjuncts)
    .filter((c) => !isWindowConjunct(c));
  if (conditions.some(mentionsNow)) return undefined;
  return {
    stage: summarize.number,
    keys: keys.map((k) => ({ column: { name: k.name, type: k.expr.type }, value: row[k.name] ?? null })),
    scan,
    conditions,
  };
}

/** Predicates of the filter nodes strictly between a scan and a node above it on the same chain. */
function filtersBetween(root: Rel, bottom: readonly number[], top: readonly number[]): Expr[] {
  const predicates: Expr[] = [];
  for (let depth = top.length + 1; depth < bottom.length; depth++) {
    const node = nodeAt(root, bottom.slice(0, depth));
    if (node.k === 'filter') predicates.push(node.predicate);
  }
  return predicates;
}

function mentionsNow(e: Expr): boolean {
  if (nowOffset(e) !== undefined) return true;
  if (e.k === 'call') return e.args.some(mentionsNow);
  if (e.k === 'case') return e.whens.some(([w, t]) => mentionsNow(w) || mentionsNow(t)) || mentionsNow(e.otherwise);
  return false;
}

/** The windows the plan's sources read, clipped to the look-back [−lookback, 0]. */
export function windowsOf(pipeline: Pipeline, lookback: number): Windows {
  const windows = allStages(pipeline)
    .filter((s): s is Stage & { window: TimeWindow } => s.kind === 'source' && s.window !== undefined)
    .map((s) => ({ from: Math.max(s.window.from ?? -lookback, -lookback), to: Math.min(s.window.to ?? 0, 0) }));
  const whole = { from: -lookback, to: 0 };
  if (windows.length === 0) return { recent: whole };
  const recent = windows.reduce((a, b) => (b.from > a.from ? b : a));
  const baseline = windows.reduce((a, b) => (b.from < a.from ? b : a));
  return baseline.from === recent.from && baseline.to === recent.to ? { recent } : { recent, baseline };
}

/**
 * The records behind the alert in [T + from, T + to]: the source's conditions and the group's key values.
 * `onlyKey` keeps that key alone and drops the conditions: every record of that source entity, whatever it was.
 */
export function evidence(measure: Measure, now: number, window: Required<TimeWindow>, options: { readonly onlyKey?: string } = {}): Rel {
  const time = col('TimeGenerated', 'datetime');
  const range = [call('ge', 'bool', time, lit(now + window.from, 'datetime')), call('le', 'bool', time, lit(now + window.to, 'datetime'))];
  const keys = options.onlyKey === undefined ? measure.keys : measure.keys.filter((k) => k.column.name === options.onlyKey);
  const equal = keys.map((k) => (k.value === null ? call('isnull', 'bool', col(k.column.name, k.column.type)) : call('eq', 'bool', col(k.column.name, k.column.type), lit(k.value as string | number | boolean, k.column.type))));
  const conditions = options.onlyKey === undefined ? measure.conditions : [];
  return { k: 'filter', columns: measure.scan.columns, input: measure.scan, predicate: and(...range, ...conditions, ...equal) };
}
