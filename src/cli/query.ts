/**
 * `smbwatch query`: runs ad-hoc KQL over the store (a DuckDB file or a ClickHouse server), or on embedded
 * ClickHouse (chdb) over a DuckDB store's records, with `now()` fixed by --at. Self-contained queries
 * (datatable/print) need no store.
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ASIM_TABLE } from '../asim/schema.js';
import { compileKql, dialectFor, type CompiledQuery, type DialectChoice } from '../kql/compile.js';
import type { Dialect } from '../kql/sql/dialect.js';
import { KqlError } from '../kql/errors.js';
import type { Rel } from '../kql/ir.js';
import { someRel } from '../kql/ir-walk.js';
import { openMemoryDuckDb } from '../kql/memory-duckdb.js';
import { parseTimespan } from '../kql/timespan.js';
import type { Column } from '../kql/types.js';
import { normalizeValue, type KustoValue } from '../kql/values.js';
import { isStoreError, openStore, storeAddress, storeMayExist, withChdb, withQueryEngine, type QueryEngine } from '../store/engines.js';
import { isoToMicros } from '../util/time.js';
import { dbOption, engineOption, memoryLimitOption, watchlistsOption } from './options.js';
import { isOutOfMemory, outOfMemoryMessage } from '../store/out-of-memory.js';
import { applyParameters, ParameterError } from '../rules/parameters.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit.js';
import { CommandError, selectRuleAndParameters } from './run.js';
import { catalogFingerprint, type Catalog } from '../kql/catalog.js';
import { essentialsCatalog, storeCatalog } from '../summaries/catalog.js';
import { watchlistSet } from '../watchlists/load.js';
import { resultBatches, type BatchSource } from '../store/batches.js';
import { fitTable, formatCount, tableNotes, type Align } from '../util/table.js';
import { screenTable, writeOut } from './output.js';

type OutputFormat = 'table' | 'json' | 'jsonl' | 'csv';

/** Table output shows at most this many rows unless --max-rows says otherwise. */
export const DEFAULT_MAX_ROWS = 10_000;

interface QueryOptions {
  db?: string;
  at?: string;
  output: OutputFormat;
  engine?: QueryEngine;
  showSql?: boolean;
  file?: string;
  lookback?: string;
  wide?: boolean;
  maxRows: string;
  memoryLimit?: string;
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
    .option('--at <time>', 'the instant now() and ago() refer to (ISO 8601, UTC unless a zone is given); default: now')
    .option('--lookback <timespan>', "limit reads of the ASIM table to [now - lookback, now], as a scheduled rule's query period (e.g. 14d)")
    .addOption(new Option('--output <format>', 'output format').choices(['table', 'json', 'jsonl', 'csv']).default('table'))
    .addOption(engineOption())
    .addOption(memoryLimitOption('query'))
    .option('--show-sql', 'print the generated SQL for the chosen engine (to stderr) before the result')
    .option('--rule <id|file>', "run a rule's query (its parameters applied) and print its result rows; --lookback defaults to the rule's queryPeriod")
    .option('--rules <path>', 'also load the rules in this YAML file or directory (with --rule)')
    .option('--param <name=value>', "with --rule: override a top-level `let` of the rule's query (repeatable)", (value: string, previous: string[]) => [...previous, value], [] as string[])
    .addOption(watchlistsOption())
    .option('--max-rows <n>', 'table output: show at most this many rows (0 = all); csv, json and jsonl are never capped', String(DEFAULT_MAX_ROWS))
    .option('--wide', 'table output: every column (also empty ones) and every value whole, however wide')
    .addHelpText(
      'after',
      `
The store's records are in the table ${ASIM_TABLE} (every column of the ASIM NetworkSession schema);
_Im_NetworkSession(starttime=..., endtime=...) and _ASim_NetworkSession filter it as the ASIM parsers do.
Tables are fitted to the terminal: empty columns are left out and long values cut with …, and at most
--max-rows rows are shown; --output csv, json or jsonl stream every row, whole. In csv, text cells that begin with = + - @ (what a
spreadsheet would run as a formula) get a leading ' ; jsonl keeps every value exactly.

Examples:
  npx smbwatch query '${ASIM_TABLE} | summarize count() by DstPortNumber | top 10 by count_'
  npx smbwatch query --at 2024-03-15T00:00:00Z '_Im_NetworkSession(starttime=ago(1d)) | where DstPortNumber == 445 | take 20'
  npx smbwatch query --output csv '${ASIM_TABLE} | where SrcIpAddr == "10.0.0.5"' > sessions.csv
  npx smbwatch query --db clickhouse://127.0.0.1:8123/smbwatch --file rule.kql --at 2024-03-15T00:00:00Z --lookback 14d
  npx smbwatch query --rule 1da9853f-3ad6-4df0-a2a0-a0e7ab8f2eb4 --at 2025-02-19T00:00:00Z   # a rule's rows, no alerts
  npx smbwatch query 'print now(), ago(1d)'          # needs no store`,
    )
    .action(async (kql: string | undefined, options: QueryOptions) => {
      try {
        process.exitCode = await query(kql, options);
      } catch (error) {
        if (error instanceof CommandError || error instanceof ParameterError) {
          process.stderr.write(`smbwatch query: ${error.message}\n`);
          process.exitCode = error instanceof CommandError ? error.status : EXIT_USAGE;
          return;
        }
        if (isOutOfMemory(error)) {
          process.exitCode = fail(outOfMemoryMessage(error as Error, 'the store is unchanged', 'read less at a time (a shorter time range, take or summarize)'));
          return;
        }
        if (!isStoreError(error)) throw error;
        process.exitCode = fail(error.message);
      }
    });
}

async function query(kqlArgument: string | undefined, options: QueryOptions): Promise<number> {
  if (options.rule !== undefined && (kqlArgument !== undefined || options.file !== undefined)) return fail('give the KQL, --file or --rule, not several', EXIT_USAGE);
  const selection = options.rule === undefined ? undefined : selectRuleAndParameters({ rule: options.rule, ...(options.rules === undefined ? {} : { rules: options.rules }), param: options.param });
  const text = selection ? applyParameters(selection.rule, selection.parameters) : options.file !== undefined ? readQueryFile(options.file) : kqlArgument;
  if (text === undefined || text.trim() === '') return fail('give the KQL as an argument, with --file, or a rule with --rule', EXIT_USAGE);
  const now = options.at === undefined ? Date.now() * 1000 : isoToMicros(options.at);
  if (now === null) return fail(`--at: not an ISO 8601 time (e.g. 2024-03-15T00:00:00Z): "${options.at}"`, EXIT_USAGE);
  const lookback = options.lookback === undefined ? (selection ? selection.rule.queryPeriodMs * 1000 : undefined) : parseTimespan(options.lookback);
  if (options.lookback !== undefined && lookback === undefined) return fail(`--lookback: not a timespan (e.g. 14d, 12h): "${options.lookback}"`, EXIT_USAGE);
  const maxRows = Number(options.maxRows);
  if (!Number.isInteger(maxRows) || maxRows < 0) return fail(`--max-rows: a whole number is needed (0 = all), got "${options.maxRows}"`, EXIT_USAGE);
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
  const problem = await execute(compile, options, (compiled, batches) => print(compiled.columns, batches, { ...options, maxRows }));
  return problem === undefined ? EXIT_OK : fail(problem);
}

/** The text of --file; a file that cannot be read is a failure named with its path. */
function readQueryFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
    throw new CommandError(`--file ${path}: cannot read it (${reason})`, EXIT_FAILED);
  }
}

function fail(message: string, status = EXIT_FAILED): number {
  process.stderr.write(`smbwatch query: ${message}\n`);
  return status;
}

function readsStore(rel: Rel): boolean {
  return someRel(rel, (r) => r.k === 'scan');
}

/** The result's rows in batches, as Kusto values. */
interface KustoBatch {
  readonly count: number;
  rows(): KustoValue[][];
}
type Batches = AsyncIterable<KustoBatch>;
type Consumer = (compiled: CompiledQuery, batches: Batches) => Promise<void>;

async function* kustoBatches(compiled: CompiledQuery, source: BatchSource): AsyncGenerator<KustoBatch> {
  for await (const batch of resultBatches(source, compiled.sql)) {
    yield { count: batch.count, rows: () => batch.rows().map((row) => compiled.columns.map((c, i) => normalizeValue(c.type, row[i]))) } satisfies KustoBatch;
  }
}

/**
 * Compiles for the chosen engine, runs there and hands the rows to `consume` while the engine is open (the store
 * streams them); a string is a user-facing error. Over a DuckDB store, a query that reads no table needs no store:
 * it runs on an engine of its own (in-memory DuckDB, or chdb). Also used by `smbwatch hunt`.
 */
export async function execute(
  compile: (dialect: DialectChoice, catalog: Catalog) => CompiledQuery | string,
  options: { readonly db?: string; readonly engine?: QueryEngine; readonly watchlists?: string; readonly memoryLimit?: string },
  consume: Consumer,
): Promise<string | undefined> {
  const address = storeAddress(options.db);
  let probe: { readonly compiled: CompiledQuery; readonly dialect: Dialect; readonly catalog: Catalog } | undefined;
  if (address.engine === 'duckdb') {
    const engine = options.engine ?? 'duckdb';
    // First as if the store held no summary table: a self-contained query needs no store at all.
    const probeCatalog = essentialsCatalog(new Set(), watchlistSet(options.watchlists));
    const compiled = compile(engine, probeCatalog);
    if (typeof compiled === 'string' && !storeMayExist(address)) return compiled;
    if (typeof compiled !== 'string' && !readsStore(compiled.ir)) {
      if (engine === 'clickhouse') return withChdb((chdb) => consume(compiled, kustoBatches(compiled, chdb))).then(() => undefined);
      const memory = await openMemoryDuckDb();
      try {
        await consume(compiled, kustoBatches(compiled, memory));
        return undefined;
      } finally {
        memory.close();
      }
    }
    if (typeof compiled !== 'string') probe = { compiled, dialect: dialectFor(engine), catalog: probeCatalog };
  }
  const store = await openStore(address, options.memoryLimit ? { memoryLimit: options.memoryLimit } : {});
  try {
    const catalog = await storeCatalog(store, options.watchlists);
    return await withQueryEngine(store, options.engine, async (sql, dialect) => {
      // The probe's plan serves when the store's catalog binds the same (no summary tables, the same watchlists).
      const compiled =
        probe && probe.dialect === dialect && catalogFingerprint(probe.catalog) === catalogFingerprint(catalog) ? probe.compiled : compile(dialect, catalog);
      if (typeof compiled === 'string') return compiled;
      await consume(compiled, kustoBatches(compiled, sql));
      return undefined;
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

/**
 * A CSV cell. Text that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, a tab or a carriage return
 * first: CSV injection, as OWASP names it) gets a leading `'`, so that a hostname like
 * `=HYPERLINK("http://…")` stays text when an analyst opens the file. Only string and dynamic cells (and
 * column names) are guarded: a negative number or timespan is written as it is. `--output jsonl` keeps every
 * value exactly.
 */
function csvCell(text: string, guard = true): string {
  const cell = guard && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** Column types whose values are text an attacker may have written (see csvCell). */
const GUARDED_CSV_TYPES: ReadonlySet<string> = new Set(['string', 'dynamic']);

export interface PrintOptions {
  readonly output: OutputFormat;
  /** Table rows shown at most (0: all). */
  readonly maxRows: number;
  readonly wide?: boolean;
}

/** Writes the result as it arrives: csv, jsonl and json row by row; a table from its first `maxRows` rows. */
export async function print(columns: readonly Column[], batches: Batches, options: PrintOptions): Promise<void> {
  const names = columns.map((c) => c.name);
  const asObject = (row: KustoValue[]): Record<string, KustoValue> => Object.fromEntries(names.map((n, i) => [n, jsonSafe(row[i] ?? null)]));
  switch (options.output) {
    case 'csv': {
      const guarded = columns.map((c) => GUARDED_CSV_TYPES.has(c.type));
      await writeOut(`${names.map((name) => csvCell(name)).join(',')}\n`);
      for await (const batch of batches) await writeOut(batch.rows().map((row) => `${row.map((value, i) => csvCell(cellText(value), guarded[i])).join(',')}\n`).join(''));
      return;
    }
    case 'jsonl':
      for await (const batch of batches) await writeOut(batch.rows().map((row) => `${JSON.stringify(asObject(row))}\n`).join(''));
      return;
    case 'json': {
      // The same text as JSON.stringify(rows, null, 2), written a batch at a time.
      let first = true;
      for await (const batch of batches) {
        const items = batch.rows().map((row) => `  ${JSON.stringify(asObject(row), null, 2).replace(/\n/g, '\n  ')}`);
        if (items.length === 0) continue;
        await writeOut(`${first ? '[\n' : ',\n'}${items.join(',\n')}`);
        first = false;
      }
      await writeOut(first ? '[]\n' : '\n]\n');
      return;
    }
    case 'table':
      await writeOut(await tableText(columns, batches, options));
  }
}

/** The first `maxRows` rows as a table fitted to the terminal, then how many rows there were in all. */
async function tableText(columns: readonly Column[], batches: Batches, options: PrintOptions): Promise<string> {
  const limit = options.maxRows === 0 ? Infinity : options.maxRows;
  const shown: string[][] = [];
  let total = 0;
  for await (const batch of batches) {
    const room = limit - shown.length;
    if (room > 0) for (const row of batch.rows().slice(0, room)) shown.push(row.map(cellText));
    total += batch.count;
  }
  const align = columns.map((c) => (['int', 'long', 'real', 'decimal'].includes(c.type) ? 'right' : 'left') as Align);
  const table = fitTable(
    columns.map((c) => c.name),
    shown,
    screenTable({ align, wide: options.wide === true, cutCells: true, dropEmptyColumns: options.wide !== true }),
  );
  const count =
    shown.length < total
      ? `(${formatCount(shown.length)} of ${formatCount(total)} rows shown; use take, or --output csv/jsonl)`
      : `(${formatCount(total)} row${total === 1 ? '' : 's'})`;
  return [table.text, count, ...tableNotes(table)].join('\n') + '\n';
}
