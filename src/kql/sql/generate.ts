/**
 * IR → SQL for one dialect. Each relational node becomes one SELECT over its input as a subquery. Computed
 * columns are first given internal names (`__c0`, …) and renamed in an outer SELECT: ClickHouse lets a SELECT
 * alias shadow a column of the same name anywhere in the query, so `project a = b, b = a` would otherwise go wrong.
 *
 * Scalar expressions are written with Kusto's semantics (ir.ts header). `truth` marks a position where only
 * "is it true?" matters (a WHERE condition, an operand of AND/OR there): null and false are then interchangeable,
 * which lets `a == b` be plain `a = b` and keeps predicates in the shape the engines' optimizers push down.
 */
import { UnsupportedKqlError } from '../errors.js';
import type { Aggregate, Expr, NamedExpr, Rel } from '../ir.js';
import { isInteger, type Column, type ScalarType } from '../types.js';
import type { Dialect } from './dialect.js';
import { SCALAR_TEMPLATES, constantString, constantTerms, termMatch, toStringSql, type Arg, type TemplateContext } from './functions.js';

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

const NEVER_NULL = new Set([
  'has', 'has_cs', 'hasprefix', 'hassuffix', 'has_any', 'has_all', 'contains', 'contains_cs', 'startswith', 'startswith_cs',
  'endswith', 'endswith_cs', 'matches_regex', 'eq_ci', 'in', 'in_ci', 'isnull', 'isnotnull', 'isempty', 'isnotempty',
]);

class Generator {
  private readonly d: Dialect;
  private readonly text: string;

  constructor(options: GenerateOptions) {
    this.d = options.dialect;
    this.text = options.text;
  }

  private unsupported(what: string): never {
    throw new UnsupportedKqlError(this.text, what, 0, this.text.length);
  }

  private q(name: string): string {
    return this.d.ident(name);
  }

  // ---------------------------------------------------------------- relations

  relation(rel: Rel): string {
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
    const args = a.args.map((e) => this.expr(e, false));
    const [x = '', y = ''] = args;
    const special = this.d.aggregate(a.fn, args, a.args.map((e) => e.type));
    if (special) return special;
    switch (a.fn) {
      case 'count':
        // count(expr) counts rows like count() (§15 Q6).
        return 'count(*)';
      case 'countif':
        return `count(CASE WHEN ${x} THEN 1 END)`;
      case 'sum':
        return `coalesce(sum(${x}), 0)`;
      case 'sumif':
        return `coalesce(sum(CASE WHEN ${y} THEN ${x} END), 0)`;
      case 'avg':
        // Kusto's avg over no values is NaN (§15 Q10); SQL gives NULL.
        return `coalesce(avg(${x}), ${this.d.nan()})`;
      case 'avgif':
        return `coalesce(avg(CASE WHEN ${y} THEN ${x} END), ${this.d.nan()})`;
      case 'min':
        return this.d.name === 'clickhouse' ? `minOrNull(${x})` : `min(${x})`;
      case 'max':
        return this.d.name === 'clickhouse' ? `maxOrNull(${x})` : `max(${x})`;
      case 'dcount':
        // Exact, where Kusto estimates (documented in docs/kql.md).
        return `count(DISTINCT ${x})`;
      case 'dcountif':
        return `count(DISTINCT CASE WHEN ${y} THEN ${x} END)`;
      default:
        return this.unsupported(`aggregate '${a.fn}'`);
    }
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
      if (d.name === 'duckdb' && !keepLeft) {
        // DuckDB has only left semi/anti joins: swap the sides.
        const swapped = condition;
        return `SELECT ${items.join(', ')} FROM (${rightSql}) AS __r ${d.joinKeyword(rel.kind === 'rightsemi' ? 'leftsemi' : 'leftanti')} (${leftSql}) AS __l ON ${swapped}`;
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
    switch (e.k) {
      case 'col':
        return this.q(e.name);
      case 'lit':
        return this.literal(e);
      case 'case': {
        const whens = e.whens.map(([w, v]) => `WHEN ${this.expr(w, true)} THEN ${this.d.cast(this.expr(v, false), e.type)}`);
        return `CASE ${whens.join(' ')} ELSE ${this.d.cast(this.expr(e.otherwise, false), e.type)} END`;
      }
      case 'call':
        return this.call(e, truth);
    }
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

  private nullable(e: Expr): boolean {
    if (e.type === 'string') return false;
    if (e.k === 'lit') return e.value === null;
    if (e.k === 'call') return !NEVER_NULL.has(e.fn);
    return true;
  }

  private call(e: Extract<Expr, { k: 'call' }>, truth: boolean): string {
    const d = this.d;
    const [a, b] = e.args;
    const x = (i: number, t = false): string => {
      const arg = e.args[i];
      if (!arg) return this.unsupported(`${e.fn} without argument ${i + 1}`);
      return this.expr(arg, t);
    };
    switch (e.fn) {
      case 'and':
        return `(${e.args.map((_, i) => x(i, truth)).join(' AND ')})`;
      case 'or':
        return `(${e.args.map((_, i) => x(i, truth)).join(' OR ')})`;
      case 'not':
        return `(NOT ${x(0)})`;
      case 'eq':
        return this.equality(a, b, truth, (l, r) => `${l} = ${r}`);
      case 'eq_ci':
        return `(${d.lower(x(0))} = ${d.lower(x(1))})`;
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge':
        return `(${this.comparable(a)} ${{ lt: '<', le: '<=', gt: '>', ge: '>=' }[e.fn]} ${this.comparable(b)})`;
      case 'add':
      case 'sub':
      case 'mul':
      case 'div':
      case 'mod':
      case 'neg':
        return this.arithmetic(e);
      case 'in':
      case 'in_ci':
        return this.inList(e, truth);
      case 'has':
      case 'has_cs':
      case 'hasprefix':
      case 'hassuffix':
        return this.has(e);
      case 'has_any':
      case 'has_all':
        return this.hasAnyAll(e, truth);
      case 'contains':
        return d.containsCi(x(0), x(1));
      case 'contains_cs':
        return d.containsCs(x(0), x(1));
      case 'startswith':
        return d.startsWith(d.lower(x(0)), d.lower(x(1)));
      case 'startswith_cs':
        return d.startsWith(x(0), x(1));
      case 'endswith':
        return d.endsWith(d.lower(x(0)), d.lower(x(1)));
      case 'endswith_cs':
        return d.endsWith(x(0), x(1));
      case 'matches_regex':
        return d.regexMatch(x(0), x(1));
      case 'dynamic_get':
        return this.dynamicGet(e);
      default: {
        const template = SCALAR_TEMPLATES[e.fn];
        if (!template) return this.unsupported(`function '${e.fn}'`);
        return template(this.args(e.args), this.context(e.type, truth));
      }
    }
  }

  private args(args: readonly Expr[]): Arg[] {
    return args.map((e) => ({ sql: this.expr(e, false), e }));
  }

  private context(type: ScalarType, truth = false): TemplateContext {
    return { d: this.d, type, truth, unsupported: (what) => this.unsupported(what) };
  }

  /** Kusto `==`: one null side → false, both null → null (kusto-semantics.md §3). */
  private equality(a: Expr | undefined, b: Expr | undefined, truth: boolean, op: (l: string, r: string) => string): string {
    if (!a || !b) return this.unsupported('== without two operands');
    const l = this.comparable(a);
    const r = this.comparable(b);
    const plain = `(${op(l, r)})`;
    const aNull = this.nullable(a);
    const bNull = this.nullable(b);
    if (truth || (!aNull && !bNull)) return plain;
    if (!aNull || !bNull) return `coalesce(${op(l, r)}, false)`;
    return `CASE WHEN ${l} IS NULL AND ${r} IS NULL THEN NULL ELSE coalesce(${op(l, r)}, false) END`;
  }

  /** Operands of comparisons: dynamic values compare as JSON text. */
  private comparable(e: Expr | undefined): string {
    if (!e) return this.unsupported('a comparison without two operands');
    return this.expr(e, false);
  }

  private arithmetic(e: Extract<Expr, { k: 'call' }>): string {
    const d = this.d;
    const [a, b] = e.args;
    if (e.fn === 'neg') return a ? `(-${this.d.cast(this.expr(a, false), e.type)})` : this.unsupported('unary minus');
    if (!a || !b) return this.unsupported(`${e.fn} without two operands`);
    const l = this.expr(a, false);
    const r = this.expr(b, false);
    const ta = a.type;
    const tb = b.type;
    // datetime and timespan arithmetic (timespans are microseconds).
    if (ta === 'datetime' || tb === 'datetime') {
      if (e.fn === 'sub' && ta === 'datetime' && tb === 'datetime') return `(${d.datetimeToMicros(l)} - ${d.datetimeToMicros(r)})`;
      if (e.fn === 'add' && ta === 'datetime' && tb === 'timespan') return d.addUnits('microsecond', r, l);
      if (e.fn === 'add' && ta === 'timespan' && tb === 'datetime') return d.addUnits('microsecond', l, r);
      if (e.fn === 'sub' && ta === 'datetime' && tb === 'timespan') return d.addUnits('microsecond', `-(${r})`, l);
      return this.unsupported(`${e.fn} of ${ta} and ${tb}`);
    }
    if (ta === 'timespan' || tb === 'timespan') {
      if (e.fn === 'div' && ta === 'timespan' && tb === 'timespan') return `(${d.cast(l, 'real')} / ${d.cast(r, 'real')})`;
      if ((e.fn === 'add' || e.fn === 'sub') && ta === 'timespan' && tb === 'timespan') return `(${d.cast(l, 'long')} ${e.fn === 'add' ? '+' : '-'} ${d.cast(r, 'long')})`;
      if (e.fn === 'mul' || e.fn === 'div') {
        const op = e.fn === 'mul' ? '*' : '/';
        return d.tryCast(`trunc(${d.cast(l, 'real')} ${op} ${d.cast(r, 'real')})`, 'long');
      }
      return this.unsupported(`${e.fn} of ${ta} and ${tb}`);
    }
    const type = e.type;
    if (e.fn === 'div') {
      if (isInteger(type)) return d.cast(d.intDiv(l, r), type);
      return `(${d.cast(l, 'real')} / ${d.cast(r, 'real')})`;
    }
    if (e.fn === 'mod') {
      if (!isInteger(type)) return this.unsupported('% of real values');
      // Kusto's modulo is non-negative for a positive divisor (-14 % 12 = 10); % 0 is null.
      // Kusto's modulo is never negative: -14 % 12 = 10 and 14 % -12 = 2 (modulo by |divisor|); % 0 is null.
      const lv = d.cast(l, 'long');
      const rv = d.cast(`abs(${d.cast(r, 'long')})`, 'long'); // ClickHouse's abs(Int64) is unsigned
      return d.cast(`CASE WHEN ${rv} = 0 THEN NULL ELSE ((${lv} % ${rv}) + ${rv}) % ${rv} END`, type);
    }
    const op = { add: '+', sub: '-', mul: '*' }[e.fn];
    return `(${d.cast(l, type)} ${op} ${d.cast(r, type)})`;
  }

  private inList(e: Extract<Expr, { k: 'call' }>, truth: boolean): string {
    const d = this.d;
    const [left, ...values] = e.args;
    if (!left) return this.unsupported('in without a left side');
    if (values.length === 0) return d.bool(false);
    const ci = e.fn === 'in_ci';
    const wrap = (s: string): string => (ci ? d.lower(s) : s);
    const l = wrap(this.expr(left, false));
    const list = values.map((v) => wrap(this.expr(v, false))).join(', ');
    const test = `${l} IN (${list})`;
    // Kusto: a null left side is simply not in the list (false, so `!in` is true).
    return truth || !this.nullable(left) ? `(${test})` : `coalesce(${test}, false)`;
  }

  private has(e: Extract<Expr, { k: 'call' }>): string {
    const [left, right] = e.args;
    if (!left || !right) return this.unsupported(`${e.fn} without two operands`);
    const leftSql = this.asString(left);
    const term = constantString({ sql: '', e: right });
    if (term === undefined) {
      return this.unsupported(`${e.fn} with a non-constant right side`);
    }
    const edges = e.fn === 'hasprefix' ? { start: true, end: false } : e.fn === 'hassuffix' ? { start: false, end: true } : undefined;
    return termMatch({ sql: leftSql, e: left }, [term], e.fn === 'has_cs', this.context('bool'), edges);
  }

  private hasAnyAll(e: Extract<Expr, { k: 'call' }>, truth: boolean): string {
    const [left, ...values] = e.args;
    if (!left) return this.unsupported(`${e.fn} without a left side`);
    const terms = constantTerms(this.args(values), this.context('bool'), e.fn);
    const rewrite = this.integerTermRewrite(left, terms, e.fn, truth);
    if (rewrite) return rewrite;
    const leftArg = { sql: this.asString(left), e: left };
    if (e.fn === 'has_any') return termMatch(leftArg, terms, false, this.context('bool'));
    if (terms.length === 0) return this.d.bool(true);
    return `(${terms.map((t) => termMatch(leftArg, [t], false, this.context('bool'))).join(' AND ')})`;
  }

  /**
   * `tostring(<int or long>) has_any ("139", "445")`: the text of an integer is an optional '-' and digits, one
   * term, so the match is exactly "the value is ±139 or ±445" — an IN list the engines can use, instead of a regex
   * per row (kusto-semantics.md §1). Terms that are not canonical digit strings cannot match; terms holding a
   * delimiter (phrases such as "-445") keep the regex.
   */
  private integerTermRewrite(left: Expr, terms: readonly string[], fn: string, truth: boolean): string | undefined {
    if (fn !== 'has_any' || left.k !== 'call' || left.fn !== 'tostring') return undefined;
    const [inner] = left.args;
    if (!inner || !isInteger(inner.type)) return undefined;
    if (terms.some((t) => /[^\p{L}\p{N}]/u.test(t))) return undefined;
    const numbers = terms.filter((t) => /^(0|[1-9][0-9]{0,17})$/.test(t)).map(Number).filter(Number.isSafeInteger);
    if (numbers.length === 0) return this.d.bool(false);
    const test = this.d.integerMagnitudeIn(this.expr(inner, false), [...new Set(numbers)]);
    return truth ? `(${test})` : `coalesce(${test}, false)`;
  }

  /** The left side of a string operator as a string (Kusto converts with tostring()). */
  private asString(e: Expr): string {
    const sql = this.expr(e, false);
    return e.type === 'string' ? sql : toStringSql({ sql, e }, this.context('string'));
  }

  private dynamicGet(e: Extract<Expr, { k: 'call' }>): string {
    const [target, key] = e.args;
    if (!target || !key) return this.unsupported('dynamic access without a key');
    if (target.type !== 'dynamic') return this.unsupported(`member access on a ${target.type} value`);
    const json = this.expr(target, false);
    if (key.k === 'lit' && (typeof key.value === 'string' || (typeof key.value === 'number' && Number.isInteger(key.value)))) {
      return this.d.jsonGet(json, key.value);
    }
    if (isInteger(key.type)) return this.d.jsonElementAt(json, this.expr(key, false));
    if (key.type === 'string') return this.d.jsonMemberAt(json, this.expr(key, false));
    return this.unsupported(`an index of type ${key.type} into dynamic`);
  }
}
