/**
 * `smbwatch query`: runs ad-hoc KQL over the store, on DuckDB or on ClickHouse (embedded chdb), with `now()`
 * fixed by --at. Self-contained queries (datatable/print) need no store.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { ASIM_TABLE } from '../asim/schema.js';
import { compileKql, runCompiled, type CompiledQuery, type KqlResult } from '../kql/compile.js';
import { KqlError } from '../kql/errors.js';
import type { Rel } from '../kql/ir.js';
import { someRel } from '../kql/ir-walk.js';
import { openMemoryDuckDb } from '../kql/memory-duckdb.js';
import { parseTimespan } from '../kql/timespan.js';
import type { KustoValue } from '../kql/values.js';
import { ChdbEngine } from '../store/chdb.js';
import { openDuckDbStore } from '../store/duckdb.js';
import { quoteIdentifier, quoteString } from '../store/sql.js';
import { isoToMicros } from '../util/time.js';
import { dbOption, resolveDbPath } from './options.js';
import { renderTable } from '../util/table.js';

type OutputFormat = 'table' | 'json' | 'jsonl' | 'csv';
type Engine = 'duckdb' | 'clickhouse';

interface QueryOptions {
  db?: string;
  at?: string;
  output: OutputFormat;
  engine: Engine;
  showSql?: boolean;
  file?: string;
  lookback?: string;
}

export function register(program: Command): void {
  program
    .command('query')
    .description('Run a KQL query over the store (or a self-contained one) and print the result')
    .argument('[kql]', 'the KQL text (or use --file)')
    .addOption(dbOption())
    .option('--file <path>', 'read the KQL from a file')
    .option('--at <time>', 'the instant now() and ago() refer to (ISO 8601, UTC unless a zone is given); default: now')
    .option('--lookback <timespan>', "limit reads of the ASIM table to [now - lookback, now], as a scheduled rule's query period (e.g. 14d)")
    .addOption(new Option('--output <format>', 'output format').choices(['table', 'json', 'jsonl', 'csv']).default('table'))
    .addOption(new Option('--engine <engine>', 'SQL engine').choices(['duckdb', 'clickhouse']).default('duckdb'))
    .option('--show-sql', 'print the generated SQL for the chosen engine (to stderr) before the result')
    .action(async (kql: string | undefined, options: QueryOptions) => {
      process.exitCode = await query(kql, options);
    });
}

async function query(kqlArgument: string | undefined, options: QueryOptions): Promise<number> {
  const text = options.file !== undefined ? readFileSync(options.file, 'utf8') : kqlArgument;
  if (text === undefined || text.trim() === '') return fail('give the KQL as an argument or with --file');
  const now = options.at === undefined ? Date.now() * 1000 : isoToMicros(options.at);
  if (now === null) return fail(`--at: not an ISO 8601 time: ${options.at}`);
  const lookback = options.lookback === undefined ? undefined : parseTimespan(options.lookback);
  if (options.lookback !== undefined && lookback === undefined) return fail(`--lookback: not a timespan: ${options.lookback}`);
  let compiled: CompiledQuery;
  try {
    compiled = compileKql(text, { engine: options.engine, now, ...(lookback === undefined ? {} : { lookback }) });
  } catch (error) {
    if (error instanceof KqlError) return fail(error.message);
    throw error;
  }
  if (options.showSql) process.stderr.write(`${compiled.sql}\n`);
  const result = await execute(compiled, options);
  if (typeof result === 'string') return fail(result);
  process.stdout.write(render(result, options.output));
  return 0;
}

function fail(message: string): number {
  process.stderr.write(`smbwatch query: ${message}\n`);
  return 1;
}

function readsStore(rel: Rel): boolean {
  return someRel(rel, (r) => r.k === 'scan');
}

/** Runs the query on the chosen engine; a string is a user-facing error. */
async function execute(compiled: CompiledQuery, options: QueryOptions): Promise<KqlResult | string> {
  const needsStore = readsStore(compiled.ir);
  const path = resolveDbPath(options.db);
  if (needsStore && !existsSync(path)) return `no store at ${path} (ingest logs first, or give --db)`;
  if (options.engine === 'duckdb') {
    if (!needsStore) {
      const memory = await openMemoryDuckDb();
      try {
        return await runCompiled(compiled, memory);
      } finally {
        memory.close();
      }
    }
    const store = await openDuckDbStore(path);
    try {
      return await runCompiled(compiled, store);
    } finally {
      await store.close();
    }
  }
  const engine = ChdbEngine.open();
  const scratch = mkdtempSync(join(tmpdir(), 'smbwatch-query-'));
  try {
    if (needsStore) {
      // ClickHouse reads the store's ASIM table through a Parquet copy made by DuckDB.
      const parquet = join(scratch, 'asim.parquet');
      const store = await openDuckDbStore(path);
      try {
        await store.query(`COPY (SELECT * FROM ${quoteIdentifier(ASIM_TABLE)}) TO ${quoteString(parquet)} (FORMAT PARQUET)`);
      } finally {
        await store.close();
      }
      await engine.loadAsimParquet(parquet);
    }
    return await runCompiled(compiled, engine);
  } finally {
    engine.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** JSON cannot hold NaN or ±Infinity: they are written as the strings Kusto prints. */
function jsonSafe(value: KustoValue): KustoValue {
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  return value;
}

function cellText(value: KustoValue): string {
  if (value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function render(result: KqlResult, format: OutputFormat): string {
  const names = result.columns.map((c) => c.name);
  const asObject = (row: KustoValue[]): Record<string, KustoValue> => Object.fromEntries(names.map((n, i) => [n, jsonSafe(row[i] ?? null)]));
  switch (format) {
    case 'json':
      return `${JSON.stringify(result.rows.map(asObject), null, 2)}\n`;
    case 'jsonl':
      return result.rows.map((row) => `${JSON.stringify(asObject(row))}\n`).join('');
    case 'csv':
      return [names, ...result.rows.map((row) => row.map(cellText))].map((cells) => `${cells.map(csvCell).join(',')}\n`).join('');
    case 'table': {
      const align = result.columns.map((c) => (['int', 'long', 'real', 'decimal'].includes(c.type) ? 'right' : 'left') as 'left' | 'right');
      const rows = result.rows.map((row) => row.map(cellText));
      return `${renderTable(names, rows, align)}\n(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})\n`;
    }
  }
}
