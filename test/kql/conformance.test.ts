/**
 * KQL conformance: every case under test/kql/cases/*.yaml runs on DuckDB, on ClickHouse 26 (chdb) and on a
 * two-shard ClickHouse 18.16 cluster (Debian's clickhouse-server, started once for this file; the case's table is
 * a Distributed table over both shards, rows spread at random). Each engine's result must equal the hand-worked
 * expectation (multiset unless `ordered`, reals within a relative 1e-9), and the engines must agree with each
 * other. Cases the old server cannot answer are listed in refused.ts and must be refused there (SMB001 naming it). Dynamic arrays compare element by element in order, except in the
 * columns listed in `unordered_arrays` (make_set: Kusto leaves the order unspecified), where they compare as
 * multisets. Error cases must fail with the given message fragment (`error: SMB001` for a refusal). Optional `sql:`
 * checks pin the generated SQL's shape (`includes`/`excludes` for both engines, or under `duckdb:`/`clickhouse:`).
 *
 * The format is described in test/kql/cases/README.md.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ASIM_COLUMNS, ASIM_TABLE } from '../../src/asim/schema.js';
import { DIALECTS, compileKql, runCompiled, type CompiledQuery, type KqlResult, type SqlRunner } from '../../src/kql/compile.js';
import type { Expr } from '../../src/kql/ir.js';
import { openMemoryDuckDb, type MemoryDuckDb } from '../../src/kql/memory-duckdb.js';
import { generateSql } from '../../src/kql/sql/generate.js';
import { parseTimespan } from '../../src/kql/timespan.js';
import { scalarTypeOf, type Column, type ScalarType } from '../../src/kql/types.js';
import { canonicalExpected, type KustoValue } from '../../src/kql/values.js';
import { asimTableDdl } from '../../src/store/duckdb.js';
import { UnsupportedKqlError } from '../../src/kql/errors.js';
import { ChdbEngine } from '../../src/store/chdb.js';
import type { Dialect } from '../../src/kql/sql/dialect.js';
import type { Store } from '../../src/store/engine.js';
import { openStore, storeAddress } from '../../src/store/engines.js';
import { ClickHouseStoreError, type ClickHouseServerStore } from '../../src/store/clickhouse/server-store.js';
import { CLUSTER_HOOK_TIMEOUT, startTestCluster, type TestCluster } from '../helpers/clickhouse.js';
import { REFUSED_CASES, REFUSED_ON_OLD_SERVER, SERVER_ERROR_ON_OLD_SERVER } from './refused.js';
import { isoToMicros } from '../../src/util/time.js';

interface SqlChecks {
  includes?: string[];
  excludes?: string[];
}

type Engine = 'duckdb' | 'clickhouse' | 'clickhouse-server';

interface Case {
  name: string;
  kql: string;
  at?: string;
  lookback?: string;
  table?: { name: string; columns: Array<[string, string]>; rows: Array<unknown[] | { times: number; row: unknown[] }> };
  expected?: { columns: Array<[string, string]>; rows: unknown[][]; ordered?: boolean; unordered_arrays?: string[] };
  error?: string;
  sql?: SqlChecks & Partial<Record<Engine, SqlChecks>>;
}

const ENGINES: readonly Engine[] = ['duckdb', 'clickhouse', 'clickhouse-server'];

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

/** How a column's values compare: its type, and for dynamic columns whether top-level arrays are multisets. */
interface ColumnRule {
  readonly type: ScalarType;
  readonly unorderedArrays: boolean;
}

function valuesEqual(rule: ColumnRule, a: KustoValue, b: KustoValue): boolean {
  if (typeof a === 'number' && typeof b === 'number') return numbersEqual(rule.type, a, b);
  if (rule.type === 'dynamic') return dynamicEqual(a, b, rule.unorderedArrays);
  return JSON.stringify(a) === JSON.stringify(b);
}

function numbersEqual(type: ScalarType, a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  return type === 'real' && Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * Dynamic values: arrays element by element in order — or, at the top level of an `unordered_arrays` column, as
 * multisets; bags regardless of key order; numbers within the real tolerance (JSON does not say long or real).
 */
function dynamicEqual(a: KustoValue, b: KustoValue, unordered = false): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    if (!unordered) return a.every((x, i) => dynamicEqual(x, b[i] ?? null));
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
  if (typeof a === 'number' && typeof b === 'number') return numbersEqual('real', a, b);
  return JSON.stringify(a) === JSON.stringify(b);
}

function rowsEqual(rules: readonly ColumnRule[], a: readonly KustoValue[], b: readonly KustoValue[]): boolean {
  return a.length === b.length && a.every((v, i) => valuesEqual(rules[i] ?? { type: 'string', unorderedArrays: false }, v, b[i] ?? null));
}

/** Why two results differ, or undefined when they are equal. */
function difference(rules: readonly ColumnRule[], actual: readonly KustoValue[][], expected: readonly KustoValue[][], ordered: boolean): string | undefined {
  if (actual.length !== expected.length) return `row count ${actual.length}, expected ${expected.length}`;
  if (ordered) {
    const i = actual.findIndex((row, j) => !rowsEqual(rules, row, expected[j] ?? []));
    return i < 0 ? undefined : `row ${i}: ${JSON.stringify(actual[i])}, expected ${JSON.stringify(expected[i])}`;
  }
  const rest = [...expected];
  for (const row of actual) {
    const i = rest.findIndex((e) => rowsEqual(rules, row, e));
    if (i < 0) return `unexpected row ${JSON.stringify(row)}; unmatched expected rows ${JSON.stringify(rest)}`;
    rest.splice(i, 1);
  }
  return undefined;
}

/** Why the SQL breaks a case's `sql:` checks, or undefined. */
function sqlDifference(sql: string, checks: Case['sql'], engine: Engine): string | undefined {
  if (!checks) return undefined;
  const includes = [...(checks.includes ?? []), ...(checks[engine]?.includes ?? [])];
  const excludes = [...(checks.excludes ?? []), ...(checks[engine]?.excludes ?? [])];
  const missing = includes.filter((fragment) => !sql.includes(fragment));
  const present = excludes.filter((fragment) => sql.includes(fragment));
  if (missing.length === 0 && present.length === 0) return undefined;
  return `${engine} SQL ${missing.length ? `lacks ${JSON.stringify(missing)}` : ''}${present.length ? ` has ${JSON.stringify(present)}` : ''}:\n${sql}`;
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
function fixtureInsert(d: Dialect, table: NonNullable<Case['table']>): string[] {
  const columns: Column[] = table.columns.map(([name, type]) => ({ name, type: scalarTypeOf(type) ?? 'string' }));
  const rows = fixtureRows(table).map((row) => columns.map((c, i) => literalOf(c.type, row[i])));
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
let cluster: TestCluster;
let server: Store;
/** The fixture the cluster's table holds now (cases sharing one skip reloading it). */
let serverFixture: string | undefined;

const SERVER_DB = 'kqlcases';

beforeAll(async () => {
  duck = await openMemoryDuckDb();
  ch = ChdbEngine.open();
  cluster = await startTestCluster();
  server = await openStore(storeAddress(cluster.url(SERVER_DB)), { create: true });
}, CLUSTER_HOOK_TIMEOUT);

afterAll(async () => {
  duck?.close();
  ch?.close();
  await server?.close();
  await cluster?.dispose();
}, CLUSTER_HOOK_TIMEOUT);

/**
 * The cluster's dialect is that of its server version, reading each case's table as it is (the test creates it):
 * not the store's, which reads the ASIM table from the records smbwatch ingested (TableSource).
 */
const dialectOf = (engine: Engine): Dialect => (engine === 'clickhouse-server' ? (server as ClickHouseServerStore).capabilities.dialect : DIALECTS[engine]);

/** The ASIM table on the cluster: a MergeTree table on each shard and a Distributed table over them. */
async function prepareServerTable(table: Case['table']): Promise<void> {
  const key = JSON.stringify(table ?? null);
  if (key === serverFixture) return;
  const d = server.dialect;
  const columns = ASIM_COLUMNS.map((c) => `${d.ident(c.name)} ${d.sqlType(c.type as ScalarType)}`).join(', ');
  for (const index of cluster.nodes.keys()) {
    await cluster.sql(`DROP TABLE IF EXISTS ${SERVER_DB}.asim_local`, index);
    await cluster.sql(`CREATE TABLE ${SERVER_DB}.asim_local (${columns}) ENGINE = MergeTree ORDER BY tuple()`, index);
  }
  if (serverFixture === undefined) {
    await cluster.sql(`DROP TABLE IF EXISTS ${SERVER_DB}.${ASIM_TABLE}`);
    await cluster.sql(`CREATE TABLE ${SERVER_DB}.${ASIM_TABLE} AS ${SERVER_DB}.asim_local ENGINE = Distributed(${cluster.name}, ${SERVER_DB}, asim_local, rand())`);
  }
  for (const s of table ? fixtureInsert(d, table) : []) await server.query(s);
  serverFixture = key;
}

async function prepareTable(engine: Engine, table: Case['table']): Promise<void> {
  if (engine === 'duckdb') {
    await duck.query(`DROP TABLE IF EXISTS "${ASIM_TABLE}"`);
    await duck.query(asimTableDdl());
    for (const s of table ? fixtureInsert(DIALECTS.duckdb, table) : []) await duck.query(s);
  } else if (engine === 'clickhouse') {
    await ch.createAsimTable();
    for (const s of table ? fixtureInsert(DIALECTS.clickhouse, table) : []) await ch.exec(s);
  } else {
    await prepareServerTable(table);
  }
}

function runnerOf(engine: Engine): SqlRunner {
  return engine === 'duckdb' ? duck : engine === 'clickhouse' ? ch : server;
}

function compileCase(engine: Engine, c: Case): CompiledQuery {
  const now = isoToMicros(c.at ?? DEFAULT_NOW);
  if (now === null) throw new Error(`bad 'at' in case ${c.name}`);
  const lookback = c.lookback === undefined ? undefined : parseTimespan(c.lookback);
  return compileKql(c.kql, { engine: dialectOf(engine), now, ...(lookback === undefined ? {} : { lookback }) });
}

async function runOn(engine: Engine, c: Case): Promise<KqlResult> {
  return runCompiled(compileCase(engine, c), runnerOf(engine));
}

// ---------------------------------------------------------------- the suite

const cases = loadCases();

describe('KQL conformance', () => {
  it('has cases, each named once', () => {
    expect(cases.length).toBeGreaterThan(0);
    const names = cases.map(({ c }) => c.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('compares dynamic arrays in order, except at the top of unordered_arrays columns', () => {
    const ordered: ColumnRule[] = [{ type: 'dynamic', unorderedArrays: false }];
    const unordered: ColumnRule[] = [{ type: 'dynamic', unorderedArrays: true }];
    expect(difference(ordered, [[[1, 2]]], [[[2, 1]]], true)).toBeDefined();
    expect(difference(unordered, [[[1, 2]]], [[[2, 1]]], true)).toBeUndefined();
    expect(difference(unordered, [[[[1, 2], 3]]], [[[3, [2, 1]]]], true)).toBeDefined();
    expect(difference(unordered, [[[1, 1, 2]]], [[[1, 2, 2]]], true)).toBeDefined();
  });

  for (const { file, c } of cases) {
    it(`${file}: ${c.name}`, async () => {
      if (REFUSED_CASES.has(`${file}: ${c.name}`)) {
        for (const engine of ENGINES) {
          const outcome = await runOn(engine, c).then(
            () => 'answered',
            (error: unknown) => (error instanceof UnsupportedKqlError ? 'refused' : `failed: ${String(error)}`),
          );
          expect(outcome, `${engine}: listed in test/kql/refused.ts; remove it once supported`).toBe('refused');
        }
        return;
      }
      if (REFUSED_ON_OLD_SERVER.has(`${file}: ${c.name}`)) {
        const outcome = await runOn('clickhouse-server', c).then(
          () => 'answered',
          (error: unknown) => (error instanceof UnsupportedKqlError && /ClickHouse 18\.16/.test(error.message) ? 'refused' : `failed: ${String(error)}`),
        );
        expect(outcome, 'clickhouse-server: listed in REFUSED_ON_OLD_SERVER (test/kql/refused.ts); remove it once supported').toBe('refused');
      }
      if (SERVER_ERROR_ON_OLD_SERVER.has(`${file}: ${c.name}`)) {
        const outcome = await runOn('clickhouse-server', c).then(
          () => 'answered',
          (error: unknown) => (error instanceof ClickHouseStoreError ? 'server error' : `failed otherwise: ${String(error)}`),
        );
        expect(outcome, 'clickhouse-server: listed in SERVER_ERROR_ON_OLD_SERVER (test/kql/refused.ts); remove it once it is refused or answered').toBe('server error');
      }
      const oldServerSkips = (key: string): boolean => REFUSED_ON_OLD_SERVER.has(key) || SERVER_ERROR_ON_OLD_SERVER.has(key);
      const engines = ENGINES.filter((engine) => engine !== 'clickhouse-server' || !oldServerSkips(`${file}: ${c.name}`));
      if (c.error !== undefined) {
        for (const engine of engines) {
          await expect(runOn(engine, c), engine).rejects.toThrow(c.error);
        }
        return;
      }
      const expected = c.expected;
      if (!expected) throw new Error(`case ${c.name} has neither expected nor error`);
      const unordered = new Set(expected.unordered_arrays ?? []);
      const rules: ColumnRule[] = expected.columns.map(([name, t]) => ({ type: scalarTypeOf(t) ?? 'string', unorderedArrays: unordered.has(name) }));
      const expectedRows = expected.rows.map((row) => row.map((v, i) => canonicalExpected(rules[i]?.type ?? 'string', v)));
      const results: Record<string, KustoValue[][]> = {};
      for (const engine of engines) {
        await prepareTable(engine, c.table);
        const compiled = compileCase(engine, c);
        expect(sqlDifference(compiled.sql, c.sql, engine), `${engine} sql`).toBeUndefined();
        const result = await runCompiled(compiled, runnerOf(engine));
        expect(result.columns.map((col) => [col.name, col.type]), `${engine} columns`).toEqual(
          expected.columns.map(([n, t]) => [n, scalarTypeOf(t) ?? t]),
        );
        const why = difference(rules, result.rows, expectedRows, expected.ordered === true);
        expect(why, `${engine} rows`).toBeUndefined();
        results[engine] = result.rows;
      }
      for (const engine of engines.slice(1)) {
        const across = difference(rules, results.duckdb ?? [], results[engine] ?? [], expected.ordered === true);
        expect(across, `duckdb vs ${engine}`).toBeUndefined();
      }
    });
  }
});
