/**
 * The KQL compiler's front door: KQL text → SQL for an engine, and running it.
 *
 *   Kusto.Language (parse + bind, kusto.ts) → IR (build.ts) → SQL per dialect (sql/generate.ts)
 */
import type { QueryResult } from '../store/engine.js';
import { buildQuery } from './build.js';
import type { Catalog } from './catalog.js';
import type { Rel } from './ir.js';
import { clickhouse } from './sql/clickhouse.js';
import type { Dialect, DialectName } from './sql/dialect.js';
import { duckdb } from './sql/duckdb.js';
import { resultSql } from './sql/generate.js';
import type { Column } from './types.js';
import { normalizeValue, type KustoValue } from './values.js';

export const DIALECTS: Readonly<Record<DialectName, Dialect>> = { duckdb, clickhouse };

/** An engine's dialect by name, or a dialect object (a version of an engine, e.g. an old ClickHouse server's). */
export type DialectChoice = DialectName | Dialect;

export function dialectFor(choice: DialectChoice): Dialect {
  return typeof choice === 'string' ? DIALECTS[choice] : choice;
}

export interface CompileOptions {
  readonly engine: DialectChoice;
  /** The instant `now()` and `ago()` refer to, in microseconds since the epoch (UTC). */
  readonly now: number;
  /** Limit reads of the ASIM table to [now − lookback, now] (microseconds), as a scheduled rule's query period. */
  readonly lookback?: number;
  /** Tables, stored functions and watchlists beyond the ASIM table (catalog.ts). */
  readonly catalog?: Catalog;
}

export interface CompiledQuery {
  readonly sql: string;
  /** The result's columns with their Kusto types (as Kusto.Language bound them). */
  readonly columns: readonly Column[];
  readonly ir: Rel;
}

export function compileKql(text: string, options: CompileOptions): CompiledQuery {
  const { rel } = buildQuery(text, {
    now: options.now,
    ...(options.lookback === undefined ? {} : { lookback: options.lookback }),
    ...(options.catalog === undefined ? {} : { catalog: options.catalog }),
  });
  const sql = resultSql(rel, { dialect: dialectFor(options.engine), text });
  return { sql, columns: rel.columns, ir: rel };
}

/** Anything that runs SQL: the DuckDB store, an in-memory DuckDB, the chdb engine. */
export interface SqlRunner {
  query(sql: string): Promise<QueryResult>;
}

export interface KqlResult {
  readonly columns: readonly Column[];
  readonly rows: KustoValue[][];
}

export async function runCompiled(compiled: CompiledQuery, runner: SqlRunner): Promise<KqlResult> {
  const result = await runner.query(compiled.sql);
  const rows = result.rows.map((row) => compiled.columns.map((c, i) => normalizeValue(c.type, row[i])));
  return { columns: compiled.columns, rows };
}

export async function runKql(text: string, options: CompileOptions & { readonly runner: SqlRunner }): Promise<KqlResult> {
  return runCompiled(compileKql(text, options), options.runner);
}
