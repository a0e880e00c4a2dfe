/**
 * Functions over the rows' order (next-function, prev-function, row-number-function): they need the rows to be in
 * an order the query defines — sorted (`sort`, `top`), then kept by where/extend/project/serialize — and the engine
 * to have window functions. The generator gives their templates the order as `c.over`; without one they are
 * refused (Kusto's order of unsorted rows is arbitrary, and the engines keep none).
 */
import { arg, constantNumber, type Arg, type SqlContext } from '../sql/template.js';
import { scalar, type ScalarFunction } from './types.js';

/** The OVER clause of the operator being written. */
function over(c: SqlContext, what: string): string {
  if (c.over === undefined) return c.unsupported(`${what} outside extend, project or serialize over sorted rows`);
  return c.over;
}

/** next/prev: the value `offset` rows after/before, else the default (null; "" for strings, which are never null). */
function shifted(fn: 'lead' | 'lag', name: string): (a: readonly Arg[], c: SqlContext) => string {
  return (a, c) => {
    const value = arg(a, 0, c);
    const offset = a[1] ? constantNumber(a[1]) : 1;
    if (offset === undefined || !Number.isInteger(offset) || offset < 0) return c.unsupported(`${name}() with an offset that is not a constant non-negative integer`);
    const fallback = a[2] ? a[2].sql : c.type === 'string' ? "''" : c.d.typedNull(c.type);
    return `${fn}(${c.d.cast(value.sql, c.type)}, ${offset}, ${c.d.cast(fallback, c.type)}) OVER (${over(c, `${name}()`)})`;
  };
}

export const WINDOW_FUNCTIONS: readonly ScalarFunction[] = [
  scalar({ name: 'next', window: true, requires: ['windowFunctions'], sql: shifted('lead', 'next') }),
  scalar({ name: 'prev', window: true, requires: ['windowFunctions'], sql: shifted('lag', 'prev') }),
  scalar({
    name: 'row_number',
    window: true,
    requires: ['windowFunctions'],
    // With a restart condition the numbering starts again at each row where it is true: the generator partitions
    // the rows by a running count of restarts (generate.ts, project).
    sql: (a, c) => {
      const start = a[0]?.sql ?? '1';
      const restart = a[1];
      const partition = restart ? c.partitionOf(restart.e) : undefined;
      if (restart && !partition) return c.unsupported('row_number() with a restart condition here');
      const window = `${partition ? `PARTITION BY ${partition} ` : ''}${over(c, 'row_number()')}`;
      return `(row_number() OVER (${window}) + ${c.d.cast(start, 'long')} - 1)`;
    },
  }),
];
