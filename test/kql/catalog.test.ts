/**
 * The catalog (src/kql/catalog.ts): `_GetWatchlist`, tables the store may or may not hold, `union isfuzzy=true`
 * skipping a leg over a missing table, stored functions expanded from their body, and column wildcards that match
 * nothing — on DuckDB and ClickHouse (chdb).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/kql/catalog.js';
import { compileKql, runCompiled, type SqlRunner } from '../../src/kql/compile.js';
import { KqlError } from '../../src/kql/errors.js';
import { openMemoryDuckDb, type MemoryDuckDb } from '../../src/kql/memory-duckdb.js';
import type { DialectName } from '../../src/kql/sql/dialect.js';
import { ChdbEngine } from '../../src/store/chdb.js';
import { parseWatchlistCsv } from '../../src/watchlists/load.js';

const watchlist = parseWatchlistCsv('Port,Name\n445,smb\n3389,rdp\n', { alias: 'Ports', searchKey: 'Port', source: 'Ports.csv', updatedMicros: null });
const summary = { name: 'Summary_CL', columns: [{ name: 'TimeGenerated', type: 'datetime' as const }, { name: 'n', type: 'long' as const }] };

function catalog(summaryPresent: boolean): Catalog {
  return {
    watchlists: new Map([['Ports', watchlist]]),
    tables: [{ ...summary, present: summaryPresent }, { name: 'Never_CL', columns: [{ name: 'x', type: 'long' }], present: false }],
    functions: [{ name: 'SummaryParser', parameters: '()', body: '{ union isfuzzy=true Summary_CL, Never_CL }' }],
  };
}

let duck: MemoryDuckDb;
let chdb: ChdbEngine;
const runners: Record<DialectName, () => SqlRunner> = { duckdb: () => duck, clickhouse: () => chdb };

beforeAll(async () => {
  duck = await openMemoryDuckDb();
  chdb = ChdbEngine.open();
  await duck.query('CREATE TABLE "Summary_CL" ("TimeGenerated" TIMESTAMP, "n" BIGINT)');
  await duck.query("INSERT INTO \"Summary_CL\" VALUES ('2024-01-01 00:00:00', 5), ('2023-12-01 00:00:00', 7)");
  await chdb.query("CREATE TABLE Summary_CL (TimeGenerated Nullable(DateTime64(6, 'UTC')), n Nullable(Int64)) ENGINE = Memory");
  await chdb.query("INSERT INTO Summary_CL VALUES ('2024-01-01 00:00:00', 5), ('2023-12-01 00:00:00', 7)");
});

afterAll(() => {
  duck?.close();
  chdb?.close();
});

const NOW = Date.UTC(2024, 0, 2) * 1000;

async function rows(kql: string, present: boolean, lookback?: number): Promise<Record<DialectName, unknown[][]>> {
  const out = {} as Record<DialectName, unknown[][]>;
  for (const engine of ['duckdb', 'clickhouse'] as const) {
    const compiled = compileKql(kql, { engine, now: NOW, catalog: catalog(present), ...(lookback ? { lookback } : {}) });
    out[engine] = (await runCompiled(compiled, runners[engine]())).rows;
  }
  return out;
}

describe('the catalog', () => {
  it("_GetWatchlist returns the watchlist's items with SearchKey and its columns as strings", async () => {
    const result = await rows("_GetWatchlist('Ports') | project SearchKey, Port, Name, tostring(WatchlistItem.Name) | order by Port asc", false);
    for (const r of Object.values(result)) expect(r).toEqual([['3389', '3389', 'rdp', 'rdp'], ['445', '445', 'smb', 'smb']]);
  });

  it('refuses an unknown watchlist, naming the known ones', () => {
    expect(() => compileKql("_GetWatchlist('Nope')", { engine: 'duckdb', now: NOW, catalog: catalog(false) })).toThrow(/no such watchlist \(known: Ports/);
  });

  it('reads a present table, within the look-back when one is set', async () => {
    for (const r of Object.values(await rows('Summary_CL | summarize sum(n)', true))) expect(r).toEqual([[12]]);
    for (const r of Object.values(await rows('Summary_CL | summarize sum(n)', true, 2 * 86_400_000_000))) expect(r).toEqual([[5]]);
  });

  it("leaves out rows not yet written at now (a summary bin that ends after the run), within a rule's look-back", async () => {
    // Summary_CL's rows at 2024-01-01 (5) and 2023-12-01 (7); now is 2024-01-02. A row written one day after its
    // TimeGenerated is there at now; one written a microsecond later is not yet.
    const DAY = 86_400_000_000;
    for (const [after, total] of [[DAY, 12], [DAY + 1, 7]] as const) {
      const written: Catalog = { ...catalog(true), tables: catalog(true).tables.map((t) => (t.name === 'Summary_CL' ? { ...t, writtenAfter: after } : t)) };
      for (const engine of ['duckdb', 'clickhouse'] as const) {
        const compiled = compileKql('Summary_CL | summarize sum(n)', { engine, now: NOW, catalog: written, lookback: 40 * DAY });
        expect([engine, after, (await runCompiled(compiled, runners[engine]())).rows]).toEqual([engine, after, [[total]]]);
      }
    }
  });

  it('skips a fuzzy union leg over a missing table; elsewhere a missing table is an unknown name, as in Kusto', async () => {
    const kql = 'union isfuzzy=true (Summary_CL | project v = n), (print v = long(1)) | summarize total = sum(v)';
    for (const r of Object.values(await rows(kql, true))) expect(r).toEqual([[13]]);
    for (const r of Object.values(await rows(kql, false))) expect(r).toEqual([[1]]);
    expect(() => compileKql('Summary_CL', { engine: 'duckdb', now: NOW, catalog: catalog(false) })).toThrow(KqlError);
    expect(() => compileKql('Summary_CL', { engine: 'duckdb', now: NOW, catalog: catalog(false) })).toThrow(/KS142 .*The name 'Summary_CL' does not refer to any known/);
  });

  it('expands stored functions; a fuzzy union with no table left fails as Kusto does', async () => {
    for (const r of Object.values(await rows('SummaryParser | summarize count()', true))) expect(r).toEqual([[2]]);
    expect(() => compileKql('union isfuzzy=true Summary_CL, Never_CL', { engine: 'duckdb', now: NOW, catalog: catalog(false) })).toThrow(/SMB002 .*none of its tables exists \(Summary_CL, Never_CL\)/);
    expect(() => compileKql('SummaryParser', { engine: 'duckdb', now: NOW, catalog: catalog(false) })).toThrow(/SMB002/);
  });

  it('accepts a column wildcard that matches nothing (project-away removes nothing)', async () => {
    const kql = 'datatable(a:long, b:long, c:long)[1, 2, 3] | project-away a* | project-away a*, b';
    for (const r of Object.values(await rows(kql, false))) expect(r).toEqual([[3]]);
  });
});
