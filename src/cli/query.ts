/**
 * `smbwatch query`: runs ad-hoc KQL over the store (a DuckDB file or a ClickHouse server), or on embedded
 * ClickHouse (chdb) over a DuckDB store's records, with `now()` fixed by --at. Self-contained queries
 * (datatable/print) need no store.
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { compileKql, runCompiled, type CompiledQuery, type DialectChoice, type KqlResult } from '../kql/compile.js';
import { KqlError } from '../kql/errors.js';
import type { Rel } from '../kql/ir.js';
import { someRel } from '../kql/ir-walk.js';
import { openMemoryDuckDb } from '../kql/memory-duckdb.js';
import { parseTimespan } from '../kql/timespan.js';
import type { KustoValue } from '../kql/values.js';
import { isStoreError, openStore, storeAddress, storeMayExist, withChdb, withQueryEngine, type QueryEngine } from '../store/engines.js';
import { isoToMicros } from '../util/time.js';
import { dbOption, engineOption, watchlistsOption } from './options.js';
import { applyParameters } from '../rules/parameters.js';
import { CommandError, selectRuleAndParameters } from './run.js';
import type { Catalog } from '../kql/catalog.js';
import { essentialsCatalog, storeCatalog } from '../summaries/catalog.js';
import { watchlistSet } from '../watchlists/load.js';
import { renderTable } from '../util/table.js';

type OutputFormat = 'table' | 'json' | 'jsonl' | 'csv';

interface QueryOptions {
  db?: string;
  at?: string;
  output: OutputFormat;
  engine?: QueryEngine;
  showSql?: boolean;
  file?: string;
  lookback?: string;
  watchlists?: string;
  rule?: string;
  rules?: string;
  param: string[];
}

export function register(program: Command): void {
  program
    .command('query')
    .description('Run a KQL query over the store (or a self-contained one) and print the result')
    .argument('[kql]', 'the KQL text (or use --file)')
    .addOption(dbOption())
    .option('--file <path>', 'read the KQL from a file')
    .option('--rule <id|file>', "run a rule's query (its parameters applied) and print its result rows; --lookback defaults to the rule's queryPeriod")
    .option('--rules <path>', 'also load the rules in this YAML file or directory (with --rule)')
    .option('--param <name=value>', "with --rule: override a top-level `let` of the rule's query (repeatable)", (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--at <time>', 'the instant now() and ago() refer to (ISO 8601, UTC unless a zone is given); default: now')
    .option('--lookback <timespan>', "limit reads of the ASIM table to [now - lookback, now], as a scheduled rule's query period (e.g. 14d)")
    .addOption(new Option('--output <format>', 'output format').choices(['table', 'json', 'jsonl', 'csv']).default('table'))
    .addOption(engineOption())
    .option('--show-sql', 'print the generated SQL for the chosen engine (to stderr) before the result')
    .addOption(watchlistsOption())
    .addHelpText(
      'after',
      `
Examples:
  smbwatch query --at 2024-03-15T00:00:00Z 'ASimNetworkSessionLogs | summarize count() by SrcIpAddr | top 5 by count_'
  smbwatch query --db clickhouse://127.0.0.1:8123/smbwatch --file rule.kql --at 2024-03-15T00:00:00Z --lookback 14d
  smbwatch query --rule 1da9853f-3ad6-4df0-a2a0-a0e7ab8f2eb4 --at 2025-02-19T00:00:00Z   # a rule's rows, no alerts`,
    )
    .action(async (kql: string | undefined, options: QueryOptions) => {
      try {
        process.exitCode = await query(kql, options);
      } catch (error) {
        if (error instanceof CommandError) {
          process.stderr.write(`smbwatch query: ${error.message}\n`);
          process.exitCode = error.status;
          return;
        }
        if (!isStoreError(error)) throw error;
        process.exitCode = fail(error.message);
      }
    });
}

async function query(kqlArgument: string | undefined, options: QueryOptions): Promise<number> {
  if (options.rule !== undefined && (kqlArgument !== undefined || options.file !== undefined)) return fail('give the KQL, --file or --rule, not several');
  const selection = options.rule === undefined ? undefined : selectRuleAndParameters({ rule: options.rule, ...(options.rules === undefined ? {} : { rules: options.rules }), param: options.param });
  const text = selection ? applyParameters(selection.rule, selection.parameters) : options.file !== undefined ? readFileSync(options.file, 'utf8') : kqlArgument;
  if (text === undefined || text.trim() === '') return fail('give the KQL as an argument, with --file, or a rule with --rule');
  const now = options.at === undefined ? Date.now() * 1000 : isoToMicros(options.at);
  if (now === null) return fail(`--at: not an ISO 8601 time: ${options.at}`);
  const lookback = options.lookback === undefined ? (selection ? selection.rule.queryPeriodMs * 1000 : undefined) : parseTimespan(options.lookback);
  if (options.lookback !== undefined && lookback === undefined) return fail(`--lookback: not a timespan: ${options.lookback}`);
  const compile = (dialect: DialectChoice, catalog: Catalog): CompiledQuery | string => {
    try {
      const compiled = compileKql(text, { engine: dialect, now, catalog, ...(lookback === undefined ? {} : { lookback }) });
      if (options.showSql) process.stderr.write(`${compiled.sql}\n`);
      return compiled;
    } catch (error) {
      if (error instanceof KqlError) return error.message;
      throw error;
    }
  };
  const result = await execute(compile, options);
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

/**
 * Compiles for the chosen engine and runs there; a string is a user-facing error. Over a DuckDB store, a query that
 * reads no table needs no store: it runs on an engine of its own (in-memory DuckDB, or chdb). Also used by
 * `smbwatch hunt`.
 */
export async function execute(
  compile: (dialect: DialectChoice, catalog: Catalog) => CompiledQuery | string,
  options: { readonly db?: string; readonly engine?: QueryEngine; readonly watchlists?: string },
): Promise<KqlResult | string> {
  const address = storeAddress(options.db);
  if (address.engine === 'duckdb') {
    const engine = options.engine ?? 'duckdb';
    // First as if the store held no summary table: a self-contained query needs no store at all.
    const compiled = compile(engine, essentialsCatalog(new Set(), watchlistSet(options.watchlists)));
    if (typeof compiled === 'string' && !storeMayExist(address)) return compiled;
    if (typeof compiled !== 'string' && !readsStore(compiled.ir)) {
      if (engine === 'clickhouse') return withChdb((chdb) => runCompiled(compiled, chdb));
      const memory = await openMemoryDuckDb();
      try {
        return await runCompiled(compiled, memory);
      } finally {
        memory.close();
      }
    }
  }
  const store = await openStore(address);
  try {
    const catalog = await storeCatalog(store, options.watchlists);
    return await withQueryEngine(store, options.engine, async (sql, dialect) => {
      const compiled = compile(dialect, catalog);
      return typeof compiled === 'string' ? compiled : runCompiled(compiled, sql);
    });
  } finally {
    await store.close();
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
