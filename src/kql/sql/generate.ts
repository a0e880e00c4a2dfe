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
 */
import { UnsupportedKqlError } from '../errors.js';
import { aggregateFunction, scalarFunction } from '../functions/registry.js';
import type { Aggregate, Expr, NamedExpr, Rel, Span } from '../ir.js';
import type { Column } from '../types.js';
import type { Capability, Dialect } from './dialect.js';
import type { Arg, SqlContext, SqlTemplate } from './template.js';

export interface GenerateOptions {
  readonly dialect: Dialect;
  /** The KQL text, for error positions. */
  readonly text: string;
}

/** The SQL of a relation, whose output columns are exactly `rel.columns` in order. */
export function generateSql(rel: Rel, options: GenerateOptions): string {
  return new Generator(options).relation(rel);
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

  constructor(options: GenerateOptions) {
    this.d = options.dialect;
    this.text = options.text;
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
    return this.at(rel.span, () => this.relationSql(rel));
  }

  private relationSql(rel: Rel): string {
    switch (rel.k) {
      case 'scan':
        return `SELECT ${rel.columns.map((c) => this.q(c.name)).join(', ')} FROM ${this.q(rel.table)}`;
      case 'datatable':
        return this.datatable(rel.columns, rel.rows);
      case 'print':
        return this.renamed(rel.items.map((i) => this.typedValue(i.expr)), rel.columns, '');
      case 'filter':
        return `SELECT * FROM (${this.relation(rel.input)}) AS __t WHERE ${this.expr(rel.predicate, true)}`;
      case 'project':
        return this.renamed(rel.items.map((i) => this.typedValue(i.expr)), rel.columns, ` FROM (${this.relation(rel.input)}) AS __t`);
      case 'distinct':
        return this.renamed(rel.items.map((i) => this.typedValue(i.expr)), rel.columns, ` FROM (${this.relation(rel.input)}) AS __t`, true);
      case 'summarize':
        return this.summarize(rel.input, rel.keys, rel.aggregates.map((a) => a.agg), rel.columns);
      case 'sort': {
        const keys = rel.keys.map(
          (k) => `${this.expr(k.expr, false)} ${k.descending ? 'DESC' : 'ASC'} NULLS ${k.nullsFirst ? 'FIRST' : 'LAST'}`,
        );
        return `SELECT * FROM (${this.relation(rel.input)}) AS __t ORDER BY ${keys.join(', ')}`;
      }
      case 'limit':
        return `SELECT * FROM (${this.relation(rel.input)}) AS __t LIMIT ${rel.count}`;
      case 'union':
        return rel.inputs.map((input) => this.unionBranch(input, rel.columns)).join(' UNION ALL ');
      case 'join':
        return this.join(rel);
    }
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
      return `SELECT ${nulls.join(', ')} WHERE false`;
    }
    return rows
      .map((row) => `SELECT ${row.map((v, i) => `${this.d.cast(this.expr(v, false), columns[i]?.type ?? v.type)} AS ${this.q(columns[i]?.name ?? `c${i}`)}`).join(', ')}`)
      .join(' UNION ALL ');
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

  private summarize(input: Rel, keys: readonly NamedExpr[], aggregates: readonly Aggregate[], columns: readonly Column[]): string {
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
    const rightSql = this.relation(rel.right);
    const leftTypes = new Map(rel.left.columns.map((c) => [c.name, c.type]));
    const condition = rel.on
      .map(({ left, right }) => {
        const a = `__l.${this.q(left)}`;
        const b = `__r.${this.q(right)}`;
        // Strings are never null: a plain equality; other keys match null to null (§15 Q2).
        return leftTypes.get(left) === 'string' ? `${a} = ${b}` : d.nullSafeEquals(a, b);
      })
      .join(' AND ');
    if (rel.kind === 'innerunique') {
      leftSql = d.oneRowPerKey(leftSql, rel.on.map((o) => this.q(o.left)), rel.left.columns.map((c) => this.q(c.name)));
    }
    if (rel.kind === 'leftsemi' || rel.kind === 'leftanti' || rel.kind === 'rightsemi' || rel.kind === 'rightanti') {
      const keepLeft = rel.kind.startsWith('left');
      const kept = keepLeft ? '__l' : '__r';
      const items = rel.columns.map((c) => `${kept}.${this.q(c.name)} AS ${this.q(c.name)}`);
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
    return this.renamed(values, rel.columns, ` FROM (${leftSql}) AS __l ${keyword} (${rightSql}) AS __r ON ${condition}`);
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
    const context: SqlContext = {
      d: this.d,
      type,
      truth,
      unsupported: (what) => this.unsupported(what, span),
      sql: (e, t) => this.expr(e, t),
    };
    return template(args.map((e) => this.lazyArg(e)), context);
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
        return d.json(JSON.stringify(v));
      default:
        return this.unsupported(`a ${e.type} literal`);
    }
  }
}
