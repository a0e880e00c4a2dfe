/**
 * KQL conformance: every case under test/kql/cases/*.yaml runs on DuckDB and on ClickHouse (chdb). Each engine's
 * result must equal the hand-worked expectation (multiset unless `ordered`, reals within a relative 1e-9), and
 * the two engines must agree with each other. Error cases must fail with the given message fragment.
 *
 * Case format: name, kql, optional at (now()), lookback (timespan: the rule's query period), table (a fixture of
 * ASimNetworkSessionLogs: columns [[name, type]…] and rows, a row may be {times: n, row: […]}), and either
 * expected {columns, rows, ordered} or error.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ASIM_TABLE } from '../../src/asim/schema.js';
import { DIALECTS, compileKql, runCompiled, type KqlResult, type SqlRunner } from '../../src/kql/compile.js';
import type { Expr } from '../../src/kql/ir.js';
import { openMemoryDuckDb, type MemoryDuckDb } from '../../src/kql/memory-duckdb.js';
import { generateSql } from '../../src/kql/sql/generate.js';
import { parseTimespan } from '../../src/kql/timespan.js';
import { scalarTypeOf, type Column, type ScalarType } from '../../src/kql/types.js';
import { canonicalExpected, type KustoValue } from '../../src/kql/values.js';
import { asimTableDdl } from '../../src/store/duckdb.js';
import { UnsupportedKqlError } from '../../src/kql/errors.js';
import { REFUSED_CASES } from './refused.js';
import { ChdbEngine } from '../../src/store/chdb.js';
import { isoToMicros } from '../../src/util/time.js';

interface Case {
  name: string;
  kql: string;
  at?: string;
  lookback?: string;
  table?: { name: string; columns: Array<[string, string]>; rows: Array<unknown[] | { times: number; row: unknown[] }> };
  expected?: { columns: Array<[string, string]>; rows: unknown[][]; ordered?: boolean };
  error?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const casesDir = join(here, 'cases');
const DEFAULT_NOW = '2024-01-01T00:00:00Z';

function loadCases(): Array<{ file: string; c: Case }> {
  return readdirSync(casesDir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .flatMap((file) => (parse(readFileSync(join(casesDir, file), 'utf8')) as Case[]).map((c) => ({ file, c })));
}

// ---------------------------------------------------------------- comparison

function valuesEqual(type: ScalarType, a: KustoValue, b: KustoValue): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) && Number.isNaN(b)) return true;
    if (a === b) return true;
    return type === 'real' && Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  }
  if (type === 'dynamic') return dynamicEqual(a, b);
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Dynamic values: arrays compare as multisets (make_set/make_list order is unspecified in Kusto). */
function dynamicEqual(a: KustoValue, b: KustoValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    const rest = [...b];
    return a.every((x) => {
      const i = rest.findIndex((y) => dynamicEqual(x, y));
      if (i < 0) return false;
      rest.splice(i, 1);
      return true;
    });
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => dynamicEqual(a[k] ?? null, b[k] ?? null));
  }
  if (typeof a === 'number' && typeof b === 'number') return valuesEqual('real', a, b);
  return JSON.stringify(a) === JSON.stringify(b);
}

function rowsEqual(types: readonly ScalarType[], a: readonly KustoValue[], b: readonly KustoValue[]): boolean {
  return a.length === b.length && a.every((v, i) => valuesEqual(types[i] ?? 'string', v, b[i] ?? null));
}

/** Why two results differ, or undefined when they are equal. */
function difference(types: readonly ScalarType[], actual: readonly KustoValue[][], expected: readonly KustoValue[][], ordered: boolean): string | undefined {
  if (actual.length !== expected.length) return `row count ${actual.length}, expected ${expected.length}`;
  if (ordered) {
    const i = actual.findIndex((row, j) => !rowsEqual(types, row, expected[j] ?? []));
    return i < 0 ? undefined : `row ${i}: ${JSON.stringify(actual[i])}, expected ${JSON.stringify(expected[i])}`;
  }
  const rest = [...expected];
  for (const row of actual) {
    const i = rest.findIndex((e) => rowsEqual(types, row, e));
    if (i < 0) return `unexpected row ${JSON.stringify(row)}; unmatched expected rows ${JSON.stringify(rest)}`;
    rest.splice(i, 1);
  }
  return undefined;
}

// ---------------------------------------------------------------- fixtures

function fixtureRows(table: NonNullable<Case['table']>): unknown[][] {
  return table.rows.flatMap((r) => (Array.isArray(r) ? [r] : Array.from({ length: r.times }, () => r.row)));
}

function literalOf(type: ScalarType, value: unknown): Expr {
  if (value === null || value === undefined) return { k: 'lit', type, value: type === 'string' ? '' : null };
  if (type === 'datetime') return { k: 'lit', type, value: isoToMicros(String(value)) };
  if (type === 'dynamic') return { k: 'lit', type, value: value as never };
  return { k: 'lit', type, value: value as string | number | boolean };
}

/** INSERT of the fixture rows, as SQL generated through the dialect (so literals are escaped as everywhere). */
function fixtureInsert(runnerDialect: 'duckdb' | 'clickhouse', table: NonNullable<Case['table']>): string[] {
  const columns: Column[] = table.columns.map(([name, type]) => ({ name, type: scalarTypeOf(type) ?? 'string' }));
  const rows = fixtureRows(table).map((row) => columns.map((c, i) => literalOf(c.type, row[i])));
  const d = DIALECTS[runnerDialect];
  const statements: string[] = [];
  for (let i = 0; i < rows.length; i += 200) {
    const select = generateSql({ k: 'datatable', columns, rows: rows.slice(i, i + 200) }, { dialect: d, text: '' });
    statements.push(`INSERT INTO ${d.ident(table.name)} (${columns.map((c) => d.ident(c.name)).join(', ')}) ${select}`);
  }
  return statements;
}

// ---------------------------------------------------------------- engines

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

async function prepareTable(engine: 'duckdb' | 'clickhouse', table: Case['table']): Promise<void> {
  if (engine === 'duckdb') {
    await duck.query(`DROP TABLE IF EXISTS "${ASIM_TABLE}"`);
    await duck.query(asimTableDdl());
    for (const s of table ? fixtureInsert('duckdb', table) : []) await duck.query(s);
  } else {
    await ch.createAsimTable();
    for (const s of table ? fixtureInsert('clickhouse', table) : []) await ch.exec(s);
  }
}

async function runOn(engine: 'duckdb' | 'clickhouse', c: Case): Promise<KqlResult> {
  const runner: SqlRunner = engine === 'duckdb' ? duck : ch;
  const now = isoToMicros(c.at ?? DEFAULT_NOW);
  if (now === null) throw new Error(`bad 'at' in case ${c.name}`);
  const lookback = c.lookback === undefined ? undefined : parseTimespan(c.lookback);
  const compiled = compileKql(c.kql, { engine, now, ...(lookback === undefined ? {} : { lookback }) });
  return runCompiled(compiled, runner);
}

// ---------------------------------------------------------------- the suite

const cases = loadCases();

describe('KQL conformance', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  for (const { file, c } of cases) {
    it(`${file}: ${c.name}`, async () => {
      if (REFUSED_CASES.has(`${file}: ${c.name}`)) {
        for (const engine of ['duckdb', 'clickhouse'] as const) {
          const outcome = await runOn(engine, c).then(
            () => 'answered',
            (error: unknown) => (error instanceof UnsupportedKqlError ? 'refused' : `failed: ${String(error)}`),
          );
          expect(outcome, `${engine}: listed in test/kql/refused.ts; remove it once supported`).toBe('refused');
        }
        return;
      }
      if (c.error !== undefined) {
        for (const engine of ['duckdb', 'clickhouse'] as const) {
          await expect(runOn(engine, c), engine).rejects.toThrow(c.error);
        }
        return;
      }
      const expected = c.expected;
      if (!expected) throw new Error(`case ${c.name} has neither expected nor error`);
      const types = expected.columns.map(([, t]) => scalarTypeOf(t) ?? 'string');
      const expectedRows = expected.rows.map((row) => row.map((v, i) => canonicalExpected(types[i] ?? 'string', v)));
      const results: Record<string, KustoValue[][]> = {};
      for (const engine of ['duckdb', 'clickhouse'] as const) {
        await prepareTable(engine, c.table);
        const result = await runOn(engine, c);
        expect(result.columns.map((col) => [col.name, col.type]), `${engine} columns`).toEqual(
          expected.columns.map(([n, t]) => [n, scalarTypeOf(t) ?? t]),
        );
        const why = difference(types, result.rows, expectedRows, expected.ordered === true);
        expect(why, `${engine} rows`).toBeUndefined();
        results[engine] = result.rows;
      }
      const across = difference(types, results.duckdb ?? [], results.clickhouse ?? [], expected.ordered === true);
      expect(across, 'duckdb vs clickhouse').toBeUndefined();
    });
  }
});
