/**
 * The function registry and dialect capabilities: a function is one entry (registered, it compiles and runs on
 * both engines), a dialect states only differences (an engine version without a capability refuses what needs it,
 * or takes another form with the same rows), and refusals raised while writing SQL point at their construct.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery } from '../../src/kql/build.js';
import { compileKql, runCompiled } from '../../src/kql/compile.js';
import { UnsupportedKqlError } from '../../src/kql/errors.js';
import type { Catalog } from '../../src/kql/catalog.js';
import { aggregateFunction, kustoScalarFunction, registerFunctions, registeredNames } from '../../src/kql/functions/registry.js';
import { scalar } from '../../src/kql/functions/types.js';
import { openMemoryDuckDb, type MemoryDuckDb } from '../../src/kql/memory-duckdb.js';
import { clickhouse } from '../../src/kql/sql/clickhouse.js';
import { extendDialect } from '../../src/kql/sql/dialect.js';
import { duckdb } from '../../src/kql/sql/duckdb.js';
import { resultSql } from '../../src/kql/sql/generate.js';
import { arg } from '../../src/kql/sql/template.js';
import { ChdbEngine } from '../../src/store/chdb.js';

const here = dirname(fileURLToPath(import.meta.url));
const NOW = Date.UTC(2024, 0, 1) * 1000;

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

function refusal(run: () => unknown): UnsupportedKqlError {
  try {
    run();
  } catch (error) {
    if (error instanceof UnsupportedKqlError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('the function registry', () => {
  it('knows every function once, operators apart from callable functions', () => {
    const names = registeredNames();
    expect(names.scalars).toContain('tostring');
    expect(names.operators).toContain('has_any');
    expect(names.aggregates).toContain('arg_max');
    expect(kustoScalarFunction('has_any')).toBeUndefined();
    expect(kustoScalarFunction('iif')?.name).toBe('iff');
    expect(aggregateFunction('percentile')?.kind).toBe('aggregate');
    expect(() => registerFunctions([scalar({ name: 'tostring', sql: () => "''" })])).toThrow(/registered twice/);
  });

  it('compiles a newly registered function on both engines from one entry', async () => {
    // A Kusto function the binder knows stands in for a new one; this file's registry is its own (one module graph
    // per test file).
    registerFunctions([scalar({ name: 'gamma', sql: (a, c) => `exp(lgamma(${c.d.cast(arg(a, 0, c).sql, 'real')}))` })]);
    const kql = 'datatable(x:real)[1.0, 4.0, 5.0] | extend g = gamma(x) | sort by x asc';
    for (const [engine, runner] of [['duckdb', duck], ['clickhouse', ch]] as const) {
      const result = await runCompiled(compileKql(kql, { engine, now: NOW }), runner);
      expect(result.rows.map((r) => Math.round(Number(r[1]) * 1e9) / 1e9), engine).toEqual([1, 6, 24]);
    }
  });
});

describe('dialect capabilities', () => {
  it('never reads which engine it writes for', () => {
    for (const file of ['../../src/kql/sql/generate.ts', ...['aggregates', 'conversions', 'dynamic', 'ip', 'logic', 'math', 'operators', 'strings', 'time'].map((f) => `../../src/kql/functions/${f}.ts`)]) {
      const source = readFileSync(join(here, file), 'utf8');
      expect(source, file).not.toMatch(/\.name\s*[!=]==?\s*'(duckdb|clickhouse)'/);
      expect(source, file).not.toMatch(/\.label\s*[!=]==?/);
    }
  });

  it('writes a right semi join with swapped sides where the engine has none, with the same rows', async () => {
    const kql = 'datatable(k:long, a:string)[1, "x", 2, "y"] | join kind=rightsemi (datatable(k:long, b:string)[2, "p", 3, "q"]) on k';
    const { rel } = buildQuery(kql, { now: NOW });
    const withoutRightSemi = extendDialect(clickhouse, { label: 'ClickHouse without right semi joins', capabilities: { rightSemiJoin: false } });
    const swapped = resultSql(rel, { dialect: withoutRightSemi, text: kql });
    expect(swapped).toContain('LEFT SEMI JOIN');
    expect(swapped).not.toContain('RIGHT SEMI JOIN');
    expect(resultSql(rel, { dialect: clickhouse, text: kql })).toContain('RIGHT SEMI JOIN');
    const rows = (await ch.query(swapped)).rows;
    expect(rows.map((r) => [Number(r[0]), r[1]])).toEqual([[2, 'p']]);
  });

  it('refuses a function needing a capability the engine lacks, at the call', () => {
    registerFunctions([scalar({ name: 'hash_sha256', requires: ['windowFunctions'], sql: (a, c) => arg(a, 0, c).sql })]);
    const kql = 'print x = 1\n| extend h = hash_sha256("a")';
    const { rel } = buildQuery(kql, { now: NOW });
    const old = extendDialect(duckdb, { label: 'DuckDB without windows', capabilities: { windowFunctions: false } });
    expect(resultSql(rel, { dialect: duckdb, text: kql })).toContain("'a'");
    const error = refusal(() => resultSql(rel, { dialect: old, text: kql }));
    expect(error.message).toContain("function 'hash_sha256' on DuckDB without windows (needs windowFunctions)");
    expect(error.message).toContain('line 2, column 14');
  });
});

describe('positions of refusals raised while writing SQL', () => {
  it('point at the construct, not at the start of the query', () => {
    const kql = 'datatable(a:string, b:string)["x", "y"]\n| where a has_any (b)';
    const error = refusal(() => compileKql(kql, { engine: 'duckdb', now: NOW }));
    expect(error.message).toContain('has_any with a non-constant right side');
    expect(error.message).toContain('line 2, column 9');
  });
});

describe('the schema extension (tables and functions besides the ASIM ones)', () => {
  it('binds and reads an added table, and expands an added function with its arguments', async () => {
    const catalog: Catalog = {
      tables: [{ name: 'Watchlist_Ports', present: true, columns: [{ name: 'Port', type: 'long' }, { name: 'Name', type: 'string' }] }],
      functions: [{ name: '_PortName', parameters: '(port:long)', body: '{ datatable(Port:long, Name:string)[445, "SMB", 3389, "RDP"] | where Port == port }' }],
      watchlists: new Map(),
    };
    const scan = compileKql('Watchlist_Ports | where Port == 445', { engine: 'duckdb', now: NOW, catalog });
    expect(scan.sql).toContain('FROM "Watchlist_Ports"');
    const result = await runCompiled(compileKql('_PortName(445) | project Name', { engine: 'duckdb', now: NOW, catalog }), duck);
    expect(result.rows).toEqual([['SMB']]);
    const chResult = await runCompiled(compileKql('_PortName(port = 3389)', { engine: 'clickhouse', now: NOW, catalog }), ch);
    expect(chResult.rows).toEqual([[3389, 'RDP']]);
  });
});
