/**
 * IR → SQL for one dialect. Each relational node becomes one SELECT over its input as a subquery. Computed
 * columns are first given internal names (`__c0`, …) and renamed in an outer SELECT: ClickHouse lets a SELECT
 * alias shadow a column of the same name anywhere in the query, so `project a = b, b = a` would otherwise go wrong.
 *
 * Scalar calls are written by the function registry's templates (src/kql/functions/), or by the dialect's
 * override of one. The generator decides by the dialect's capabilities, never by which engine it is: a call or
 * form needing a capability the dialect lacks is refused (SMB001) at the construct's position in the KQL text.
 *
 * `truth` marks a position where only "is it true?" matters (a WHERE condition, an operand of AND/OR there): null
 * and false are then interchangeable, which lets `a == b` be plain `a = b` and keeps predicates in the shape the
 * engines' optimizers push down.
 *
 * A relation the query reads more than once (a tabular `let` used twice, the same `in (T)` in two places) is
 * written once, as a common table expression, where the dialect has them: lets are inlined by the builder, so
 * without this a rule that builds on its own lets would compute the same subquery at every use. Equal relations are
 * found by meaning (their IR without source positions), so plans read back from the plan cache factor the same way.
 */
import { createHash } from 'node:crypto';
import { UnsupportedKqlError } from '../errors.js';
import { aggregateFunction, scalarFunction } from '../functions/registry.js';
import { toStringSql } from '../functions/conversions.js';
import { dynamicDatetimeText, typedArrayJson } from '../functions/dynamic.js';
import type { Aggregate, Expr, NamedExpr, Rel, SortKey, Span } from '../ir.js';
import { forEachExpr, inputsOf, subqueriesOf } from '../ir-walk.js';
import type { Column } from '../types.js';
import { PrimitiveUnavailableError, type Capability, type Dialect } from './dialect.js';
import { sqlArg, type Arg, type SqlContext, type SqlTemplate } from './template.js';

export interface GenerateOptions {
  readonly dialect: Dialect;
  /** The KQL text, for error positions. */
  readonly text: string;
}

/** The SQL of a relation, whose output columns are exactly `rel.columns` in order. */
export function generateSql(rel: Rel, options: GenerateOptions): string {
  return new Generator(options).query(rel);
}

/** A key per relation that is equal for equal relations (source positions aside), memoized by identity. */
class RelationKeys {
  private readonly keys = new WeakMap<Rel, string>();

  of(rel: Rel): string {
    let key = this.keys.get(rel);
    if (key === undefined) {
      // Nested relations (inputs, subqueries) stand in as their own keys, so each node is serialized once.
      const text = JSON.stringify(rel, (name, value: unknown) => {
        if (name === 'span') return undefined;
        if (value !== rel && isRelation(value)) return `#${this.of(value)}`;
        return value;
      });
      key = createHash('sha1').update(text).digest('hex');
      this.keys.set(rel, key);
    }
    return key;
  }
}

function isRelation(value: unknown): value is Rel {
  return typeof value === 'object' && value !== null && 'k' in value && 'columns' in value;
}

/** Keys of the relations (other than plain table scans) read more than once once each is written once. */
function repeatedRelations(root: Rel, keys: RelationKeys): Set<string> {
  const reads = new Map<string, number>();
  const visit = (rel: Rel): void => {
    const key = keys.of(rel);
    const count = reads.get(key) ?? 0;
    reads.set(key, count + 1);
    if (count > 0) return;
    for (const child of [...inputsOf(rel), ...subqueriesOf(rel)]) visit(child);
  };
  visit(root);
  const repeated = new Set<string>();
  const mark = (rel: Rel, seen: Set<string>): void => {
    const key = keys.of(rel);
    if (seen.has(key)) return;
    seen.add(key);
    if ((reads.get(key) ?? 0) > 1 && rel.k !== 'scan') repeated.add(key);
    for (const child of [...inputsOf(rel), ...subqueriesOf(rel)]) mark(child, seen);
  };
  mark(root, new Set());
  return repeated;
}

/**
 * The final SELECT: values in engine-neutral forms for the result normalizer (values.ts) — datetimes as
 * microseconds since the epoch, timespans as microseconds, dynamic as JSON text.
 */
export function resultSql(rel: Rel, options: GenerateOptions): string {
  const { dialect: d } = options;
  const inner = generateSql(rel, options);
  const items = rel.columns.map((c) => {
    const q = d.ident(c.name);
    const value = c.type === 'datetime' ? d.datetimeToMicros(q) : c.type === 'dynamic' ? d.dynamicText(q) : q;
    return `${value} AS ${q}`;
  });
  return `SELECT ${items.join(', ')} FROM (${inner}) AS __result`;
}

class Generator {
  private readonly d: Dialect;
  private readonly text: string;
  /** The innermost construct being written that has a position: refusals point there. */
  private span: Span | undefined;
  /** The rows' order while a project's items are written (for next, prev, row_number). */
  private over: string | undefined;
  /** The running-count column of each row_number(start, restart) of the project being written, by its restart. */
  private restartGroups = new Map<Expr, string>();

  private readonly keys = new RelationKeys();
  private repeated: ReadonlySet<string> = new Set();
  /** Written common table expressions: key → name, and their definitions in dependency order. */
  private readonly named = new Map<string, string>();
  private readonly definitions: string[] = [];

  constructor(options: GenerateOptions) {
    this.d = options.dialect;
    this.text = options.text;
  }

  /** The whole query: its repeated relations as common table expressions, then the query over them. */
  query(rel: Rel): string {
    if (this.d.capabilities.commonTableExpressions) this.repeated = repeatedRelations(rel, this.keys);
    const body = this.relation(rel);
    return this.definitions.length === 0 ? body : `WITH ${this.definitions.join(', ')} ${body}`;
  }

  private unsupported(what: string, span: Span | undefined = this.span): never {
    if (!span) throw new UnsupportedKqlError(this.text, what, 0, this.text.length);
    throw new UnsupportedKqlError(this.text, what, span.start, Math.max(1, span.length));
  }

  /** Runs `write` with refusals pointing at `span` (when the node has one). */
  private at<T>(span: Span | undefined, write: () => T): T {
    if (!span) return write();
    const outer = this.span;
    this.span = span;
    try {
      return write();
    } finally {
      this.span = outer;
    }
  }

  private q(name: string): string {
    return this.d.ident(name);
  }

  private require(needs: readonly Capability[] | undefined, what: string): void {
    const missing = (needs ?? []).filter((c) => !this.d.capabilities[c]);
    if (missing.length > 0) this.unsupported(`${what} on ${this.d.label} (needs ${missing.join(', ')})`);
  }

  // ---------------------------------------------------------------- relations

  relation(rel: Rel): string {
    if (this.repeated.size > 0) {
      const key = this.keys.of(rel);
      if (this.repeated.has(key)) return `SELECT * FROM ${this.q(this.define(key, rel))}`;
    }
    return this.written(rel);
  }

  /** A relation's own SQL; a primitive the dialect lacks is refused at the relation's position. */
  private written(rel: Rel): string {
    return this.at(rel.span, () => {
      try {
        return this.relationSql(rel);
      } catch (error) {
        if (error instanceof PrimitiveUnavailableError) return this.unsupported(`${error.what} on ${this.d.label}`);
        throw error;
      }
    });
  }

  /** The common table expression holding `rel`, written on first use (after those it reads). */
  private define(key: string, rel: Rel): string {
    let name = this.named.get(key);
    if (name === undefined) {
      const body = this.written(rel);
      name = `__w${this.named.size}`;
      this.named.set(key, name);
      this.definitions.push(this.d.commonTableExpression(this.q(name), body));
    }
    return name;
  }

  private relationSql(rel: Rel): string {
    switch (rel.k) {
      case 'scan':
        return this.tableRead(rel, [], rel.columns.map((c) => this.q(c.name)));
      case 'datatable':
        return this.datatable(rel.columns, rel.rows);
      case 'print':
        return this.renamed(rel.items.map((i) => this.typedValue(i.expr)), rel.columns, '');
      case 'filter': {
        const read = this.flatRead(rel);
        if (read) return this.tableRead(read.scan, read.filters, rel.columns.map((c) => this.q(c.name)));
        return `SELECT * FROM (${this.relation(rel.input)}) AS __t WHERE ${this.expr(rel.predicate, true)}`;
      }
      case 'project':
        return this.project(rel);
      case 'distinct':
        return this.renamed(rel.items.map((i) => this.typedValue(i.expr)), rel.columns, ` FROM (${this.relation(rel.input)}) AS __t`, true);
      case 'summarize':
        return this.summarize(rel.input, rel.keys, rel.aggregates.map((a) => a.agg), rel.columns);
      case 'sort':
        return `SELECT * FROM (${this.relation(rel.input)}) AS __t ${this.orderBy(rel.keys)}`;
      case 'limit':
        return `SELECT * FROM (${this.relation(rel.input)}) AS __t LIMIT ${rel.count}`;
      case 'union':
        return rel.inputs.map((input) => this.unionBranch(input, rel.columns)).join(' UNION ALL ');
      case 'join':
        return this.join(rel);
      case 'mvexpand':
        return this.mvExpand(rel);
      case 'makeseries':
        return this.makeSeries(rel);
      case 'render':
        return this.relation(rel.input);
      case 'range':
        return this.range(rel);
      case 'topnested':
        return this.topNested(rel);
    }
  }

  /**
   * A project; with the input's row order when its items use it (next, prev, row_number). `row_number(start,
   * restart)` numbers rows from `start` again wherever `restart` is true: the restart condition is computed first
   * (`__rs`), then a running count of restarts (`__rg`) partitions the numbering.
   */
  private project(rel: Extract<Rel, { k: 'project' }>): string {
    const outerOver = this.over;
    const outerGroups = this.restartGroups;
    this.over = rel.order ? this.orderBy(rel.order) : undefined;
    try {
      let from = this.relation(rel.input);
      const restarts: Expr[] = [];
      if (this.over !== undefined) {
        for (const item of rel.items) {
          forEachExpr(item.expr, (e) => (e.k === 'call' && e.fn === 'row_number' && e.args[1] ? restarts.push(e.args[1]) : undefined));
        }
      }
      this.restartGroups = new Map(restarts.map((e, i) => [e, this.q(`__rg${i}`)]));
      if (restarts.length > 0) {
        const conditions = restarts.map((e, i) => `${this.expr(e, false)} AS ${this.q(`__rs${i}`)}`);
        const groups = restarts.map((_, i) =>
          `sum(CASE WHEN ${this.q(`__rs${i}`)} THEN 1 ELSE 0 END) OVER (${this.over} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS ${this.q(`__rg${i}`)}`);
        from = `SELECT *, ${groups.join(', ')} FROM (SELECT *, ${conditions.join(', ')} FROM (${from}) AS __w) AS __v`;
      }
      return this.renamed(rel.items.map((i) => this.typedValue(i.expr)), rel.columns, ` FROM (${from}) AS __t`);
    } finally {
      this.over = outerOver;
      this.restartGroups = outerGroups;
    }
  }

  private orderBy(keys: readonly SortKey[]): string {
    const terms = keys.map((k) => `${this.expr(k.expr, false)} ${k.descending ? 'DESC' : 'ASC'} NULLS ${k.nullsFirst ? 'FIRST' : 'LAST'}`);
    return `ORDER BY ${terms.join(', ')}`;
  }

  /** `SELECT e0 AS __c0, … <from>` wrapped in `SELECT __c0 AS name0, …`. */
  private renamed(values: readonly string[], columns: readonly Column[], from: string, distinct = false): string {
    const inner = values.map((v, i) => `${v} AS ${this.q(`__c${i}`)}`).join(', ');
    const outer = columns.map((c, i) => `${this.q(`__c${i}`)} AS ${this.q(c.name)}`).join(', ');
    return `SELECT ${outer} FROM (SELECT ${distinct ? 'DISTINCT ' : ''}${inner}${from}) AS __p`;
  }

  private datatable(columns: readonly Column[], rows: ReadonlyArray<readonly Expr[]>): string {
    if (rows.length === 0) {
      const nulls = columns.map((c) => `${c.type === 'string' ? "''" : this.d.typedNull(c.type)} AS ${this.q(c.name)}`);
      return `SELECT ${nulls.join(', ')} WHERE ${this.d.bool(false)}`;
    }
    const ordered = !this.d.capabilities.unionAllKeepsOrder && rows.length > 1;
    const union = rows
      .map((row, r) => {
        const values = row.map((v, i) => `${this.d.cast(this.expr(v, false), columns[i]?.type ?? v.type)} AS ${this.q(columns[i]?.name ?? `c${i}`)}`);
        return `SELECT ${[...values, ...(ordered ? [`${this.d.cast(String(r), 'long')} AS ${this.q('__row')}`] : [])].join(', ')}`;
      })
      .join(' UNION ALL ');
    if (!ordered) return union;
    // The rows keep the order they were written in (Kusto's datatable is ordered): sort by their position.
    const names = columns.map((c, i) => this.q(c.name || `c${i}`)).join(', ');
    return `SELECT ${names} FROM (${union}) AS __d ORDER BY ${this.q('__row')}`;
  }

  private unionBranch(input: Rel, columns: readonly Column[]): string {
    const present = new Map(input.columns.map((c) => [c.name, c]));
    const items = columns.map((c) => {
      const source = present.get(c.name);
      const value = source && source.type === c.type ? this.q(c.name) : c.type === 'string' ? "''" : this.d.typedNull(c.type);
      return `${this.d.cast(value, c.type)} AS ${this.q(c.name)}`;
    });
    return `SELECT ${items.join(', ')} FROM (${this.relation(input)}) AS __t`;
  }

  /**
   * A scan under filters only, when the dialect writes such reads flat (capability flatTableReads): the scan and
   * the filters, innermost first.
   */
  private flatRead(rel: Rel): { scan: Extract<Rel, { k: 'scan' }>; filters: Array<Extract<Rel, { k: 'filter' }>> } | undefined {
    if (!this.d.capabilities.flatTableReads) return undefined;
    const filters: Array<Extract<Rel, { k: 'filter' }>> = [];
    let node = rel;
    while (node.k === 'filter') {
      filters.unshift(node);
      node = node.input;
    }
    return node.k === 'scan' ? { scan: node, filters } : undefined;
  }

  /**
   * `SELECT items FROM <table> WHERE <its source's condition> AND <filters> <tail>`: one SELECT level over the table
   * (or over what the dialect reads for it: TableSource), the filters' predicates in order.
   */
  private tableRead(scan: Extract<Rel, { k: 'scan' }>, filters: ReadonlyArray<Extract<Rel, { k: 'filter' }>>, items: readonly string[], tail = ''): string {
    const source = this.d.tableSource?.(scan.table);
    const conditions = [
      ...(source?.where ? [`(${source.where})`] : []),
      ...filters.map((f) => this.at(f.span, () => `(${this.expr(f.predicate, true)})`)),
    ];
    const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
    return `SELECT ${items.join(', ')} FROM ${source?.from ?? this.q(scan.table)}${where}${tail}`;
  }

  private summarize(input: Rel, keys: readonly NamedExpr[], aggregates: readonly Aggregate[], columns: readonly Column[]): string {
    const read = this.flatRead(input);
    if (read) {
      // Keys and aggregates in the table's own SELECT; the keys are grouped by their aliases (`__c0`, …), so the
      // aggregates still see the table's columns of the same names.
      const values = [...keys.map((k) => this.typedValue(k.expr)), ...aggregates.map((a) => this.d.cast(this.aggregate(a), a.type))];
      const items = values.map((v, i) => `${v} AS ${this.q(`__c${i}`)}`);
      const groupBy = keys.length === 0 ? '' : ` GROUP BY ${keys.map((_, i) => this.q(`__c${i}`)).join(', ')}`;
      const outer = columns.map((c, i) => `${this.q(`__c${i}`)} AS ${this.q(c.name)}`).join(', ');
      return `SELECT ${outer} FROM (${this.tableRead(read.scan, read.filters, items, groupBy)}) AS __p`;
    }
    // Keys are computed first under internal names, so aggregates still see the input's columns of the same name.
    const keyed = keys.length === 0
      ? `(${this.relation(input)})`
      : `(SELECT *, ${keys.map((k, i) => `${this.typedValue(k.expr)} AS ${this.q(`__k${i}`)}`).join(', ')} FROM (${this.relation(input)}) AS __s)`;
    const values = [
      ...keys.map((_, i) => this.q(`__k${i}`)),
      ...aggregates.map((a) => this.d.cast(this.aggregate(a), a.type)),
    ];
    const groupBy = keys.length === 0 ? '' : ` GROUP BY ${keys.map((_, i) => this.q(`__k${i}`)).join(', ')}`;
    return this.renamed(values, columns, ` FROM ${keyed} AS g${groupBy}`);
  }

  private aggregate(a: Aggregate): string {
    return this.at(a.span, () => {
      const def = aggregateFunction(a.fn);
      if (!def) return this.unsupported(`aggregate '${a.fn}'`);
      this.require(def.requires, `aggregate '${a.fn}'`);
      const template = this.d.overrides.aggregates[a.fn] ?? def.sql;
      if (!template) return this.unsupported(`aggregate '${a.fn}' on ${this.d.label}`);
      return this.apply(template, a.args, a.type, false);
    });
  }

  private join(rel: Extract<Rel, { k: 'join' }>): string {
    const d = this.d;
    let leftSql = this.relation(rel.left);
    let rightSql = this.relation(rel.right);
    if (rel.kind === 'innerunique') {
      leftSql = d.oneRowPerKey(leftSql, rel.on.map((o) => this.q(o.left)), rel.left.columns.map((c) => this.q(c.name)));
    }
    let leftKeys = rel.on.map((o) => o.left);
    let rightKeys = rel.on.map((o) => o.right);
    if (!d.capabilities.joinKeysReadable && rel.on.length > 0) {
      // The compared columns come back wrong (18.16 returns the other side's key, or garbage): compare copies.
      leftKeys = rel.on.map((_, i) => `__jl${i}`);
      rightKeys = rel.on.map((_, i) => `__jr${i}`);
      leftSql = `SELECT *, ${rel.on.map((o, i) => `${this.q(o.left)} AS ${this.q(`__jl${i}`)}`).join(', ')} FROM (${leftSql}) AS __a`;
      rightSql = `SELECT *, ${rel.on.map((o, i) => `${this.q(o.right)} AS ${this.q(`__jr${i}`)}`).join(', ')} FROM (${rightSql}) AS __b`;
    }
    const leftTypes = new Map(rel.left.columns.map((c) => [c.name, c.type]));
    const condition = rel.on
      .map(({ left, strict }, i) => {
        const a = `__l.${this.q(leftKeys[i] ?? left)}`;
        const b = `__r.${this.q(rightKeys[i] ?? '')}`;
        // Strings are never null: a plain equality; other keys match null to null (§15 Q2), except `where` pairs.
        return leftTypes.get(left) === 'string' || strict ? `${a} = ${b}` : d.nullSafeEquals(a, b);
      })
      .join(' AND ');
    if (rel.kind === 'leftsemi' || rel.kind === 'leftanti' || rel.kind === 'rightsemi' || rel.kind === 'rightanti') {
      const keepLeft = rel.kind.startsWith('left');
      const kept = keepLeft ? '__l' : '__r';
      const items = rel.columns.map((c) => `${kept}.${this.q(c.name)} AS ${this.q(c.name)}`);
      if (!d.capabilities.semiJoins) {
        const other = keepLeft ? { sql: rightSql, alias: '__r', keys: rightKeys } : { sql: leftSql, alias: '__l', keys: leftKeys };
        return this.markerJoin(rel.kind, { sql: keepLeft ? leftSql : rightSql, alias: kept }, other, items, condition);
      }
      if (!keepLeft && !d.capabilities.rightSemiJoin) {
        // Only left semi/anti joins: swap the sides.
        return `SELECT ${items.join(', ')} FROM (${rightSql}) AS __r ${d.joinKeyword(rel.kind === 'rightsemi' ? 'leftsemi' : 'leftanti')} (${leftSql}) AS __l ON ${condition}`;
      }
      return `SELECT ${items.join(', ')} FROM (${leftSql}) AS __l ${d.joinKeyword(rel.kind)} (${rightSql}) AS __r ON ${condition}`;
    }
    const keyword = d.joinKeyword(
      rel.kind === 'leftouter' ? 'left' : rel.kind === 'rightouter' ? 'right' : rel.kind === 'fullouter' ? 'full' : 'inner',
    );
    const leftPadded = rel.kind === 'rightouter' || rel.kind === 'fullouter';
    const rightPadded = rel.kind === 'leftouter' || rel.kind === 'fullouter';
    const side = (columns: readonly Column[], alias: string, padded: boolean): string[] =>
      // Unmatched string cells of an outer join are "" (strings are never null, §15 Q9).
      columns.map((c) => (padded && c.type === 'string' ? `coalesce(${alias}.${this.q(c.name)}, '')` : `${alias}.${this.q(c.name)}`));
    const values = [...side(rel.left.columns, '__l', leftPadded), ...side(rel.right.columns, '__r', rightPadded)];
    if (values.length !== rel.columns.length) return this.unsupported('a join whose output columns differ from its inputs');
    if (rel.on.length === 0) {
      // Every pair of rows (`join kind=inner … where` with no equality: a filter over the pairs follows).
      if (rel.kind !== 'inner') return this.unsupported(`join kind=${rel.kind} without keys`);
      return this.renamed(values, rel.columns, ` FROM (${leftSql}) AS __l CROSS JOIN (${rightSql}) AS __r`);
    }
    return this.renamed(values, rel.columns, ` FROM (${leftSql}) AS __l ${keyword} (${rightSql}) AS __r ON ${condition}`);
  }

  /**
   * mv-expand: the expanded values are computed once per input row (`__e0`, …), the row is repeated for positions
   * 0 … n − 1 (n: the largest element count, a null or scalar value counting 1, at most `limit`), and each position
   * picks its element (null past the end of a shorter array).
   */
  private mvExpand(rel: Extract<Rel, { k: 'mvexpand' }>): string {
    const d = this.d;
    const values = rel.expansions.map((x, j) => `${this.expr(x.expr, false)} AS ${this.q(`__e${j}`)}`);
    const counts = rel.expansions.map((_, j) => {
      const e = this.q(`__e${j}`);
      const shape = d.jsonShape(e);
      return `CASE WHEN ${e} IS NULL THEN 1 WHEN ${shape} = 'array' THEN ${d.jsonArrayLength(e)} WHEN ${shape} = 'object' THEN ${d.jsonObjectLength(e)} ELSE 1 END`;
    });
    const most = counts.reduce((acc, n) => `greatest(${acc}, ${n})`);
    const n = rel.limit === undefined ? most : `least(${most}, ${rel.limit})`;
    const i = this.q('__i');
    const element = (j: number): string => {
      const e = this.q(`__e${j}`);
      const shape = d.jsonShape(e);
      const key = d.jsonKeyAt(e, i);
      const member = d.jsonMemberAt(e, key);
      const entry = rel.bagExpansion === 'bag'
        ? `'{' || ${d.jsonQuote(key)} || ':' || ${member} || '}'`
        : `'[' || ${d.jsonQuote(key)} || ',' || ${member} || ']'`;
      return d.cast(
        `CASE WHEN ${shape} = 'array' THEN ${d.jsonElementAt(e, i)} WHEN ${shape} = 'object' THEN ${entry} WHEN ${i} = 0 THEN ${d.dynamicText(e)} END`,
        'dynamic',
      );
    };
    const expanded = new Map(rel.expansions.map((x, j) => [x.name, element(j)]));
    const items = rel.columns.map((c) =>
      c.name === rel.index ? d.cast(i, 'long') : (expanded.get(c.name) ?? this.q(c.name)),
    );
    const withValues = `SELECT *, ${values.join(', ')} FROM (${this.relation(rel.input)}) AS __t`;
    const repeated = `SELECT *, ${d.unnestRange(n)} AS ${i} FROM (${withValues}) AS __x`;
    return this.renamed(items, rel.columns, ` FROM (${repeated}) AS __m`);
  }

  /**
   * make-series in three steps: (1) group the rows in range by keys and bin, aggregating; (2) per series, collect
   * the (bin, values…) tuples and the first and last bin; (3) per series, build each array over the bins start,
   * start + step, … (start = from, else the first bin; the count from `to`, else up to the last bin), taking a bin's
   * values where it had rows and the fill elsewhere. The axis is computed in numbers: datetimes as microseconds.
   */
  private makeSeries(rel: Extract<Rel, { k: 'makeseries' }>): string {
    if (!this.d.capabilities.makeSeries) return this.unsupported(`make-series on ${this.d.label}`);
    const d = this.d;
    const axisType = rel.axis.expr.type;
    const units = (e: Expr): string => (e.type === 'datetime' ? d.datetimeToMicros(this.expr(e, false)) : this.expr(e, false));
    const integral = axisType !== 'real' && rel.step.type !== 'real' && (rel.from === undefined || rel.from.type !== 'real');
    const step = integral ? d.cast(this.expr(rel.step, false), 'long') : d.cast(this.expr(rel.step, false), 'real');
    const from = rel.from ? (integral ? d.cast(units(rel.from), 'long') : d.cast(units(rel.from), 'real')) : undefined;
    const x = integral ? d.cast(units(rel.axis.expr), 'long') : d.cast(units(rel.axis.expr), 'real');
    const origin = from ?? '0';
    const bin = integral
      ? `(${x} - (((((${x} - ${origin}) % ${step}) + ${step}) % ${step})))`
      : `(${origin} + floor((${x} - ${origin}) / ${step}) * ${step})`;
    const axisSql = this.expr(rel.axis.expr, false);
    const conditions = [
      `${axisSql} IS NOT NULL`,
      ...(rel.from ? [`${axisSql} >= ${this.expr(rel.from, false)}`] : []),
      ...(rel.to ? [`${axisSql} < ${this.expr(rel.to, false)}`] : []),
    ];
    const keyNames = rel.keys.map((_, i) => this.q(`__k${i}`));
    const keyed = `SELECT *, ${[...rel.keys.map((k, i) => `${this.typedValue(k.expr)} AS ${keyNames[i]}`), `${bin} AS ${this.q('__b')}`].join(', ')}` +
      ` FROM (${this.relation(rel.input)}) AS __s WHERE ${conditions.join(' AND ')}`;
    const aggregates = rel.aggregates.map((a, j) => `${d.cast(this.aggregate(a.agg), a.agg.type)} AS ${this.q(`__a${j}`)}`);
    const grouped = `SELECT ${[...keyNames, this.q('__b'), ...aggregates].join(', ')} FROM (${keyed}) AS __g GROUP BY ${[...keyNames, this.q('__b')].join(', ')}`;
    const tuple = d.tuple([this.q('__b'), ...rel.aggregates.map((_, j) => this.q(`__a${j}`))]);
    const perSeries = `SELECT ${[...keyNames, `min(${this.q('__b')}) AS ${this.q('__lo')}`, `max(${this.q('__b')}) AS ${this.q('__hi')}`,
      `${d.collect(tuple)} AS ${this.q('__g')}`, `count(*) AS ${this.q('__rows')}`].join(', ')} FROM (${grouped}) AS __h` +
      (keyNames.length ? ` GROUP BY ${keyNames.join(', ')}` : '');
    const start = from ?? this.q('__lo');
    const to = rel.to ? (integral ? d.cast(units(rel.to), 'long') : d.cast(units(rel.to), 'real')) : undefined;
    const count = to !== undefined
      ? (integral ? `CASE WHEN ${to} > ${start} THEN ${d.intDiv(`${to} - ${start} + ${step} - 1`, step)} ELSE 0 END` : `greatest(ceil((${to} - ${start}) / ${step}), 0)`)
      : (integral ? `(${d.intDiv(`${this.q('__hi')} - ${start}`, step)} + 1)` : `(round((${this.q('__hi')} - ${start}) / ${step}) + 1)`);
    const bins = d.arrayMap(d.arrayRange(this.q('__n')), '__si', `${this.q('__st')} + __si * ${step}`);
    const positions = d.arrayMap(bins, '__sb', d.arrayIndexOf(d.arrayMap(this.q('__g'), '__st2', d.tupleGet('__st2', 0)), '__sb'));
    const sized = `SELECT *, ${start} AS ${this.q('__st')}, ${count} AS ${this.q('__n')} FROM (${perSeries}) AS __q`;
    const located = `SELECT *, ${positions} AS ${this.q('__pos')} FROM (${sized}) AS __r`;
    const arrays = rel.aggregates.map((a, j) => {
      const fill = d.cast(this.expr(a.fill, false), a.agg.type);
      const value = d.tupleGet(d.arrayAt(this.q('__g'), '__sp'), j + 1);
      return typedArrayJson(d.arrayMap(this.q('__pos'), '__sp', `CASE WHEN __sp < 0 THEN ${fill} ELSE ${d.cast(value, a.agg.type)} END`), a.agg.type, d);
    });
    const axisValues = d.arrayMap(d.arrayRange(this.q('__n')), '__sa', this.seriesAxisValue(`${this.q('__st')} + __sa * ${step}`, axisType));
    const values = [...keyNames, ...arrays, typedArrayJson(axisValues, axisType === 'real' ? 'real' : 'string', d)];
    const nonempty = rel.keys.length === 0 && !rel.nonempty ? ` WHERE ${this.q('__rows')} > 0` : '';
    return this.renamed(values, rel.columns, ` FROM (${located}) AS __a${nonempty}`);
  }

  /**
   * top-nested, level by level: group by the keys so far, aggregate, number the groups within their parent by the
   * aggregate (ties by the key, so that the engines agree) and keep the first n; then join the levels on their
   * common keys, so that a level keeps only children of kept parents.
   */
  private topNested(rel: Extract<Rel, { k: 'topnested' }>): string {
    const d = this.d;
    if (!d.capabilities.windowFunctions) return this.unsupported(`top-nested on ${d.label} (needs windowFunctions)`);
    const input = this.relation(rel.input);
    const key = (i: number): string => this.q(`__k${i}`);
    const keyed = `SELECT *, ${rel.levels.map((l, i) => `${this.typedValue(l.key)} AS ${key(i)}`).join(', ')} FROM (${input}) AS __s`;
    const levels = rel.levels.map((level, i) => {
      const keys = rel.levels.slice(0, i + 1).map((_, j) => key(j));
      const parents = keys.slice(0, i);
      const aggregate = `${d.cast(this.aggregate(level.agg), level.agg.type)} AS ${this.q('__a')}`;
      const grouped = `SELECT ${keys.join(', ')}, ${aggregate} FROM (${keyed}) AS __g GROUP BY ${keys.join(', ')}`;
      const order = `${this.q('__a')} ${level.descending ? 'DESC NULLS LAST' : 'ASC NULLS FIRST'}, ${key(i)} ASC NULLS FIRST`;
      const partition = parents.length ? `PARTITION BY ${parents.join(', ')} ` : '';
      const ranked = `SELECT *, row_number() OVER (${partition}ORDER BY ${order}) AS ${this.q('__r')} FROM (${grouped}) AS __h`;
      return level.count === undefined ? ranked : `SELECT * FROM (${ranked}) AS __n WHERE ${this.q('__r')} <= ${level.count}`;
    });
    const from = levels.map((sql, i) => {
      const alias = `__t${i}`;
      if (i === 0) return `(${sql}) AS ${alias}`;
      const on = rel.levels.slice(0, i).map((_, j) => d.nullSafeEquals(`__t${i - 1}.${key(j)}`, `${alias}.${key(j)}`)).join(' AND ');
      return `INNER JOIN (${sql}) AS ${alias} ON ${on}`;
    }).join(' ');
    const values = rel.levels.flatMap((_, i) => [`__t${i}.${key(i)}`, `__t${i}.${this.q('__a')}`]);
    return this.renamed(values, rel.columns, ` FROM ${from}`);
  }

  /**
   * range: n = ⌊(to − from) / step⌋ + 1 values (none when the step points away from `to`), computed in numbers
   * (datetimes as microseconds).
   */
  private range(rel: Extract<Rel, { k: 'range' }>): string {
    const d = this.d;
    const column = rel.columns[0];
    if (!column) return this.unsupported('range without a column');
    const integral = [rel.from, rel.to, rel.step].every((e) => e.type !== 'real');
    const units = (e: Expr): string => {
      const sql = e.type === 'datetime' ? d.datetimeToMicros(this.expr(e, false)) : this.expr(e, false);
      return d.cast(sql, integral ? 'long' : 'real');
    };
    const [from, to, step] = [units(rel.from), units(rel.to), units(rel.step)];
    const quotient = integral ? d.intDiv(`${to} - ${from}`, step) : `floor((${to} - ${from}) / ${step})`;
    const n = `CASE WHEN ${step} = 0 OR (${to} - ${from}) * ${this.d.sign(step)} < 0 THEN 0 ELSE ${quotient} + 1 END`;
    const value = `${from} + ${this.q('__i')} * ${step}`;
    const typed = column.type === 'datetime' ? d.microsToDatetime(value) : d.cast(value, column.type);
    return `SELECT ${typed} AS ${this.q(column.name)} FROM (SELECT ${d.unnestRange(n)} AS ${this.q('__i')}) AS __range`;
  }

  /** A bin's start as the axis array holds it: datetimes as Kusto's dynamic text, timespans as text, else numbers. */
  private seriesAxisValue(units: string, type: Expr['type']): string {
    const d = this.d;
    switch (type) {
      case 'datetime':
        return dynamicDatetimeText(d.microsToDatetime(units), d);
      case 'timespan':
        return toStringSql(sqlArg(units, 'timespan'), this.context('string', false));
      default:
        return units;
    }
  }

  /**
   * A semi/anti join without SEMI/ANTI JOIN: the kept side LEFT JOINs the other side's distinct keys, which carry a
   * marker column; semi keeps the rows whose marker is set, anti the others. Null keys still match null keys.
   */
  private markerJoin(
    kind: string,
    kept: { sql: string; alias: string },
    other: { sql: string; alias: string; keys: readonly string[] },
    items: readonly string[],
    condition: string,
  ): string {
    const marker = this.q('__m');
    const distinctKeys = `SELECT DISTINCT ${other.keys.map((k) => this.q(k)).join(', ')}, 1 AS ${marker} FROM (${other.sql}) AS __x`;
    const test = kind.endsWith('semi') ? 'IS NOT NULL' : 'IS NULL';
    return `SELECT ${items.join(', ')} FROM (${kept.sql}) AS ${kept.alias} ${this.d.joinKeyword('left')} (${distinctKeys}) AS ${other.alias} ` +
      `ON ${condition} WHERE ${other.alias}.${marker} ${test}`;
  }

  // ---------------------------------------------------------------- scalars

  /** A value in a SELECT list: literals get their Kusto type pinned (engines infer narrower types). */
  private typedValue(e: Expr): string {
    const sql = this.expr(e, false);
    return e.k === 'lit' || e.type === 'bool' ? this.d.cast(sql, e.type) : sql;
  }

  expr(e: Expr, truth: boolean): string {
    return this.at(e.span, () => this.exprSql(e, truth));
  }

  private exprSql(e: Expr, truth: boolean): string {
    switch (e.k) {
      case 'col':
        return this.q(e.name);
      case 'lit':
        return this.literal(e);
      case 'case': {
        const whens = e.whens.map(([w, v]) => `WHEN ${this.expr(w, true)} THEN ${this.d.cast(this.expr(v, false), e.type)}`);
        return `CASE ${whens.join(' ')} ELSE ${this.d.cast(this.expr(e.otherwise, false), e.type)} END`;
      }
      case 'subquery': {
        // toscalar: the first column of the first row; null (or "" for strings) without rows.
        const value = `(${this.firstColumn(e.rel)} LIMIT 1)`;
        return e.type === 'string' ? `coalesce(${value}, '')` : value;
      }
      case 'call': {
        const def = scalarFunction(e.fn);
        if (!def) return this.unsupported(`function '${e.fn}'`);
        this.require(def.requires, `function '${e.fn}'`);
        const template = this.d.overrides.scalars[e.fn] ?? def.sql;
        if (!template) return this.unsupported(`function '${e.fn}' on ${this.d.label}`);
        return this.apply(template, e.args, e.type, truth);
      }
    }
  }

  /** Calls a template with lazily written arguments (a template may write an argument itself, in another position). */
  private apply(template: SqlTemplate, args: readonly Expr[], type: Expr['type'], truth: boolean): string {
    const span = this.span;
    try {
      return template(args.map((e) => this.lazyArg(e)), this.context(type, truth));
    } catch (error) {
      if (error instanceof PrimitiveUnavailableError) return this.unsupported(`${error.what} on ${this.d.label}`, span);
      throw error;
    }
  }

  private context(type: Expr['type'], truth: boolean): SqlContext {
    const span = this.span;
    return {
      d: this.d, type, truth,
      ...(this.over === undefined ? {} : { over: this.over }),
      partitionOf: (e) => this.restartGroups.get(e),
      unsupported: (what) => this.unsupported(what, span),
      sql: (e, t) => this.expr(e, t),
      firstColumn: (rel, transform) => this.firstColumn(rel, transform),
    };
  }

  /** SELECT of a relation's first column. */
  private firstColumn(rel: Rel, transform: (column: string) => string = (c) => c): string {
    const first = rel.columns[0];
    if (!first) return this.unsupported('a tabular expression without columns');
    return `SELECT ${transform(this.q(first.name))} FROM (${this.relation(rel)}) AS __sq`;
  }

  private lazyArg(e: Expr): Arg {
    let sql: string | undefined;
    const write = (): string => (sql ??= this.expr(e, false));
    return {
      e,
      get sql(): string {
        return write();
      },
    };
  }

  private literal(e: Extract<Expr, { k: 'lit' }>): string {
    const d = this.d;
    const v = e.value;
    if (v === null) return e.type === 'string' ? "''" : d.typedNull(e.type);
    switch (e.type) {
      case 'string':
      case 'guid':
        return d.string(String(v));
      case 'bool':
        return d.bool(v === true);
      case 'int':
      case 'long':
      case 'timespan':
        return String(v);
      case 'real':
        if (typeof v === 'number' && Number.isNaN(v)) return d.nan();
        if (v === Infinity || v === -Infinity) return d.infinity(v < 0);
        return d.number(Number(v), 'real');
      case 'datetime':
        return d.datetime(Number(v));
      case 'dynamic':
        return d.json(e.json ?? JSON.stringify(v));
      default:
        return this.unsupported(`a ${e.type} literal`);
    }
  }
}
