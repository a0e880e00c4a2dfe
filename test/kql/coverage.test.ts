/**
 * Forms the conformance cases (test/kql/cases) do not pin, run on DuckDB and on ClickHouse like them: text forms of
 * reals, datetimes and timespans (smbwatch's decisions, docs/kql.md), computed indexes into dynamic, the null rules
 * of the IPv4 functions with computed ranges, conversions of dynamic values, union withsource, and hostile keys.
 * Expectations are worked out by hand from the Kusto docs named with each case or from the documented decision.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileKql, runCompiled } from '../../src/kql/compile.js';
import { UnsupportedKqlError } from '../../src/kql/errors.js';
import { openMemoryDuckDb, type MemoryDuckDb } from '../../src/kql/memory-duckdb.js';
import { scalarTypeOf } from '../../src/kql/types.js';
import { canonicalExpected, type KustoValue } from '../../src/kql/values.js';
import { ChdbEngine } from '../../src/store/chdb.js';

interface Case {
  readonly name: string;
  readonly kql: string;
  readonly columns: ReadonlyArray<readonly [string, string]>;
  /** In the order the query sorts them (every multi-row case sorts). */
  readonly rows: ReadonlyArray<readonly unknown[]>;
}

const CASES: readonly Case[] = [
  {
    // .NET's shortest round-trip text: fixed notation for decimal exponents −5 < e < 15, else d.dddE±XX.
    name: 'tostring of reals prints them as Kusto (.NET) does',
    kql: 'print a = tostring(1.0), b = tostring(0.1), c = tostring(1e15), d = tostring(1e14), e = tostring(0.00001), f = tostring(0.0001), g = tostring(-2.5), h = tostring(0.30000000000000004), i = tostring(1.5e300), j = tostring(real(nan)), k = tostring(real(-inf)), l = tostring(0.0)',
    columns: [['a', 'string'], ['b', 'string'], ['c', 'string'], ['d', 'string'], ['e', 'string'], ['f', 'string'], ['g', 'string'], ['h', 'string'], ['i', 'string'], ['j', 'string'], ['k', 'string'], ['l', 'string']],
    rows: [['1', '0.1', '1E+15', '100000000000000', '1E-05', '0.0001', '-2.5', '0.30000000000000004', '1.5E+300', 'NaN', '-Infinity', '0']],
  },
  {
    name: 'tostring of datetimes and timespans, and strcat of them',
    kql: 'print a = tostring(datetime(2024-01-01)), b = tostring(datetime(2015-12-31 23:59:59.9)), c = tostring(datetime(1969-12-31 23:59:59.000001)), d = tostring(1h), e = tostring(-(1d + 2h + 3m + 4s + 5ms)), f = tostring(100d), g = tostring(datetime(null)), h = strcat("at ", datetime(2024-01-01), " for ", 90s)',
    columns: [['a', 'string'], ['b', 'string'], ['c', 'string'], ['d', 'string'], ['e', 'string'], ['f', 'string'], ['g', 'string'], ['h', 'string']],
    rows: [['2024-01-01T00:00:00Z', '2015-12-31T23:59:59.9000000Z', '1969-12-31T23:59:59.0000010Z', '01:00:00', '-1.02:03:04.0050000', '100.00:00:00', '', 'at 2024-01-01T00:00:00Z for 00:01:30']],
  },
  {
    // scalar-data-types/dynamic: arr[i] counts from the end for negative i; out of range, or an index into a bag, is null.
    name: 'computed indexes and keys into dynamic',
    kql: 'datatable(n:long, i:long, k:string)[1, 0, "a", 2, 2, "b", 3, 5, "zz", 4, 1, "a"] | extend i = iff(n == 4, -i, i) | extend arr = dynamic(["x", "y", "z"]), bag = dynamic({"a": 1, "b": [2]}) | project n, e = arr[i], m = bag[k], lst = arr[array_length(arr) - 1] | sort by n asc',
    columns: [['n', 'long'], ['e', 'dynamic'], ['m', 'dynamic'], ['lst', 'dynamic']],
    rows: [[1, 'x', 1, 'z'], [2, 'z', [2], 'z'], [3, null, null, 'z'], [4, 'z', 1, 'z']],
  },
  {
    // split-function: with a requested index, an array of that part; none there → an empty array.
    name: 'split with an index beyond the parts is an empty array',
    kql: 'datatable(i:long)[0, 2, 3] | extend p = split("a_b_c", "_", i) | sort by i asc',
    columns: [['i', 'long'], ['p', 'dynamic']],
    rows: [[0, ['a']], [2, ['c']], [3, []]],
  },
  {
    // ipv4-is-in-any-range-function: null if conversion of one of the IPv4 strings wasn't successful.
    name: 'ipv4_is_in_any_range is null when any range is not IPv4',
    kql: 'datatable(n:long, ip:string, r:string)[1, "10.1.2.3", "10.0.0.0/8", 2, "10.1.2.3", "nope", 3, "11.0.0.1", "10.0.0.0/8", 4, "x", "10.0.0.0/8"] | extend any = ipv4_is_in_any_range(ip, r, "192.168.0.0/16"), konst = ipv4_is_in_any_range(ip, "10.0.0.0/8", "garbage") | sort by n asc',
    columns: [['n', 'long'], ['ip', 'string'], ['r', 'string'], ['any', 'bool'], ['konst', 'bool']],
    rows: [[1, '10.1.2.3', '10.0.0.0/8', true, null], [2, '10.1.2.3', 'nope', null, null], [3, '11.0.0.1', '10.0.0.0/8', false, null], [4, 'x', '10.0.0.0/8', null, null]],
  },
  {
    name: 'conversions of dynamic values follow the scalar conversions',
    kql: 'print a = toint(dynamic("12")), b = toreal(dynamic(2)), c = tolong(dynamic([1])), d = todouble(dynamic(2.5)), e = tolong(dynamic(-4.5)), f = tobool(dynamic("true")), g = toint(dynamic(null)), h = todatetime(dynamic("2024-01-02T03:04:05Z"))',
    columns: [['a', 'int'], ['b', 'real'], ['c', 'long'], ['d', 'real'], ['e', 'long'], ['f', 'bool'], ['g', 'int'], ['h', 'datetime']],
    rows: [[12, 2, null, 2.5, -4, true, null, '2024-01-02T03:04:05Z']],
  },
  {
    // round-function: round(1234, -2) is 1200; halves go away from zero (docs/kql.md).
    name: 'round of longs with negative precision, bin with a computed timespan size',
    kql: 'datatable(l:long, t:timespan)[1250, 1h, 1249, 0s, 15, time(null)] | extend l = -l | extend r = round(l, -2), r1 = round(l, -1), b = bin(datetime(2024-01-01 10:30), t), sd = startofday(datetime(2024-01-01 10:00), -1) | sort by l asc',
    columns: [['l', 'long'], ['t', 'timespan'], ['r', 'long'], ['r1', 'long'], ['b', 'datetime'], ['sd', 'datetime']],
    rows: [
      [-1250, '01:00:00', -1300, -1250, '2024-01-01T10:00:00Z', '2023-12-31T00:00:00Z'],
      [-1249, '00:00:00', -1200, -1250, null, '2023-12-31T00:00:00Z'],
      [-15, null, 0, -20, null, '2023-12-31T00:00:00Z'],
    ],
  },
  {
    // datetime-diff-function: weeks start on Sunday; 1969-12-28 was a Sunday.
    name: "datetime_diff('week') counts Sundays, also before 1970",
    kql: 'print a = datetime_diff("week", datetime(1969-12-28), datetime(1969-12-27)), b = datetime_diff("week", datetime(2024-01-06), datetime(2024-01-07)), c = datetime_diff("week", datetime(2024-01-13 23:59), datetime(2024-01-07))',
    columns: [['a', 'long'], ['b', 'long'], ['c', 'long']],
    rows: [[1, -1, 0]],
  },
  {
    // make-set-aggregation-function: array inputs are flattened; null values are ignored.
    name: 'make_set of dynamic values flattens arrays and keeps scalars',
    kql: 'datatable(g:long, a:dynamic)[1, dynamic(["x", 1]), 1, dynamic(null), 1, dynamic("x"), 1, dynamic({"k": 1}), 2, dynamic(null)] | summarize s = make_set(a) by g | extend n = array_length(s) | project g, n | sort by g asc',
    columns: [['g', 'long'], ['n', 'long']],
    rows: [[1, 3], [2, 0]],
  },
  {
    // union-operator: withsource names each row's source; `as` names a leg.
    name: 'union withsource with every leg named by as',
    kql: 'union withsource=Src (print x = 1 | as A), (print x = 2 | as B) | sort by x asc',
    columns: [['Src', 'string'], ['x', 'long']],
    rows: [['A', 1], ['B', 2]],
  },
  {
    name: 'guid values: null is null, tostring of it is empty',
    kql: 'print g = guid(null), s = tostring(guid(null)), t = tostring(guid(74BE27DE-1E4E-49D9-B579-FE0B331D3642))',
    columns: [['g', 'guid'], ['s', 'string'], ['t', 'string']],
    rows: [[null, '', '74be27de-1e4e-49d9-b579-fe0b331d3642']],
  },
  {
    name: 'a hostile computed key into a property bag',
    kql: `datatable(k:string)["a'\\"b\\\\", "$.x"] | extend v = dynamic({"a'\\"b\\\\": 1, "$.x": 2})[k] | sort by k asc`,
    columns: [['k', 'string'], ['v', 'dynamic']],
    rows: [['$.x', 2], ['a\'"b\\', 1]],
  },
];

/** Forms still refused: an SMB001 error on both engines, never an answer. */
const REFUSED: ReadonlyArray<{ readonly name: string; readonly kql: string }> = [
  { name: 'union withsource over a leg without a name', kql: 'union withsource=S (print x = 1), (print x = 2)' },
  { name: 'has_any over a computed dynamic array', kql: 'datatable(s:string, d:dynamic)["a", dynamic(["a"])] | where s has_any (d)' },
  { name: 'extract converting to a timespan', kql: 'print x = extract("(.*)", 1, "1h", typeof(timespan))' },
];

let duck: MemoryDuckDb;
let ch: ChdbEngine;
beforeAll(async () => {
  duck = await openMemoryDuckDb();
  ch = ChdbEngine.open();
});
afterAll(() => {
  duck?.close();
  ch?.close();
});

const NOW = Date.UTC(2024, 0, 1) * 1000;

describe('KQL coverage beyond the conformance cases', () => {
  for (const c of CASES) {
    for (const engine of ['duckdb', 'clickhouse'] as const) {
      it(`${c.name} (${engine})`, async () => {
        const result = await runCompiled(compileKql(c.kql, { engine, now: NOW }), engine === 'duckdb' ? duck : ch);
        expect(result.columns.map((col) => [col.name, col.type])).toEqual(c.columns.map(([n, t]) => [n, scalarTypeOf(t)]));
        const types = c.columns.map(([, t]) => scalarTypeOf(t) ?? 'string');
        const expected: KustoValue[][] = c.rows.map((row) => row.map((v, i) => canonicalExpected(types[i] ?? 'string', v)));
        expect(result.rows).toEqual(expected);
      });
    }
  }
  for (const c of REFUSED) {
    it(`refuses ${c.name}`, () => {
      for (const engine of ['duckdb', 'clickhouse'] as const) {
        expect(() => compileKql(c.kql, { engine, now: NOW }), engine).toThrow(UnsupportedKqlError);
      }
    });
  }
});
