/**
 * Numeric functions: `abs`, `round` (half away from zero on both engines), `ceiling`, `sqrt`, `pow`, `log`, `exp`,
 * `max_of`, `min_of`.
 */
import { isInteger } from '../types.js';
import { arg, constantNumber, type Arg, type SqlContext } from '../sql/template.js';
import { scalar, type ScalarFunction } from './types.js';

/**
 * `round(x, p)`: half away from zero at p decimal places (p < 0 rounds to tens, hundreds…), the same on both engines
 * (ClickHouse's round() is banker's for floats). Integers stay integers: p ≥ 0 leaves them unchanged. A null p
 * gives null. Scaling by 10^−p uses division, which is exact for the usual p = −1, −2….
 */
function roundSql(x: Arg, precision: Arg | undefined, c: SqlContext): string {
  const { d } = c;
  const p = precision === undefined ? 0 : constantNumber(precision);
  if (precision?.e.k === 'lit' && p === undefined) return d.typedNull(c.type);
  const pSql = p === undefined ? `(${precision?.sql})` : String(p);
  if (isInteger(x.e.type)) {
    const v = d.cast(x.sql, 'long');
    const scaled = (pow: string): string => `(${d.sign(v)} * ${d.intDiv(`(abs(${v}) + ${pow} / 2)`, pow)} * ${pow})`;
    if (p !== undefined) return p >= 0 ? v : scaled(String(10 ** -p));
    return `CASE WHEN ${pSql} >= 0 THEN ${v} ELSE ${scaled(d.cast(`pow(10, -${pSql})`, 'long'))} END`;
  }
  const up = (scale: string): string => `(${d.sign(x.sql)} * floor(abs(${x.sql}) * ${scale} + 0.5) / ${scale})`;
  const down = (scale: string): string => `(${d.sign(x.sql)} * floor(abs(${x.sql}) / ${scale} + 0.5) * ${scale})`;
  if (p !== undefined) return p >= 0 ? up(String(10 ** p)) : down(String(10 ** -p));
  return `CASE WHEN ${pSql} >= 0 THEN ${up(`pow(10, ${pSql})`)} ELSE ${down(`pow(10, -${pSql})`)} END`;
}

/**
 * `max_of`/`min_of`: non-null values take precedence over null (docs), and all-null gives null. Each argument is
 * coalesced with all the others, so greatest()/least() only ever compare non-null values when there is one — the
 * engines disagree on what greatest() does with a null argument, and this form does not depend on it. Calls are
 * nested two arguments at a time: older ClickHouse servers take exactly two.
 */
function extremeOf(fn: 'greatest' | 'least') {
  return (a: readonly Arg[], c: SqlContext): string => {
    const values = a.map((_, i) => c.d.cast(arg(a, i, c).sql, c.type));
    const coalesced = values.map((v, i) => (values.length === 1 ? v : `coalesce(${[v, ...values.filter((_, j) => j !== i)].join(', ')})`));
    return coalesced.reduceRight((inner, v) => `${fn}(${v}, ${inner})`);
  };
}

export const MATH_FUNCTIONS: readonly ScalarFunction[] = [
  // Cast back: ClickHouse's abs() of a signed integer is unsigned, which would make later arithmetic wrap.
  scalar({ name: 'abs', sql: (a, c) => c.d.cast(`abs(${c.d.cast(arg(a, 0, c).sql, c.type)})`, c.type) }),
  scalar({ name: 'round', sql: (a, c) => roundSql(arg(a, 0, c), a[1], c) }),
  scalar({ name: 'ceiling', sql: (a, c) => (isInteger(arg(a, 0, c).e.type) ? arg(a, 0, c).sql : `ceil(${arg(a, 0, c).sql})`) }),
  scalar({ name: 'sqrt', sql: (a, c) => `CASE WHEN ${arg(a, 0, c).sql} >= 0 THEN sqrt(${arg(a, 0, c).sql}) END` }),
  scalar({ name: 'pow', sql: (a, c) => `pow(${c.d.cast(arg(a, 0, c).sql, 'real')}, ${arg(a, 1, c).sql})` }),
  scalar({ name: 'log', sql: (a, c) => `CASE WHEN ${arg(a, 0, c).sql} > 0 THEN ln(${arg(a, 0, c).sql}) END` }),
  scalar({ name: 'max_of', sql: extremeOf('greatest') }),
  scalar({ name: 'min_of', sql: extremeOf('least') }),
  scalar({ name: 'exp', sql: (a, c) => `exp(${c.d.cast(arg(a, 0, c).sql, 'real')})` }),
];
