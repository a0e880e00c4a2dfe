/**
 * Conditionals and null tests: `iff`/`iif` and `case` (lowered to the IR's `case`), `not`, `isnull` and relatives,
 * `coalesce`, `column_ifexists`. Strings are never null, so `isnull` of a string is false and `isempty` tests "".
 */
import type { Expr } from '../ir.js';
import { arg, type SqlContext, type Arg } from '../sql/template.js';
import { scalar, type ScalarFunction } from './types.js';

function coalesceSql(args: readonly Arg[], c: SqlContext): string {
  if (c.type === 'string') {
    // Kusto: the first non-empty string ("" counts as absent).
    const whens = args.slice(0, -1).map((a) => `WHEN ${a.sql} <> '' THEN ${a.sql}`).join(' ');
    const last = args[args.length - 1]?.sql ?? "''";
    return whens ? `CASE ${whens} ELSE ${last} END` : last;
  }
  return `coalesce(${args.map((a) => c.d.cast(a.sql, c.type)).join(', ')})`;
}

const isString = (a: Arg): boolean => a.e.type === 'string';

export const LOGIC_FUNCTIONS: readonly ScalarFunction[] = [
  scalar({ name: 'not', sql: (a, c) => `(NOT ${arg(a, 0, c).sql})` }),
  scalar({
    name: 'iff',
    aliases: ['iif'],
    build: (site) => {
      const [condition, then, otherwise] = site.args();
      if (!condition || !then || !otherwise) return site.unsupported(`${site.name} without three arguments`);
      return { k: 'case', type: site.type, whens: [[condition, then]], otherwise };
    },
  }),
  scalar({
    name: 'case',
    build: (site) => {
      const all = site.args();
      const otherwise = all.pop();
      if (!otherwise || all.length % 2 !== 0) return site.unsupported('case with a missing else');
      const whens: Array<[Expr, Expr]> = [];
      for (let i = 0; i < all.length; i += 2) whens.push([all[i] as Expr, all[i + 1] as Expr]);
      return { k: 'case', type: site.type, whens, otherwise };
    },
  }),
  scalar({ name: 'isnull', neverNull: true, sql: (a, c) => (isString(arg(a, 0, c)) ? c.d.bool(false) : `(${arg(a, 0, c).sql} IS NULL)`) }),
  scalar({ name: 'isnotnull', neverNull: true, sql: (a, c) => (isString(arg(a, 0, c)) ? c.d.bool(true) : `(${arg(a, 0, c).sql} IS NOT NULL)`) }),
  scalar({ name: 'isempty', neverNull: true, sql: (a, c) => (isString(arg(a, 0, c)) ? `(${arg(a, 0, c).sql} = '')` : `(${arg(a, 0, c).sql} IS NULL)`) }),
  scalar({ name: 'isnotempty', neverNull: true, sql: (a, c) => (isString(arg(a, 0, c)) ? `(${arg(a, 0, c).sql} <> '')` : `(${arg(a, 0, c).sql} IS NOT NULL)`) }),
  scalar({ name: 'coalesce', sql: coalesceSql }),
  scalar({
    name: 'column_ifexists',
    // The binder types the call as the column's type when the column exists in the operator's input.
    build: (site) => {
      const [columnName, fallback] = site.argNodes;
      // The name is a constant: a literal, or a let or function parameter bound to one (findAnomalies(field) in the
      // Network Session Essentials rules).
      const value = columnName ? site.scalar(columnName) : undefined;
      const name = value?.k === 'lit' && typeof value.value === 'string' ? value.value : columnName ? site.constantText(columnName) : undefined;
      if (!columnName || !fallback || name == null) return site.unsupported('column_ifexists with a non-constant name');
      return site.column(name) ?? site.scalar(fallback);
    },
  }),
];
