/**
 * Shared input for a backtest: read the store once for all steps.
 *
 * Every read of the ASIM table in a rule's plan is a chain of filters over a scan, at the bottom of which sits the
 * rule's look-back `now − queryPeriod ≤ TimeGenerated ≤ now` (build.ts `asimScan`). A filter chain keeps the rows
 * for which every conjunct of every filter is true, in any order, so its conjuncts split in two:
 *   - those that do not mention `now` (after templating: no `now` marker inside) are the same at every step;
 *   - those that do (the look-back, `ago(14d)`, `ago(1d)` …) change per step.
 * Steps at t₁ … tₙ only ever see rows in [t₁ − queryPeriod, tₙ] (their look-backs lie inside it). So the rows of
 * that range that pass the step-independent conjuncts are computed once into a temporary table, sorted by
 * TimeGenerated, and each step reads that table and applies only its own `now`-dependent conjuncts — the same rows
 * as reading the store, by construction. For the seed rule the shared table holds the private-source SMB records of
 * the whole range: the costly tests (`ipv4_is_private`, `has_any` on the port text) run once, not once per step.
 *
 * Only the columns the plan uses are copied. Which ones is worked out top-down (`needed`), conservatively: anything
 * not understood (a union, an innerunique join that orders by every column, an unknown node) needs every column.
 * A chain without the look-back filter at its bottom is left reading the store.
 */
import { ASIM_TABLE } from '../asim/schema.js';
import { and, call, col, lit, type Expr, type Rel } from '../kql/ir.js';
import { inputsOf, mapInputs, withoutSpans } from '../kql/ir-walk.js';
import type { Dialect } from '../kql/sql/dialect.js';
import { generateSql } from '../kql/sql/generate.js';
import type { Column } from '../kql/types.js';
import { dependsOnNow, isNowMarker, type Json, type QueryTemplate } from './cache/template.js';

type Needed = ReadonlySet<string> | 'all';

/** One temporary table: its name, and the SQL that fills it (a SELECT). */
export interface SharedTable {
  readonly name: string;
  readonly select: string;
}

export interface SharedInputPlan {
  /** The template, its ASIM reads redirected to the shared tables. */
  readonly template: QueryTemplate;
  readonly tables: readonly SharedTable[];
}

interface Leaf {
  /** The topmost filter of the chain (identity: the node to replace). */
  readonly top: Rel;
  readonly scan: Extract<Rel, { k: 'scan' }>;
  readonly independent: readonly Expr[];
  readonly dependent: readonly Expr[];
  readonly needed: Needed;
}

/**
 * Plans the shared tables for steps whose instants lie in [first, last] (microseconds); `tablePrefix` names them.
 * Returns the template unchanged, with no tables, when no read qualifies.
 */
export function planSharedInput(template: QueryTemplate, first: number, last: number, dialect: Dialect, tablePrefix: string): SharedInputPlan {
  const root = template.ir as unknown as Rel;
  const leaves: Leaf[] = [];
  collectLeaves(root, 'all', template.lookback, leaves);
  if (leaves.length === 0) return { template, tables: [] };

  // Reads with the same step-independent conditions share one table holding the union of their columns.
  const groups = new Map<string, { leaves: Leaf[]; columns: Set<string> }>();
  for (const leaf of leaves) {
    // By meaning: the same condition written twice in the query (two reads) has two positions.
    const key = JSON.stringify(leaf.independent, withoutSpans);
    const group = groups.get(key) ?? { leaves: [], columns: new Set<string>() };
    group.leaves.push(leaf);
    const columns = leaf.needed === 'all' ? leaf.scan.columns.map((c) => c.name) : [...leaf.needed];
    for (const name of [...columns, 'TimeGenerated', ...columnsOf(leaf.dependent)]) group.columns.add(name);
    groups.set(key, group);
  }

  const replacements = new Map<Rel, Rel>();
  const tables: SharedTable[] = [];
  [...groups.values()].forEach((group, index) => {
    const name = `${tablePrefix}${index}`;
    const [sample] = group.leaves;
    if (!sample) return;
    const columns = sample.scan.columns.filter((c) => group.columns.has(c.name));
    tables.push({ name, select: sharedSelect(sample, columns, first - template.lookback, last, dialect, template.text) });
    for (const leaf of group.leaves) replacements.set(leaf.top, readShared(leaf, name, columns));
  });
  const ir = replace(root, replacements) as unknown as Json;
  return { template: { ...template, ir }, tables };
}

/** The rows of [from, to] passing the step-independent conjuncts, with the given columns, oldest first. */
function sharedSelect(leaf: Leaf, columns: readonly Column[], from: number, to: number, dialect: Dialect, text: string): string {
  const time = col('TimeGenerated', 'datetime');
  const range = [call('ge', 'bool', time, lit(from, 'datetime')), call('le', 'bool', time, lit(to, 'datetime'))];
  const filtered: Rel = { k: 'filter', columns: leaf.scan.columns, input: leaf.scan, predicate: and(...range, ...leaf.independent) };
  const projected: Rel = { k: 'project', columns, input: filtered, items: columns.map((c) => ({ name: c.name, expr: col(c.name, c.type) })) };
  return `${generateSql(projected, { dialect, text })} ORDER BY ${dialect.ident('TimeGenerated')}`;
}

/**
 * The shared table in place of the chain: its columns, the unused ones as constants ('' for strings, else null —
 * the `needed` analysis proved nothing reads them), then the step's own conditions.
 */
function readShared(leaf: Leaf, table: string, columns: readonly Column[]): Rel {
  const present = new Set(columns.map((c) => c.name));
  const scan: Rel = { k: 'scan', table, columns };
  const items = leaf.scan.columns.map((c) => ({
    name: c.name,
    expr: present.has(c.name) ? col(c.name, c.type) : lit(c.type === 'string' ? '' : null, c.type),
  }));
  const widened: Rel = { k: 'project', columns: leaf.scan.columns, input: scan, items };
  return { k: 'filter', columns: leaf.scan.columns, input: widened, predicate: and(...leaf.dependent) };
}

// ---------------------------------------------------------------------------------------------------------------
// Finding the reads, and the columns each must provide

function collectLeaves(rel: Rel, needed: Needed, lookback: number, leaves: Leaf[]): void {
  const chain = filterChain(rel);
  if (chain) {
    const conjuncts = chain.filters.flatMap((f) => conjunctsOf(f.predicate));
    const withPredicates = addColumns(needed, columnsOf(conjuncts));
    if (chain.scan.table === ASIM_TABLE && hasLookback(conjuncts, lookback)) {
      leaves.push({
        top: rel,
        scan: chain.scan,
        independent: conjuncts.filter((c) => !dependsOnNow(c)),
        dependent: conjuncts.filter((c) => dependsOnNow(c)),
        needed: withPredicates,
      });
    }
    return;
  }
  for (const [child, need] of childNeeds(rel, needed)) collectLeaves(child, need, lookback, leaves);
}

/** Filters directly over a scan (topmost first), or undefined. */
function filterChain(rel: Rel): { filters: Array<Extract<Rel, { k: 'filter' }>>; scan: Extract<Rel, { k: 'scan' }> } | undefined {
  const filters: Array<Extract<Rel, { k: 'filter' }>> = [];
  let node = rel;
  while (node.k === 'filter') {
    filters.push(node);
    node = node.input;
  }
  return node.k === 'scan' && filters.length > 0 ? { filters, scan: node } : undefined;
}

function conjunctsOf(e: Expr): Expr[] {
  return e.k === 'call' && e.fn === 'and' ? e.args.flatMap(conjunctsOf) : [e];
}

/** The look-back's two bounds, as build.ts writes them: TimeGenerated ≥ now − lookback and ≤ now. */
function hasLookback(conjuncts: readonly Expr[], lookback: number): boolean {
  const bound = (fn: string, offset: number) =>
    conjuncts.some((c) => {
      if (c.k !== 'call' || c.fn !== fn || c.args.length !== 2) return false;
      const [column, value] = c.args;
      return column?.k === 'col' && column.name === 'TimeGenerated' && isNowMarker(value as unknown as Json) && (value as unknown as { offset: number }).offset === offset;
    });
  return bound('ge', -lookback) && bound('le', 0);
}

/** What each input of a node must provide, given what is needed of the node's output. */
function childNeeds(rel: Rel, needed: Needed): Array<[Rel, Needed]> {
  switch (rel.k) {
    case 'scan':
    case 'datatable':
    case 'print':
      return [];
    case 'filter':
      return [[rel.input, addColumns(needed, columnsOf(rel.predicate))]];
    case 'project':
    case 'distinct':
      return [[rel.input, new Set(columnsOf(rel.items.map((i) => i.expr)))]];
    case 'summarize':
      return [[rel.input, new Set(columnsOf([...rel.keys.map((k) => k.expr), ...rel.aggregates.flatMap((a) => a.agg.args)]))]];
    case 'sort':
      return [[rel.input, addColumns(needed, columnsOf(rel.keys.map((k) => k.expr)))]];
    case 'limit':
      return [[rel.input, needed]];
    case 'join':
      return joinNeeds(rel, needed);
    default:
      // union (matches columns by name and type) and anything added later: every column.
      return inputsOf(rel).map((input) => [input, 'all']);
  }
}

function joinNeeds(rel: Extract<Rel, { k: 'join' }>, needed: Needed): Array<[Rel, Needed]> {
  const leftKeys = rel.on.map((o) => o.left);
  const rightKeys = rel.on.map((o) => o.right);
  // innerunique keeps one left row per key, chosen by ordering on every left column: all of them matter.
  const left = rel.kind === 'innerunique' ? 'all' : undefined;
  if (rel.kind === 'leftsemi' || rel.kind === 'leftanti') return [[rel.left, addColumns(needed, leftKeys)], [rel.right, new Set(rightKeys)]];
  if (rel.kind === 'rightsemi' || rel.kind === 'rightanti') return [[rel.left, new Set(leftKeys)], [rel.right, addColumns(needed, rightKeys)]];
  const split = rel.left.columns.length;
  if (needed === 'all' || rel.columns.length !== split + rel.right.columns.length) return [[rel.left, 'all'], [rel.right, 'all']];
  const outputNeeded = (offset: number, columns: readonly Column[]) => columns.filter((_, i) => needed.has(rel.columns[offset + i]?.name ?? '')).map((c) => c.name);
  return [
    [rel.left, left ?? new Set([...outputNeeded(0, rel.left.columns), ...leftKeys])],
    [rel.right, new Set([...outputNeeded(split, rel.right.columns), ...rightKeys])],
  ];
}

function addColumns(needed: Needed, more: readonly string[]): Needed {
  return needed === 'all' ? 'all' : new Set([...needed, ...more]);
}

/** Names of the columns an expression tree reads (`col` nodes, wherever they are). */
function columnsOf(node: unknown): string[] {
  const names: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>;
      if (record.k === 'col' && typeof record.name === 'string') names.push(record.name);
      Object.values(record).forEach(visit);
    }
  };
  visit(node);
  return names;
}

/** The tree with the given nodes (by identity) replaced. */
function replace(rel: Rel, replacements: ReadonlyMap<Rel, Rel>): Rel {
  const replaced = replacements.get(rel);
  if (replaced) return replaced;
  return mapInputs(rel, (input) => replace(input, replacements));
}
