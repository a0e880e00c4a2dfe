/**
 * Fixture networks for the Network Session Essentials rules: a few hosts' sessions as ASIM records in a DuckDB store
 * (ingested as `smbwatch ingest` would), and a rule's result rows at a time T on DuckDB and on ClickHouse (chdb over
 * the same store), compiled as `smbwatch run` compiles it (its look-back, the store's catalog).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AsimRecord } from '../../src/asim/record.js';
import { buildQuery } from '../../src/kql/build.js';
import { dialectFor, runCompiled, type CompiledQuery, type DialectChoice, type KqlResult } from '../../src/kql/compile.js';
import { resultSql } from '../../src/kql/sql/generate.js';
import type { KustoValue } from '../../src/kql/values.js';
import { builtinRules } from '../../src/rules/load.js';
import { applyParameters } from '../../src/rules/parameters.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { withQueryEngine } from '../../src/store/engines.js';
import { storeCatalog } from '../../src/summaries/catalog.js';
import { builtinSummaryRules } from '../../src/summaries/rule.js';
import { summarizeRange } from '../../src/summaries/run.js';
import { isoToMicros } from '../../src/util/time.js';
import { writeStore } from '../run/stores.js';

export const MINUTE = 60_000_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export function micros(iso: string): number {
  const value = isoToMicros(iso);
  if (value === null) throw new Error(`not a time: ${iso}`);
  return value;
}

export function iso(value: number): string {
  return new Date(value / 1000).toISOString().replace('.000Z', 'Z');
}

/** A Zeek conn record as the Corelight parser maps it: TCP, EventCount 1, no DvcAction. */
export function session(time: number, fields: AsimRecord): AsimRecord {
  return {
    TimeGenerated: time, EventStartTime: time, EventEndTime: time, EventCount: 1, EventType: 'Flow', EventProduct: 'Zeek',
    EventVendor: 'Corelight', EventSchema: 'NetworkSession', EventSchemaVersion: '0.2.4', Type: 'Corelight_CL',
    NetworkProtocol: 'TCP', EventResult: 'Success', SrcPortNumber: 50000, SrcBytes: 100, DstBytes: 1000,
    ...fields,
  };
}

/** `count` copies of a record, `step` microseconds apart. */
export function repeat(count: number, start: number, step: number, fields: AsimRecord): AsimRecord[] {
  return Array.from({ length: count }, (_, i) => session(start + i * step, fields));
}

export function rule(id: string) {
  const found = builtinRules().find((r) => r.id === id);
  if (!found) throw new Error(`no built-in rule ${id}`);
  return found;
}

export interface Results {
  readonly duckdb: KqlResult;
  readonly clickhouse: KqlResult;
}

/**
 * The rule's result at `at` over a store holding `records`, on both engines. With `summarize`, the summary rules
 * first run over every bin before `at` (as `smbwatch watch` would have), so the rule reads NetworkSummary_Protocol_CL.
 */
export async function ruleResults(id: string, records: readonly AsimRecord[], at: string, options: { summarize?: boolean } = {}): Promise<Results> {
  const dir = mkdtempSync(join(tmpdir(), 'smbwatch-essentials-'));
  const path = join(dir, 'store.duckdb');
  try {
    await writeStore(path, records);
    const store = await openDuckDbStore(path);
    try {
      const now = micros(at);
      if (options.summarize) {
        for (const summary of builtinSummaryRules()) await summarizeRange(store, summary, now - 30 * DAY, now, await storeCatalog(store));
      }
      const catalog = await storeCatalog(store);
      const selected = rule(id);
      const text = applyParameters(selected, {});
      const lookback = selected.queryPeriodMs * 1000;
      // Built once (Kusto.Language is the slow part), SQL for each engine.
      const { rel } = buildQuery(text, { now, lookback, catalog });
      const compiled = (engine: DialectChoice): CompiledQuery => ({ sql: resultSql(rel, { dialect: dialectFor(engine), text }), columns: rel.columns, ir: rel });
      const duckdb = await runCompiled(compiled('duckdb'), store);
      const clickhouse = await withQueryEngine(store, 'clickhouse', (sql, dialect) => runCompiled(compiled(dialect), sql));
      return { duckdb, clickhouse };
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A set's elements in order: numbers by value, others by text (make_set's order is unspecified). */
export function sortedSet(values: readonly unknown[]): unknown[] {
  return [...values].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))));
}

/** Rows as objects of the named columns, datetimes as ISO text, sorted by their JSON: what the tests compare. */
export function pick(result: KqlResult, columns: readonly string[]): Array<Record<string, unknown>> {
  const index = columns.map((name) => {
    const i = result.columns.findIndex((c) => c.name === name);
    if (i < 0) throw new Error(`no column ${name} in ${result.columns.map((c) => c.name).join(', ')}`);
    return i;
  });
  const value = (v: KustoValue, type: string): unknown => {
    if (type === 'datetime' && typeof v === 'number') return iso(v);
    if (Array.isArray(v)) return sortedSet(v);
    return v;
  };
  return result.rows
    .map((row) => Object.fromEntries(columns.map((name, k) => [name, value(row[index[k]!]!, result.columns[index[k]!]!.type)])))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
