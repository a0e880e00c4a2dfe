/**
 * A rule's pipelines, read off its compiled IR: the main pipeline is the chain from the result down through each
 * node's first input (a join's left side, a union's first leg) to the source; other inputs (a join's right side,
 * further union legs) are pipelines of their own, numbered under their stage (5.1, 5.2, …).
 *
 * `let`s are inlined in the IR, so a stage of the main pipeline may come from a `let` (the seed rule's source,
 * where and two summarizes come from `userBaseline`). A source stage is the table read together with the filters
 * the ASIM function and the rule's look-back put over it (time windows only); every other IR node is one stage.
 */
import type { Expr, Rel } from '../kql/ir.js';
import type { Column } from '../kql/types.js';
import { aggregateText, collapse, kqlName, kqlText } from './kql-text.js';
import { inputsOf, nowCall, nowOffset } from './plan.js';

/**
 * `source`, `where`, `extend`, `project`, `summarize`, `join`, `lookup`, `union`, `sort`, `take`, `distinct`, `datatable`,
 * `print`, `mv-expand`, `make-series`, `range`, `render`; an IR node kind added later shows under its own name.
 */
export type StageKind = string;

/** A time window on TimeGenerated, as offsets from now (microseconds); absent bounds are open. */
export interface TimeWindow {
  readonly from?: number;
  readonly to?: number;
}

export interface Stage {
  /** `1`, `2`, … in the main pipeline; `5.1`, `5.2`, … in a sub-pipeline of stage 5. */
  readonly number: string;
  readonly kind: StageKind;
  /** The stage as KQL, written from the IR (inlined lets appear as their values). */
  readonly kql: string;
  /** The rule's own text of the stage, when the IR knows where it came from (a source's function call, an operator). */
  readonly text?: string;
  /** The top-level `let` whose value holds the stage (the seed rule's stages 1–4 come from `userBaseline`). */
  readonly let?: string;
  /** Path (input indexes from the root) of the stage's topmost IR node: its output is the stage's output. */
  readonly path: readonly number[];
  /** Path of the stage's lowest IR node: its inputs are the stage's inputs. */
  readonly bottomPath: readonly number[];
  readonly columns: readonly Column[];
  /** For a source: the table read and the time window the rule's look-back and the ASIM call put on it. */
  readonly table?: string;
  readonly window?: TimeWindow;
  /** A join's right side, a union's further legs. */
  readonly inputs: readonly Pipeline[];
}

export interface Pipeline {
  readonly stages: readonly Stage[];
}

/** The main pipeline of a plan, stages numbered from the source; `query` is the text its spans point into. */
export function mainPipeline(root: Rel, query?: string): Pipeline {
  return pipelineAt(root, [], '', query);
}

/** The query's text at a node's span, on one line. */
function spanText(node: Rel, query: string | undefined): string | undefined {
  if (!node.span || query === undefined) return undefined;
  return collapse(query.slice(node.span.start, node.span.start + node.span.length));
}

/** Filters the builder put over a read have the read's span, or none; a `where` of the query has its own. */
function sameOrigin(filter: Rel, scan: Rel): boolean {
  return filter.span === undefined || scan.span === undefined || (filter.span.start === scan.span.start && filter.span.length === scan.span.length);
}

function pipelineAt(top: Rel, topPath: readonly number[], prefix: string, query: string | undefined): Pipeline {
  // The chain from `top` down through first inputs, then bottom-up.
  const chain: Array<{ node: Rel; path: readonly number[] }> = [];
  let node: Rel | undefined = top;
  let path = topPath;
  while (node) {
    chain.push({ node, path });
    const first: Rel | undefined = node.k === 'union' ? undefined : inputsOf(node)[0];
    path = [...path, 0];
    node = first;
  }
  chain.reverse();
  const stages: Stage[] = [];
  let i = 0;
  const number = (): string => `${prefix}${stages.length + 1}`;
  const leaf = chain[0];
  if (leaf && leaf.node.k === 'scan') {
    // The source: the scan and the time-window filters directly above it.
    let j = 1;
    const windows: Expr[] = [];
    for (let next = chain[j]?.node; next?.k === 'filter' && isWindowFilter(next) && sameOrigin(next, leaf.node); next = chain[j]?.node) {
      windows.push(...conjuncts(next.predicate));
      j++;
    }
    const topOfSource = chain[j - 1]!;
    const window = timeWindow(windows);
    stages.push({
      number: number(),
      kind: 'source',
      kql: sourceText(leaf.node.table, windows),
      ...optionalText(spanText(leaf.node, query)),
      path: topOfSource.path,
      bottomPath: leaf.path,
      columns: topOfSource.node.columns,
      table: leaf.node.table,
      window,
      inputs: [],
    });
    i = j;
  }
  for (; i < chain.length; i++) {
    const { node: n, path: p } = chain[i]!;
    const stageNumber = number();
    const above = chain[i + 1];
    if (n.k === 'join' && above && isLookupProjection(above.node, n)) {
      // `lookup`: the join and the projection dropping the right side's keys are one operator of the query.
      const inputs = [pipelineAt(n.right, [...p, 1], `${stageNumber}.`, query)];
      stages.push({
        number: stageNumber,
        kind: 'lookup',
        kql: `lookup kind=${n.kind} (${spanOf(inputs[0])}) on ${joinKeys(n)}`,
        ...optionalText(spanText(above.node, query)),
        path: above.path,
        bottomPath: p,
        columns: above.node.columns,
        inputs,
      });
      i++;
      continue;
    }
    const inputs = inputsOf(n)
      .map((input, index) => ({ input, index }))
      .filter(({ index }) => n.k === 'union' || index > 0)
      .map(({ input, index }, k) => pipelineAt(input, [...p, index], `${stageNumber}.${n.k === 'union' && inputsOf(n).length > 1 ? `${k + 1}.` : ''}`, query));
    stages.push({
      number: stageNumber,
      kind: stageKind(n, chain[i - 1]?.node),
      kql: stageText(n, chain[i - 1]?.node, inputs),
      ...optionalText(spanText(n, query)),
      path: p,
      bottomPath: p,
      columns: n.columns,
      inputs,
    });
  }
  return { stages };
}

function optionalText(text: string | undefined): { text?: string } {
  return text === undefined ? {} : { text };
}

/** Each stage marked with the top-level let whose value holds its span. */
export function withLets(pipeline: Pipeline, lets: ReadonlyArray<{ readonly name: string; readonly span?: { readonly start: number; readonly length: number } }>, spanOfStage: (stage: Stage) => { start: number; length: number } | undefined): Pipeline {
  return {
    stages: pipeline.stages.map((stage) => {
      const span = spanOfStage(stage);
      const owner = span && lets.find((l) => l.span && span.start >= l.span.start && span.start + span.length <= l.span.start + l.span.length);
      return { ...stage, ...(owner ? { let: owner.name } : {}), inputs: stage.inputs.map((p) => withLets(p, lets, spanOfStage)) };
    }),
  };
}

/** Every stage of a pipeline and of its sub-pipelines, in reading order. */
export function allStages(pipeline: Pipeline): Stage[] {
  return pipeline.stages.flatMap((stage) => [stage, ...stage.inputs.flatMap(allStages)]);
}

// ---------------------------------------------------------------------------------------------------------------
// Time windows: conditions on TimeGenerated against now-relative instants

export function conjuncts(e: Expr): Expr[] {
  return e.k === 'call' && e.fn === 'and' ? e.args.flatMap(conjuncts) : [e];
}

/** `TimeGenerated <op> ago(…)`: a window bound rather than an indicator. */
export function isWindowConjunct(e: Expr): boolean {
  if (e.k !== 'call' || !['ge', 'gt', 'le', 'lt'].includes(e.fn) || e.args.length !== 2) return false;
  const [column, value] = e.args;
  return column?.k === 'col' && column.name === 'TimeGenerated' && nowOffset(value) !== undefined;
}

const NEGATED: Readonly<Record<string, string>> = { ge: 'lt', gt: 'le', le: 'gt', lt: 'ge' };

/** `not(TimeGenerated >= ago(1d))` as `TimeGenerated < ago(1d)`, so a negated window is still a window. */
export function pushNot(e: Expr): Expr {
  if (e.k !== 'call' || e.fn !== 'not' || e.args.length !== 1) return e;
  const [inner] = e.args;
  if (inner?.k !== 'call' || inner.args.length !== 2) return e;
  const flipped = NEGATED[inner.fn];
  return flipped ? { ...inner, fn: flipped } : e;
}

function isWindowFilter(rel: Extract<Rel, { k: 'filter' }>): boolean {
  return conjuncts(rel.predicate).every(isWindowConjunct);
}

/** The tightest window the conjuncts define. */
export function timeWindow(windowConjuncts: readonly Expr[]): TimeWindow {
  let from: number | undefined;
  let to: number | undefined;
  for (const c of windowConjuncts) {
    if (c.k !== 'call') continue;
    const offset = nowOffset(c.args[1]);
    if (offset === undefined) continue;
    if (c.fn === 'ge' || c.fn === 'gt') from = from === undefined ? offset : Math.max(from, offset);
    else to = to === undefined ? offset : Math.min(to, offset);
  }
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
}

// ---------------------------------------------------------------------------------------------------------------
// Kinds and text

function stageKind(n: Rel, below: Rel | undefined): StageKind {
  switch (n.k) {
    case 'filter':
      return 'where';
    case 'project':
      return below && isExtend(n, below) ? 'extend' : 'project';
    case 'limit':
      return 'take';
    case 'scan':
      return 'source';
    case 'mvexpand':
      return 'mv-expand';
    case 'makeseries':
      return 'make-series';
    default:
      return n.k;
  }
}

/** A project that keeps every input column in place and adds or recomputes at least one. */
function isExtend(n: Extract<Rel, { k: 'project' }>, below: Rel): boolean {
  const changes = n.items.length > below.columns.length || n.items.some((item) => !(item.expr.k === 'col' && item.expr.name === item.name));
  return changes && below.columns.every((c, i) => n.items[i]?.name === c.name);
}

/** A join's left columns and its right side's other columns, the right keys dropped: what `lookup` builds. */
function isLookupProjection(n: Rel, join: Extract<Rel, { k: 'join' }>): boolean {
  if (n.k !== 'project' || (join.kind !== 'leftouter' && join.kind !== 'inner')) return false;
  if (!n.items.every((item) => item.expr.k === 'col' && item.expr.name === item.name)) return false;
  const kept = new Set(n.items.map((item) => item.name));
  const dropped = join.columns.filter((c) => !kept.has(c.name));
  return dropped.length === join.on.length && join.left.columns.every((c) => kept.has(c.name));
}

function joinKeys(n: Extract<Rel, { k: 'join' }>): string {
  return n.on.map((o) => (o.left === o.right ? kqlName(o.left) : `$left.${kqlName(o.left)} == $right.${kqlName(o.right)}`)).join(', ');
}

function stageText(n: Rel, below: Rel | undefined, inputs: readonly Pipeline[]): string {
  switch (n.k) {
    case 'filter':
      return `where ${kqlText(n.predicate)}`;
    case 'project': {
      if (below && isExtend(n, below)) {
        const changed = n.items.filter((item) => !(item.expr.k === 'col' && item.expr.name === item.name));
        return `extend ${changed.map((item) => `${kqlName(item.name)} = ${kqlText(item.expr)}`).join(', ')}`;
      }
      return `project ${n.items.map((item) => (item.expr.k === 'col' && item.expr.name === item.name ? kqlName(item.name) : `${kqlName(item.name)} = ${kqlText(item.expr)}`)).join(', ')}`;
    }
    case 'summarize': {
      const aggregates = n.aggregates.map((a) => `${kqlName(a.name)} = ${aggregateText(a.agg)}`).join(', ');
      const keys = n.keys.map((k) => (k.expr.k === 'col' && k.expr.name === k.name ? kqlName(k.name) : `${kqlName(k.name)} = ${kqlText(k.expr)}`));
      return `summarize ${aggregates}${keys.length > 0 ? ` by ${keys.join(', ')}` : ''}`;
    }
    case 'join':
      return `join kind=${n.kind} (${spanOf(inputs[0])}) on ${joinKeys(n)}`;
    case 'union':
      return `union ${inputs.map((p) => `(${spanOf(p)})`).join(', ')}`;
    case 'sort':
      return `sort by ${n.keys.map((k) => `${kqlText(k.expr)} ${k.descending ? 'desc' : 'asc'}`).join(', ')}`;
    case 'limit':
      return `take ${n.count}`;
    case 'distinct':
      return `distinct ${n.items.map((i) => kqlName(i.name)).join(', ')}`;
    case 'datatable':
      return `datatable (${n.columns.map((c) => `${kqlName(c.name)}:${c.type}`).join(', ')}) [${n.rows.length} rows]`;
    case 'print':
      return `print ${n.items.map((i) => `${kqlName(i.name)} = ${kqlText(i.expr)}`).join(', ')}`;
    case 'scan':
      return n.table;
    case 'mvexpand':
      return `mv-expand ${n.expansions.map((e) => (e.expr.k === 'col' && e.expr.name === e.name ? kqlName(e.name) : `${kqlName(e.name)} = ${kqlText(e.expr)}`)).join(', ')}`;
    case 'range':
      return `range ${kqlName(n.columns[0]?.name ?? 'x')} from ${kqlText(n.from)} to ${kqlText(n.to)} step ${kqlText(n.step)}`;
    case 'render':
      return `render ${n.visualization}`;
    case 'makeseries': {
      const aggregates = n.aggregates.map((a) => `${kqlName(a.name)} = ${aggregateText(a.agg)}`).join(', ');
      const keys = n.keys.map((k) => kqlName(k.name));
      return `make-series ${aggregates} on ${kqlText(n.axis.expr)} step ${kqlText(n.step)}${keys.length > 0 ? ` by ${keys.join(', ')}` : ''}`;
    }
    default:
      return (n as { k: string }).k;
  }
}

/** `stages 5.1–5.3`: where a sub-pipeline is listed. */
function spanOf(pipeline: Pipeline | undefined): string {
  const first = pipeline?.stages[0]?.number;
  const last = pipeline?.stages.at(-1)?.number;
  if (!first || !last) return '…';
  return first === last ? `stage ${first}` : `stages ${first}–${last}`;
}

function sourceText(table: string, windows: readonly Expr[]): string {
  const { from, to } = timeWindow(windows);
  const at = (offset: number): string => kqlText(nowCall(offset));
  if (from !== undefined && to !== undefined) return `${table} | where TimeGenerated between (${at(from)} .. ${at(to)})`;
  if (from !== undefined) return `${table} | where TimeGenerated >= ${at(from)}`;
  if (to !== undefined) return `${table} | where TimeGenerated <= ${at(to)}`;
  return table;
}
