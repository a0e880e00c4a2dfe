/**
 * What an alert's row measured, read off the rule's plan. Each pipeline that reads a source counts that source's
 * records after its row-by-row prefix (`where` and `extend`, with the extended columns replaced by their
 * definitions) in its first `summarize`. The measured group is the first summarize of the main pipeline whose keys
 * are all columns of the alert's row and all plain keys of that first summarize: the seed rule's SMB sessions per
 * SrcIpAddr and DstPortNumber (its stage 3); for a rule that counts per source and destination and then per source
 * (smbwatch's own SMB rule), the source's sessions. The prefixes' time conditions give the windows the plan
 * compares: the seed rule's baseline [T−14d, T−1d] and recent [T−1d, T] are its two reads; a rule that reads once
 * and splits with `extend Recent = TimeGenerated >= ago(1d)` then `where Recent` / `where not(Recent)` gets the
 * same two windows from those filters.
 *
 * From that, `evidence` is an IR relation over the ASIM table: the prefix's conditions (not its time windows), the
 * group's key values, and a time range — so every figure of `explain` is counted with the rule's exact Kusto
 * semantics (has_any term matching, ipv4_is_private, …) by the same SQL generator, on any engine.
 */
import { and, call, col, lit, type Expr, type Rel } from '../kql/ir.js';
import type { Column } from '../kql/types.js';
import type { KustoValue } from '../kql/values.js';
import { conjuncts, isWindowConjunct, mainPipeline, pushNot, timeWindow, type Pipeline, type Stage, type TimeWindow } from '../catalog/pipeline.js';
import { nodeAt, nowOffset } from '../catalog/plan.js';

export interface MeasureKey {
  /** The key as the row names it. */
  readonly column: Column;
  /** The key over the source's records (the column itself, or what an `extend` before the count made it). */
  readonly expr: Expr;
  readonly value: KustoValue;
}

export interface Measure {
  /** The summarize stage that counts the group (its number in the catalog page). */
  readonly stage: string;
  /** The group keys and the alert row's value of each. */
  readonly keys: readonly MeasureKey[];
  /** The scan under the source (all ASIM columns). */
  readonly scan: Extract<Rel, { k: 'scan' }>;
  /** The prefix's conditions other than time windows, over the scan's columns. */
  readonly conditions: readonly Expr[];
}

export interface Windows {
  /** The latest window the plan reads (the seed rule's recent day), offsets from T in microseconds. */
  readonly recent: Required<TimeWindow>;
  /** The earliest other window (the seed rule's baseline), when the plan compares two. */
  readonly baseline?: Required<TimeWindow>;
}

/** A pipeline's source and the row-by-row stages over it, up to its first summarize. */
interface Prefix {
  readonly scan: Extract<Rel, { k: 'scan' }>;
  readonly conditions: readonly Expr[];
  readonly window: TimeWindow;
  /** Index in the pipeline's stages of the first summarize. */
  readonly summarizeIndex: number;
  /** The first summarize's plain keys (a column of the same name), each over the scan's columns. */
  readonly keys: ReadonlyMap<string, Expr>;
}

/** The plan's measure for an alert row, or undefined when the rule has no such shape (or the row lacks its keys). */
export function measureOf(symbolic: Rel, row: Readonly<Record<string, KustoValue>>): Measure | undefined {
  const pipeline = mainPipeline(symbolic);
  const prefix = prefixOf(symbolic, pipeline);
  if (!prefix) return undefined;
  for (const stage of pipeline.stages.slice(prefix.summarizeIndex)) {
    if (stage.kind !== 'summarize') continue;
    const node = nodeAt(symbolic, stage.path);
    if (node.k !== 'summarize') continue;
    const keys = node.keys.filter((k) => k.expr.k === 'col' && k.expr.name === k.name);
    if (keys.length === 0 || keys.length !== node.keys.length) continue;
    if (keys.some((k) => !(k.name in row) || !prefix.keys.has(k.name))) continue;
    return {
      stage: stage.number,
      keys: keys.map((k) => ({ column: { name: k.name, type: k.expr.type }, expr: prefix.keys.get(k.name)!, value: row[k.name] ?? null })),
      scan: prefix.scan,
      conditions: prefix.conditions,
    };
  }
  return undefined;
}

/**
 * Walks a pipeline from its source through `where`, `extend` and `project` to its first summarize, carrying each
 * computed column as its definition over the scan's columns. Undefined when the pipeline does not start that way,
 * or a condition depends on now other than as a window on TimeGenerated.
 */
function prefixOf(symbolic: Rel, pipeline: Pipeline): Prefix | undefined {
  const [source, ...rest] = pipeline.stages;
  if (source?.kind !== 'source') return undefined;
  const summarizeIndex = rest.findIndex((s) => s.kind === 'summarize');
  if (summarizeIndex < 0) return undefined;
  const summarize = rest[summarizeIndex]!;
  const scan = nodeAt(symbolic, source.bottomPath);
  if (scan.k !== 'scan') return undefined;
  let definitions = new Map<string, Expr>();
  const conditions: Expr[] = [];
  const windows: Expr[] = [];
  // The chain's nodes from just above the scan up to the summarize's input.
  for (let depth = source.bottomPath.length - 1; depth > summarize.path.length; depth--) {
    const node = nodeAt(symbolic, source.bottomPath.slice(0, depth));
    if (node.k === 'filter') {
      for (const c of conjuncts(substitute(node.predicate, definitions)).map(pushNot)) {
        if (isWindowConjunct(c)) windows.push(c);
        else if (mentionsNow(c)) return undefined;
        else conditions.push(c);
      }
    } else if (node.k === 'project') {
      definitions = new Map(node.items.map((item) => [item.name, substitute(item.expr, definitions)]));
    } else if (node.k !== 'sort') {
      return undefined;
    }
  }
  const node = nodeAt(symbolic, summarize.path);
  if (node.k !== 'summarize') return undefined;
  const keys = new Map(
    node.keys.filter((k) => k.expr.k === 'col' && k.expr.name === k.name).map((k) => [k.name, substitute(k.expr, definitions)] as const),
  );
  return { scan, conditions, window: timeWindow(windows), summarizeIndex: summarizeIndex + 1, keys };
}

/** Columns replaced by their definitions (columns not defined are the scan's own). */
function substitute(e: Expr, definitions: ReadonlyMap<string, Expr>): Expr {
  switch (e.k) {
    case 'col':
      return definitions.get(e.name) ?? e;
    case 'call':
      return { ...e, args: e.args.map((a) => substitute(a, definitions)) };
    case 'case':
      return { ...e, whens: e.whens.map(([w, t]) => [substitute(w, definitions), substitute(t, definitions)] as const), otherwise: substitute(e.otherwise, definitions) };
    default:
      return e;
  }
}

function mentionsNow(e: Expr): boolean {
  if (nowOffset(e) !== undefined) return true;
  if (e.k === 'call') return e.args.some(mentionsNow);
  if (e.k === 'case') return e.whens.some(([w, t]) => mentionsNow(w) || mentionsNow(t)) || mentionsNow(e.otherwise);
  return false;
}

/** Every pipeline of the plan: the main one and those under its stages (a join's right side, union legs), in order. */
function pipelinesOf(pipeline: Pipeline): Pipeline[] {
  return [pipeline, ...pipeline.stages.flatMap((s: Stage) => s.inputs.flatMap(pipelinesOf))];
}

/**
 * The windows the plan's sources are counted in (each source's window narrowed by its prefix's time conditions),
 * clipped to the look-back [−lookback, 0]: the latest is the recent window, the earliest other one the baseline.
 */
export function windowsOf(symbolic: Rel, pipeline: Pipeline, lookback: number): Windows {
  const windows = pipelinesOf(pipeline).flatMap((p) => {
    const source = p.stages[0];
    if (source?.kind !== 'source') return [];
    const narrowed = prefixOf(symbolic, p)?.window ?? {};
    const from = Math.max(source.window?.from ?? -lookback, narrowed.from ?? -lookback, -lookback);
    const to = Math.min(source.window?.to ?? 0, narrowed.to ?? 0, 0);
    return from < to ? [{ from, to }] : [];
  });
  const whole = { from: -lookback, to: 0 };
  if (windows.length === 0) return { recent: whole };
  const recent = windows.reduce((a, b) => (b.from > a.from ? b : a));
  const baseline = windows.reduce((a, b) => (b.from < a.from ? b : a));
  return baseline.from === recent.from && baseline.to === recent.to ? { recent } : { recent, baseline };
}

/**
 * The records behind the alert in [T + from, T + to]: the prefix's conditions and the group's key values.
 * `onlyKey` keeps that key alone and drops the conditions: every record of that source entity, whatever it was.
 */
export function evidence(measure: Measure, now: number, window: Required<TimeWindow>, options: { readonly onlyKey?: string } = {}): Rel {
  const time = col('TimeGenerated', 'datetime');
  const range = [call('ge', 'bool', time, lit(now + window.from, 'datetime')), call('le', 'bool', time, lit(now + window.to, 'datetime'))];
  const keys = options.onlyKey === undefined ? measure.keys : measure.keys.filter((k) => k.column.name === options.onlyKey);
  const equal = keys.map((k) => (k.value === null ? call('isnull', 'bool', k.expr) : call('eq', 'bool', k.expr, lit(k.value as string | number | boolean, k.column.type))));
  const conditions = options.onlyKey === undefined ? measure.conditions : [];
  return { k: 'filter', columns: measure.scan.columns, input: measure.scan, predicate: and(...range, ...conditions, ...equal) };
}
