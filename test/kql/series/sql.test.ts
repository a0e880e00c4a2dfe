/**
 * The series SQL (src/kql/series/sql.ts) computes what the reference (algorithm.ts) defines, on DuckDB and on
 * ClickHouse (chdb): random series of every length that matters, with spikes, seasonality, trends and flat runs.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMemoryDuckDb, type MemoryDuckDb } from '../../../src/kql/memory-duckdb.js';
import { seriesDecompose, seriesDecomposeAnomalies, type OutlierKind, type Trend } from '../../../src/kql/series/algorithm.js';
import { CLICKHOUSE_ARRAYS, DUCKDB_ARRAYS, type ArraySql } from '../../../src/kql/series/array-sql.js';
import { decomposeAnomaliesSql, type AnomalyParameters } from '../../../src/kql/series/sql.js';
import { clickhouse } from '../../../src/kql/sql/clickhouse.js';
import { duckdb } from '../../../src/kql/sql/duckdb.js';
import { ChdbEngine } from '../../../src/store/chdb.js';

interface Engine {
  readonly name: string;
  readonly arrays: ArraySql;
  readonly literal: (json: string) => string;
  run(sql: string): Promise<unknown>;
}

let duck: MemoryDuckDb;
let chdb: ChdbEngine;
const engines: Engine[] = [];

beforeAll(async () => {
  duck = await openMemoryDuckDb();
  chdb = ChdbEngine.open();
  const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;
  engines.push(
    { name: 'duckdb', arrays: DUCKDB_ARRAYS, literal: (j) => duckdb.jsonArrayNumbers(`CAST(${quote(j)} AS JSON)`), run: async (sql) => (await duck.query(`SELECT CAST(${sql} AS VARCHAR) AS r`)).rows[0]![0] },
    { name: 'clickhouse', arrays: CLICKHOUSE_ARRAYS, literal: (j) => clickhouse.jsonArrayNumbers(quote(j)), run: async (sql) => (await chdb.query(`SELECT ${sql} AS r`)).rows[0]![0] },
  );
});

afterAll(() => {
  duck?.close();
  chdb?.close();
});

type Bag = Record<'flags' | 'scores' | 'baseline' | 'seasonal' | 'trend' | 'residual', Array<number | string>>;

async function viaSql(engine: Engine, series: number[], p: AnomalyParameters): Promise<Bag> {
  const text = await engine.run(decomposeAnomaliesSql(engine.arrays, engine.literal(JSON.stringify(series)), p));
  return JSON.parse(String(text)) as Bag;
}

const finite = (v: number | string): number => (typeof v === 'number' ? v : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : NaN);

function expectClose(actual: ReadonlyArray<number | string>, expected: readonly number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((a, i) => {
    const x = finite(a), y = expected[i]!;
    if (!Number.isFinite(y)) expect(x, `${what}[${i}]`).toBe(y);
    else expect(Math.abs(x - y), `${what}[${i}]: ${x} vs ${y}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(y)));
  });
}

/** Every series under setting `p`, in one query per engine (parameters are constants of the SQL). */
async function expectSameAsReference(samples: readonly number[][], p: AnomalyParameters, components = false): Promise<void> {
  for (const engine of engines) {
    const isDuckDb = engine.name === 'duckdb';
    const rows = samples.map((ys, k) => `SELECT ${k} AS k, ${engine.literal(JSON.stringify(ys))} AS s`).join(' UNION ALL ');
    const bagSql = decomposeAnomaliesSql(engine.arrays, 's', p);
    const sql = `SELECT k, ${isDuckDb ? `CAST(${bagSql} AS VARCHAR)` : bagSql} AS r FROM (${rows}) ORDER BY k`;
    const result = isDuckDb ? await duck.query(sql) : await chdb.query(sql);
    expect(result.rows).toHaveLength(samples.length);
    for (const row of result.rows) {
      const ys = samples[Number(row[0])]!;
      const bag = JSON.parse(String(row[1])) as Bag;
      const reference = seriesDecomposeAnomalies(ys, p);
      const label = `${engine.name} ${JSON.stringify(ys)} ${JSON.stringify(p)}`;
      expect(bag.flags, label).toEqual(reference.flags);
      expectClose(bag.scores, reference.scores, `${label} scores`);
      expectClose(bag.baseline, reference.baseline, `${label} baseline`);
      if (components) {
        const parts = seriesDecompose(ys, p);
        expectClose(bag.seasonal, parts.seasonal, `${label} seasonal`);
        expectClose(bag.trend, parts.trend, `${label} trend`);
        expectClose(bag.residual, parts.residual, `${label} residual`);
      }
    }
  }
}

const RULES: AnomalyParameters = { threshold: 2.5, seasonality: -1, trend: 'linefit', testPoints: 0, adMethod: 'ctukey', seasonalityThreshold: 0.6 };

describe('series_decompose_anomalies in SQL', () => {
  it("matches the reference on the rules' setting: spikes, weekly patterns (period detected), flat series (zero fence range)", async () => {
    const weekly = Array.from({ length: 28 }, (_, i) => [5, 90, 95, 92, 97, 91, 6][i % 7]! + (i === 27 ? 300 : 0));
    await expectSameAsReference([
      [100, 102, 98, 101, 99, 100, 103, 97, 100, 101, 99, 102, 98, 400],
      weekly,
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 50],
      [7, 7, 7, 7, 7, 7, 7, 7, 7, 7],
      [],
      [42],
    ], RULES, true);
  });

  it('matches the reference on random series under every trend, seasonality and method', async () => {
    const settings: AnomalyParameters[] = [
      RULES,
      { ...RULES, trend: 'avg' },
      { ...RULES, trend: 'none', adMethod: 'tukey', threshold: 1.5 },
      { ...RULES, seasonality: 0 },
      { ...RULES, seasonality: 7, trend: 'avg' },
      { ...RULES, seasonality: 4, testPoints: 2 },
    ];
    const series = fc.oneof(
      fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 0, maxLength: 30 }),
      // Reals with two decimals: subnormal values make the engines' percentile interpolation differ in the last bits,
      // which a near-zero fence range then magnifies (a floating-point artefact, not a semantic difference).
      fc.array(fc.integer({ min: -100_000, max: 100_000 }).map((v) => v / 100), { minLength: 3, maxLength: 30 }),
      fc.tuple(fc.integer({ min: 4, max: 8 }), fc.integer({ min: 10, max: 40 }), fc.integer({ min: 0, max: 39 }))
        .map(([period, length, spike]) => Array.from({ length }, (_, i) => (i % period) * 10 + i + (i === spike ? 500 : 0))),
    );
    const samples = fc.sample(series, { numRuns: 50, seed: 20250219 });
    for (const p of settings) await expectSameAsReference(samples, p, p === RULES);
  }, 60_000);
});
