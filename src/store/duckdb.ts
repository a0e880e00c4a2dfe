/**
 * The embedded store: one DuckDB database file holding ASIM records, the ledger of ingested inputs and the
 * rejects. How records are packed on their way in is in duckdb-packing.ts.
 */
import {
  DuckDBConnection,
  DuckDBInstance,
  DuckDBTimestampValue,
  type DuckDBPreparedStatement,
  type DuckDBValue,
} from '@duckdb/node-api';
import { ASIM_COLUMN_TYPES, ASIM_COLUMNS, ASIM_TABLE, type AsimType } from '../asim/schema.js';
import { EMPTY_LAYOUT, packColumn, unpackInsertSql, widenLayout, type ColumnLayout } from './duckdb-packing.js';
import { bulkInsertSql, manyFilesInsertSql, mappedInsertSql, type StoredLayout } from './duckdb-bulk.js';
import { derivationsKey, derivedColumnSql, parseDerivations, SHAPE_COLUMN, SHAPES_DDL, SHAPES_TABLE, splitMapping, type Derivations, type Shape } from './duckdb-shapes.js';
import type { BulkPlan } from '../sources/types.js';
import type { AsimRecord } from '../asim/record.js';
import {
  InputNotRemovableError, REJECT_REASON_VALUES,
  type IngestGroup, type IngestOptions, type IngestTransaction, type InputSummary, type LedgerEntry, type QueryResult, type RejectQuery,
  type RejectRow, type RejectSummary, type RemovedInput, type RowBatch, type Store, type StoreSummary,
} from './engine.js';
import { inputId } from './input-id.js';
import { LEDGER_COLUMNS, LEDGER_INSERT_COLUMNS, LedgerIndex, ledgerValuesSql } from './duckdb-ledger.js';
import { ledgerEntryOf } from './ledger-row.js';
import { markHolder, openLocked, untilNoWaiters, waiters, type LockWait } from './duckdb-lock.js';
import { duckdb } from '../kql/sql/duckdb.js';
import { ALERTS_DDL, DuckDbAlertTable, DuckDbPlanTable, PLANS_DDL } from './duckdb-tables.js';
import { quoteIdentifier, quoteString } from './sql.js';
import { DuckDbSummaryTables } from './duckdb-summaries.js';

export const LEDGER_TABLE = 'smbwatch_inputs';
export const REJECTS_TABLE = 'smbwatch_rejects';
/**
 * A group defers the reads of files smaller than this (a big file pays its read's set-up cost alone easily) and runs
 * them once this many records wait: a few hundred thousand records make the set-up cost small, and no read waits long.
 */
const DEFER_BELOW_RECORDS = 100_000;
const DEFERRED_RECORDS = 250_000;
/** Ledger rows a group writes per INSERT. */
const LEDGER_ROWS_PER_INSERT = 1000;
/** Records per INSERT: large enough to amortise a statement, small enough to keep memory flat. */
const BATCH_RECORDS = 16 * 1024;
const MAX_RAW_CHARS = 4096;

const DUCKDB_TYPES: Record<AsimType, string> = {
  string: 'VARCHAR',
  int: 'INTEGER',
  long: 'BIGINT',
  real: 'DOUBLE',
  bool: 'BOOLEAN',
  datetime: 'TIMESTAMP',
  dynamic: 'JSON',
};

/**
 * Physical storage is narrow: `smbwatch_sessions` holds only the schema columns some source has set (added
 * on first use), and the view `ASimNetworkSessionLogs` shows every schema column with its schema type —
 * never-set strings as '' and other never-set columns as typed nulls. Why: a source sets a few dozen of the
 * ~170 columns, and writing the rest on every row made inserts several times slower.
 */
export const SESSIONS_TABLE = 'smbwatch_sessions';

function physicalColumnDdl(name: string, type: AsimType): string {
  return type === 'string' ? `${quoteIdentifier(name)} VARCHAR DEFAULT ''` : `${quoteIdentifier(name)} ${DUCKDB_TYPES[type]}`;
}

/** A standalone full-width ASIM table (for fixtures and exports), strings NOT NULL DEFAULT ''. */
export function asimTableDdl(): string {
  const columns = ASIM_COLUMNS.map(({ name, type }) =>
    type === 'string' ? `${quoteIdentifier(name)} VARCHAR NOT NULL DEFAULT ''` : `${quoteIdentifier(name)} ${DUCKDB_TYPES[type]}`,
  );
  return `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(ASIM_TABLE)} (\n  ${columns.join(',\n  ')}\n)`;
}

/**
 * Every record carries the id of the input it came from (inputId(name), input-id.ts) in this column, which the
 * ASIM view does not show: an input can then be removed, or read again in place of what it added. Records stored
 * before the column existed hold NULL.
 */
export const INPUT_COLUMN = 'smbwatch_input';

const SESSIONS_DDL = `CREATE TABLE IF NOT EXISTS ${SESSIONS_TABLE} (${physicalColumnDdl('TimeGenerated', 'datetime')}, ${INPUT_COLUMN} BIGINT)`;

/**
 * The view: every schema column with its schema type — stored, derived for the rows of a shape that derives it
 * (duckdb-shapes.ts), or what a never-set column shows ('' for strings, a typed null otherwise).
 */
export function asimViewDdl(physical: ReadonlySet<string>, shapes: readonly Shape[] = []): string {
  const columns = ASIM_COLUMNS.map(({ name, type }) => {
    const base = physical.has(name) ? quoteIdentifier(name) : type === 'string' ? "''" : `CAST(NULL AS ${DUCKDB_TYPES[type]})`;
    return `${derivedColumnSql(name, DUCKDB_TYPES[type], shapes, base)} AS ${quoteIdentifier(name)}`;
  });
  return `CREATE OR REPLACE VIEW ${quoteIdentifier(ASIM_TABLE)} AS SELECT\n  ${columns.join(',\n  ')}\nFROM ${SESSIONS_TABLE}`;
}

const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (
  name VARCHAR NOT NULL,
  format VARCHAR NOT NULL,
  size BIGINT NOT NULL,
  offset_reached BIGINT NOT NULL,
  line_reached BIGINT NOT NULL,
  content_hash VARCHAR NOT NULL,
  records BIGINT NOT NULL,
  rejects BIGINT NOT NULL,
  ignored BIGINT NOT NULL,
  ingested_at TIMESTAMP NOT NULL,
  head_hash VARCHAR NOT NULL DEFAULT ''
)`;

const REJECTS_DDL = `CREATE TABLE IF NOT EXISTS ${REJECTS_TABLE} (
  input VARCHAR NOT NULL,
  line BIGINT NOT NULL,
  format VARCHAR NOT NULL,
  field VARCHAR NOT NULL,
  reason VARCHAR NOT NULL,
  raw VARCHAR NOT NULL,
  rejected_at TIMESTAMP NOT NULL
)`;

export interface DuckDbOptions extends LockWait {
  /** DuckDB's memory_limit, e.g. '1GB' (default: DuckDB's own, 80% of RAM). Larger inputs spill, not grow. */
  readonly memoryLimit?: string;
  /**
   * Open an existing store for reading only (explain, report, ui): nothing is created or changed, and other
   * readers may open the file at the same time. Writing through it fails.
   */
  readonly readOnly?: boolean;
  /** How other processes meeting the lock see this one (default: this process's command line). */
  readonly holder?: string;
}

/**
 * Records have no meaningful order (KQL results are unordered unless sorted), so DuckDB need not preserve
 * insertion order: that lets it insert in parallel and with less memory.
 */
const INSTANCE_SETTINGS: Record<string, string> = { preserve_insertion_order: 'false' };

/**
 * Opens (or creates) the store file. Another process holding it is a StoreBusyError naming that process, unless
 * `options` (or `--wait`, see duckdb-lock.ts) say to wait for it.
 */
export async function openDuckDbStore(path: string, options: DuckDbOptions = {}): Promise<DuckDbStore> {
  const settings = {
    ...INSTANCE_SETTINGS,
    ...(options.memoryLimit ? { memory_limit: options.memoryLimit } : {}),
    ...(options.readOnly ? { access_mode: 'READ_ONLY' } : {}),
  };
  const handle = await connect(path, settings, options);
  const store = new DuckDbStore(handle, path, settings, options.holder);
  if (!options.readOnly) await store.initialise();
  return store;
}

interface Handle {
  readonly instance: DuckDBInstance;
  readonly connection: DuckDBConnection;
  /** Undoes markHolder. */
  readonly release: () => void;
}

async function connect(path: string, settings: Record<string, string>, wait: LockWait & { readonly holder?: string }): Promise<Handle> {
  const instance = await openLocked(path, () => DuckDBInstance.create(path, settings), wait);
  return { instance, connection: await instance.connect(), release: markHolder(path, wait.holder) };
}

/**
 * What the store keeps in memory of its own small tables — the ledger (duckdb-ledger.ts) and the shape ids — as its
 * connection sees them, its own uncommitted writes included. Whatever could make them differ (a rollback, a failed
 * commit, a removed input, other processes let in) forgets them; they are read again when next needed.
 */
class Remembered {
  ledger: LedgerIndex | undefined;
  readonly shapeIds = new Map<string, number>();

  constructor(private readonly connectionNow: () => DuckDBConnection) {}

  async ledgerIndex(): Promise<LedgerIndex> {
    if (!this.ledger) {
      const reader = await this.connectionNow().runAndReadAll(`SELECT ${LEDGER_COLUMNS} FROM ${LEDGER_TABLE}`);
      this.ledger = new LedgerIndex(reader.getRows().map((row) => ledgerEntryOf(row.map(toPlainValue))));
    }
    return this.ledger;
  }

  forget(): void {
    this.ledger = undefined;
    this.shapeIds.clear();
  }
}

export class DuckDbStore implements Store {
  readonly engine = 'duckdb' as const;
  readonly dialect = duckdb;
  readonly alerts = new DuckDbAlertTable((sql) => this.query(sql));
  readonly plans = new DuckDbPlanTable((sql) => this.query(sql));
  readonly summaries = new DuckDbSummaryTables((sql) => this.query(sql));

  constructor(
    private handle: Handle,
    readonly location: string,
    private readonly settings: Record<string, string>,
    private readonly holder?: string,
  ) {}

  private get connection(): DuckDBConnection {
    return this.handle.connection;
  }

  private readonly remembered = new Remembered(() => this.connection);

  /**
   * When other smbwatch processes wait for this store (`--wait`), lets go of it until they are done, then takes
   * it back: a long watch catch-up or ingest calls this between steps, never inside a transaction. Returns the
   * processes let in (none: nothing happened).
   */
  async letOthersIn(signal?: AbortSignal): Promise<string[]> {
    const waiting = waiters(this.location);
    // Never inside a transaction: an open ingest group holds staged inputs.
    if (waiting.length === 0 || this.group?.open) return [];
    this.closeHandle();
    await untilNoWaiters(this.location, signal);
    this.handle = await connect(this.location, this.settings, { waitMs: Infinity, ...(signal ? { signal } : {}), ...(this.holder ? { holder: this.holder } : {}) });
    this.open = true;
    this.remembered.forget();
    return waiting.map((waiter) => `\`${waiter.command}\` (PID ${waiter.pid})`);
  }

  private open = true;

  private closeHandle(): void {
    if (!this.open) return;
    this.open = false;
    this.handle.connection.closeSync();
    this.handle.instance.closeSync();
    this.handle.release();
  }

  async initialise(): Promise<void> {
    await this.connection.run(SESSIONS_DDL);
    await this.connection.run(LEDGER_DDL);
    // Stores made before head hashes existed gain the column (empty: no continuation is found for those inputs).
    await this.connection.run(`ALTER TABLE ${LEDGER_TABLE} ADD COLUMN IF NOT EXISTS head_hash VARCHAR DEFAULT ''`);
    // Stores made before records carried their input: old records and ledger entries keep NULL (not removable).
    await this.connection.run(`ALTER TABLE ${SESSIONS_TABLE} ADD COLUMN IF NOT EXISTS ${INPUT_COLUMN} BIGINT`);
    await this.connection.run(`ALTER TABLE ${LEDGER_TABLE} ADD COLUMN IF NOT EXISTS input_id BIGINT`);
    await this.connection.run(REJECTS_DDL);
    await this.connection.run(ALERTS_DDL);
    await this.connection.run(PLANS_DDL);
    await this.connection.run(SHAPES_DDL);
    // Stores made before shapes existed gain the column (NULL: their rows store every column they set).
    await this.connection.run(`ALTER TABLE ${SESSIONS_TABLE} ADD COLUMN IF NOT EXISTS ${quoteIdentifier(SHAPE_COLUMN)} INTEGER`);
    await refreshView(this.connection, await physicalColumns(this.connection));
  }

  async query(sql: string): Promise<QueryResult> {
    const reader = await this.connection.runAndReadAll(sql);
    const names = reader.columnNames();
    const types = reader.columnTypes();
    const columns = names.map((name, index) => ({ name, type: String(types[index]) }));
    const rows = reader.getRows().map((row) => row.map(toPlainValue));
    return { columns, rows };
  }

  async *queryBatches(sql: string): AsyncGenerator<RowBatch> {
    const result = await this.connection.stream(sql);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) return;
      yield { count: chunk.rowCount, rows: () => chunk.getRows().map((row) => row.map(toPlainValue)) };
    }
  }

  readonly bulkReads = true;
  private group: DuckDbIngestGroup | undefined;

  async beginIngest(options: IngestOptions = {}): Promise<IngestTransaction> {
    if (this.group?.open) throw new Error('an ingest group is open: commit it before an input of its own');
    await this.connection.run('BEGIN TRANSACTION');
    try {
      if (options.replace && options.input !== undefined) await this.deleteInput(options.input);
    } catch (error) {
      this.remembered.forget();
      await this.connection.run('ROLLBACK');
      throw error;
    }
    return new DuckDbIngest(this.connection, await physicalColumns(this.connection), options.input, this.remembered);
  }

  async inputs(): Promise<InputSummary[]> {
    const result = await this.query(
      `WITH spans AS (
         SELECT ${INPUT_COLUMN} AS id, epoch_us(min(TimeGenerated)) AS first, epoch_us(max(TimeGenerated)) AS last
         FROM ${SESSIONS_TABLE} WHERE ${INPUT_COLUMN} IS NOT NULL GROUP BY ALL
       )
       SELECT name, arg_max(format, ingested_at), arg_max(size, ingested_at), sum(records), sum(rejects), sum(ignored), count(*),
              epoch_us(min(ingested_at)), epoch_us(max(ingested_at)), bool_and(input_id IS NOT NULL), any_value(spans.first), any_value(spans.last)
       FROM ${LEDGER_TABLE} LEFT JOIN spans ON spans.id = ${LEDGER_TABLE}.input_id
       GROUP BY name ORDER BY name`,
    );
    return result.rows.map(([name, format, size, records, rejects, ignored, ingests, first, last, removable, firstRecord, lastRecord]) => ({
      name: String(name),
      format: String(format),
      size: Number(size),
      records: Number(records),
      rejects: Number(rejects),
      ignored: Number(ignored),
      ingests: Number(ingests),
      firstIngestedAt: new Date(Number(first) / 1000),
      lastIngestedAt: new Date(Number(last) / 1000),
      removable: removable === true,
      ...(firstRecord === null || firstRecord === undefined ? {} : { firstRecordMicros: Number(firstRecord), lastRecordMicros: Number(lastRecord) }),
    }));
  }

  async removeInputs(names: readonly string[]): Promise<RemovedInput[]> {
    await this.connection.run('BEGIN TRANSACTION');
    try {
      const removed: RemovedInput[] = [];
      for (const name of names) removed.push(await this.deleteInput(name));
      await this.connection.run('COMMIT');
      return removed;
    } catch (error) {
      this.remembered.forget();
      await this.connection.run('ROLLBACK');
      throw error;
    }
  }

  /** Deletes an input's records, rejects and ledger entries (inside the caller's transaction). */
  private async deleteInput(name: string): Promise<RemovedInput> {
    const ledger = await this.query(`SELECT count(*), count(*) FILTER (WHERE input_id IS NULL AND records > 0) FROM ${LEDGER_TABLE} WHERE name = ${quoteString(name)}`);
    const [, untagged] = ledger.rows[0] ?? [0, 0];
    if (Number(untagged) > 0) throw new InputNotRemovableError(name);
    this.remembered.forget();
    const records = await this.query(`DELETE FROM ${SESSIONS_TABLE} WHERE ${INPUT_COLUMN} = ${inputId(name)}`);
    const rejects = await this.query(`DELETE FROM ${REJECTS_TABLE} WHERE input = ${quoteString(name)}`);
    await this.query(`DELETE FROM ${LEDGER_TABLE} WHERE name = ${quoteString(name)}`);
    return { name, records: Number(records.rows[0]?.[0] ?? 0), rejects: Number(rejects.rows[0]?.[0] ?? 0) };
  }

  async beginIngestGroup(): Promise<IngestGroup> {
    if (this.group?.open) throw new Error('an ingest group is already open');
    this.group = new DuckDbIngestGroup(() => this.connection, (name) => this.deleteInput(name), this.remembered);
    return this.group;
  }

  /**
   * Makes these schema columns physical, for bulk loads written in SQL straight into `smbwatch_sessions`
   * (benchmarks and generators that bypass the ingest pipeline).
   */
  async ensureColumns(names: readonly string[]): Promise<void> {
    await addPhysicalColumns(this.connection, await physicalColumns(this.connection), names);
  }

  /**
   * Inserts the records a bulk plan maps from `source` (a relation with the plan's columns as text), as a bulk read
   * of a file with that content would (generators: the scale benchmark). Returns the records added.
   */
  async appendMapped(plan: BulkPlan, source: string): Promise<number> {
    const physical = await physicalColumns(this.connection);
    return appendMappedRows(this.connection, physical, this.remembered, plan, (layout) => mappedInsertSql(SESSIONS_TABLE, plan, source, layout));
  }

  async lastLedgerEntry(name: string): Promise<LedgerEntry | undefined> {
    return (await this.remembered.ledgerIndex()).latest(name);
  }

  async ledgerEntryByHash(contentHash: string): Promise<LedgerEntry | undefined> {
    return (await this.remembered.ledgerIndex()).byHash(contentHash);
  }

  async ledgerEntriesByHeadHash(headHash: string): Promise<LedgerEntry[]> {
    if (headHash === '') return [];
    return (await this.remembered.ledgerIndex()).byHeadHash(headHash);
  }

  /** Writes the ASIM view's rows to a Parquet file (for embedded ClickHouse, engines.ts). */
  async exportAsimParquet(path: string): Promise<void> {
    await this.connection.run(`COPY (SELECT * FROM ${quoteIdentifier(ASIM_TABLE)}) TO ${quoteString(path)} (FORMAT PARQUET)`);
  }

  /** Writes a table's rows to a Parquet file (summary tables for embedded ClickHouse, engines.ts). */
  async exportTableParquet(table: string, path: string): Promise<void> {
    await this.connection.run(`COPY (SELECT * FROM ${quoteIdentifier(table)}) TO ${quoteString(path)} (FORMAT PARQUET)`);
  }

  async summary(): Promise<StoreSummary> {
    const totals = await this.query(`SELECT count(*), epoch_us(min(TimeGenerated)), epoch_us(max(TimeGenerated)) FROM ${quoteIdentifier(ASIM_TABLE)}`);
    const [records, first, last] = totals.rows[0] ?? [];
    const products = await this.query(
      `SELECT EventVendor, EventProduct, EventType, count(*) AS n, epoch_us(min(TimeGenerated)), epoch_us(max(TimeGenerated)) ` +
        `FROM ${quoteIdentifier(ASIM_TABLE)} GROUP BY EventVendor, EventProduct, EventType ORDER BY n DESC, 1, 2, 3`,
    );
    const inputs = await this.query(`SELECT count(DISTINCT name) FROM ${LEDGER_TABLE}`);
    const rejects = await this.query(`SELECT count(*) FROM ${REJECTS_TABLE}`);
    return {
      records: Number(records ?? 0),
      ...(first === null || first === undefined ? {} : { firstMicros: Number(first), lastMicros: Number(last) }),
      products: products.rows.map(([vendor, product, eventType, n, firstOf, lastOf]) => ({
        vendor: String(vendor), product: String(product), eventType: String(eventType), records: Number(n), firstMicros: Number(firstOf), lastMicros: Number(lastOf),
      })),
      inputs: Number(inputs.rows[0]?.[0] ?? 0),
      rejects: Number(rejects.rows[0]?.[0] ?? 0),
    };
  }

  async rejects(query: RejectQuery): Promise<RejectRow[]> {
    const where = query.inputContains !== undefined ? `WHERE contains(input, ${quoteString(query.inputContains)})` : '';
    const limit = query.limit > 0 ? `LIMIT ${Math.trunc(query.limit)}` : '';
    const result = await this.query(`SELECT input, line, format, field, reason, raw FROM ${REJECTS_TABLE} ${where} ORDER BY input, line ${limit}`);
    return result.rows.map(([input, line, format, field, reason, raw]) => ({
      input: String(input), line: Number(line), format: String(format), field: String(field), reason: String(reason), raw: String(raw),
    }));
  }

  async rejectSummary(query: Omit<RejectQuery, 'limit'>): Promise<RejectSummary> {
    const where = query.inputContains !== undefined ? `WHERE contains(input, ${quoteString(query.inputContains)})` : '';
    const reason = REJECT_REASON_VALUES.reduce(
      (text, { pattern, replacement }) => `regexp_replace(${text}, ${quoteString(pattern)}, ${quoteString(replacement)}, 'g')`,
      'reason',
    );
    const totals = await this.query(`SELECT count(*), count(DISTINCT input) FROM ${REJECTS_TABLE} ${where}`);
    const kinds = await this.query(
      `SELECT format, field, ${reason} AS kind, count(*) AS n FROM ${REJECTS_TABLE} ${where} GROUP BY ALL ORDER BY n DESC, 1, 2, 3`,
    );
    const [total, inputs] = totals.rows[0] ?? [];
    return {
      total: Number(total ?? 0),
      inputs: Number(inputs ?? 0),
      reasons: kinds.rows.map(([format, field, kind, n]) => ({ format: String(format), field: String(field), reason: String(kind), count: Number(n) })),
    };
  }

  async close(): Promise<void> {
    this.closeHandle();
  }
}

/** Bulk reads a group runs later, together: files with the same plan, read by one statement. */
interface DeferredReads {
  readonly plan: BulkPlan;
  readonly gzip: boolean;
  readonly layout: StoredLayout;
  readonly files: Array<{ readonly path: string; readonly inputId: number; readonly records: number }>;
}

/**
 * One DuckDB transaction for many bulk inputs (engine.ts IngestGroup). Their reads are deferred and run together
 * before the group commits, one statement per plan: each read_csv statement has a set-up cost (its buffers, its
 * threads) that made a small file cost several times its records. Each input's ledger row is staged at once (a
 * duplicate later in the group sees it); the records a statement adds must equal what the scans of its files
 * counted, or the group is aborted and its inputs are read again alone.
 */
class DuckDbIngestGroup implements IngestGroup {
  staged = 0;
  aborted = false;
  /** A transaction is open. */
  open = false;
  private physical: Set<string> = new Set();
  private deferred = new Map<string, DeferredReads>();
  private deferredRecords = 0;
  /** Ledger rows staged, written with the deferred reads (the remembered ledger answers for them meanwhile). */
  private ledgerRows: string[] = [];

  constructor(
    /** The store's connection now (letOthersIn replaces it between groups). */
    private readonly connectionNow: () => DuckDBConnection,
    /** The store's deleteInput, run inside the group's transaction (IngestOptions.replace). */
    private readonly deleteInput: (name: string) => Promise<RemovedInput>,
    private readonly remembered: Remembered,
  ) {}

  async begin(options: IngestOptions = {}): Promise<IngestTransaction> {
    if (this.aborted) throw new Error('the ingest group was aborted: roll it back');
    if (!this.open) {
      // A group's reads leave some row groups part full; the checkpoint that ends the process would merge them
      // (DuckDB's vacuum), rewriting a large share of what was just written: 3.7 of 16 CPU-seconds for 2M records
      // in 48 hourly files. Part-full row groups read as fast; this process does not vacuum (others still do).
      await this.connectionNow().run('SET max_vacuum_tasks = 0');
      await this.connectionNow().run('BEGIN TRANSACTION');
      this.open = true;
      this.physical = await physicalColumns(this.connectionNow());
    }
    if (options.replace && options.input !== undefined) {
      try {
        // The records deferred so far are written first: one of them may be the input being replaced.
        await this.readDeferred();
        await this.deleteInput(options.input);
      } catch (error) {
        this.aborted = true;
        throw error;
      }
    }
    return new DuckDbIngest(this.connectionNow(), this.physical, options.input, this.remembered, this);
  }

  /** Stages an input's ledger row: known at once to the remembered ledger, written before the group commits. */
  async stageLedger(entry: LedgerEntry, inputId: number | undefined): Promise<void> {
    (await this.remembered.ledgerIndex()).add(entry);
    this.ledgerRows.push(ledgerValuesSql(entry, inputId));
    this.staged += entry.records;
  }

  /**
   * Registers a bulk read to run with the others of its plan (its shape and columns are made now, in the group's
   * transaction). Returns the records its scan counted.
   */
  async defer(plan: BulkPlan, file: { path: string; gzip: boolean }, inputId: number): Promise<number> {
    const connection = this.connectionNow();
    const layout = await storedLayoutOf(connection, this.physical, this.remembered, plan);
    const { sql: key, columns } = bulkInsertSql(SESSIONS_TABLE, plan, file.gzip, layout);
    await addPhysicalColumns(connection, this.physical, columns);
    const reads = this.deferred.get(key) ?? { plan, gzip: file.gzip, layout, files: [] };
    reads.files.push({ path: file.path, inputId, records: plan.records });
    this.deferred.set(key, reads);
    this.deferredRecords += plan.records;
    if (this.deferredRecords >= DEFERRED_RECORDS) await this.readDeferred();
    return plan.records;
  }

  /** Runs the deferred reads and writes the staged ledger rows; any failure (a refused value, a count that differs) ends the group. */
  private async readDeferred(): Promise<void> {
    const all = [...this.deferred.values()];
    const rows = this.ledgerRows;
    this.deferred.clear();
    this.deferredRecords = 0;
    this.ledgerRows = [];
    try {
      for (let at = 0; at < rows.length; at += LEDGER_ROWS_PER_INSERT) {
        await this.connectionNow().run(`INSERT INTO ${LEDGER_TABLE} (${LEDGER_INSERT_COLUMNS}) VALUES ${rows.slice(at, at + LEDGER_ROWS_PER_INSERT).join(', ')}`);
      }
      for (const reads of all) {
        const { sql } = manyFilesInsertSql(SESSIONS_TABLE, reads.plan, reads.gzip, reads.layout, reads.files, INPUT_COLUMN);
        const result = await this.connectionNow().runAndReadAll(sql);
        const added = Number(result.getRows()[0]?.[0] ?? 0);
        const counted = reads.files.reduce((sum, file) => sum + file.records, 0);
        if (added !== counted) throw new Error(`bulk read refused: ${reads.files.length} files gave ${added} records where their scans counted ${counted}`);
      }
    } catch (error) {
      this.aborted = true;
      throw error;
    }
  }

  async commit(): Promise<void> {
    if (!this.open) return;
    if (this.aborted) throw new Error('the ingest group was aborted: roll it back');
    await this.readDeferred();
    try {
      await this.connectionNow().run('COMMIT');
    } catch (error) {
      this.remembered.forget();
      throw error;
    } finally {
      // A COMMIT that fails (a full disk) has ended the transaction in DuckDB: there is nothing to roll back.
      this.open = false;
      this.staged = 0;
    }
  }

  async rollback(): Promise<void> {
    const wasOpen = this.open;
    this.open = false;
    this.staged = 0;
    this.aborted = false;
    this.deferred.clear();
    this.deferredRecords = 0;
    this.ledgerRows = [];
    this.remembered.forget();
    if (wasOpen) await this.connectionNow().run('ROLLBACK');
  }
}

class DuckDbIngest implements IngestTransaction {
  private pending: AsimRecord[] = [];
  private finished = false;
  private layout: ColumnLayout = EMPTY_LAYOUT;
  private insert: DuckDBPreparedStatement | undefined;
  /** The INSERT running in the background while the next batch is parsed and packed. */
  private inserting: Promise<unknown> | undefined;

  /** The input id every record of this ingest is marked with (NULL when the caller named no input). */
  private readonly inputId: number | undefined;

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly physical: Set<string>,
    private readonly input: string | undefined,
    private readonly remembered: Remembered,
    /** The group this input belongs to: its commit only stages; its failure ends the group. */
    private readonly group?: DuckDbIngestGroup,
  ) {
    this.inputId = input === undefined ? undefined : inputId(input);
  }

  /** The input column and its value, for INSERTs. */
  private inputColumn(): ReadonlyArray<readonly [string, string]> {
    return this.inputId === undefined ? [] : [[INPUT_COLUMN, String(this.inputId)]];
  }

  async appendRecords(records: readonly AsimRecord[]): Promise<void> {
    if (this.group) throw new Error('records from the line reader are not ingested in a group');
    for (const record of records) {
      this.pending.push(record);
      if (this.pending.length === BATCH_RECORDS) await this.flush();
    }
  }

  async appendBulk(plan: BulkPlan, file: { path: string; gzip: boolean }): Promise<number> {
    await this.flush();
    await this.settle();
    try {
      // In a group, a small file read from its first data line is read later with the group's other small files.
      if (this.group && this.inputId !== undefined && plan.skipDataLines === 0 && plan.records < DEFER_BELOW_RECORDS) {
        return await this.group.defer(plan, file, this.inputId);
      }
      const added = await appendMappedRows(this.connection, this.physical, this.remembered, plan, (layout) => bulkInsertSql(SESSIONS_TABLE, plan, file.gzip, layout, this.inputColumn()), {
        path: file.path,
      });
      // The ledger records the content the scan hashed: a file that grew since (still being written) would add
      // records beyond it, which a later ingest would add again. The line reader reads what it hashes.
      if (added !== plan.records) throw new Error(`bulk read refused: the file gave ${added} records where its scan counted ${plan.records} (is it still being written?)`);
      return added;
    } catch (error) {
      // A failed statement aborts DuckDB's whole transaction: with it, the group's other inputs.
      if (this.group) this.group.aborted = true;
      throw error;
    }
  }

  async appendRejects(rejects: readonly RejectRow[]): Promise<void> {
    if (rejects.length === 0) return;
    await this.settle();
    const values = rejects.map(
      (reject) =>
        `(${quoteString(visibleNul(reject.input))}, ${Math.trunc(reject.line)}, ${quoteString(reject.format)}, ${quoteString(visibleNul(reject.field))}, ` +
        `${quoteString(visibleNul(reject.reason))}, ${quoteString(visibleNul(reject.raw.slice(0, MAX_RAW_CHARS)))}, now()::TIMESTAMP)`,
    );
    await this.connection.run(`INSERT INTO ${REJECTS_TABLE} VALUES ${values.join(', ')}`);
  }

  async commit(entry: LedgerEntry): Promise<void> {
    if (this.input !== undefined && entry.name !== this.input) throw new Error(`ledger entry ${entry.name} for an ingest of ${this.input}`);
    await this.flush();
    await this.settle();
    if (this.group) {
      await this.group.stageLedger(entry, this.inputId);
      this.finished = true;
      return;
    }
    await this.connection.run(`INSERT INTO ${LEDGER_TABLE} (${LEDGER_INSERT_COLUMNS}) VALUES ${ledgerValuesSql(entry, this.inputId)}`);
    try {
      await this.connection.run('COMMIT');
      this.remembered.ledger?.add(entry);
    } catch (error) {
      this.remembered.forget();
      throw error;
    } finally {
      // A COMMIT that fails (a full disk) has ended the transaction in DuckDB: there is nothing to roll back.
      this.finished = true;
    }
  }

  async rollback(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (this.group) {
      // Part of this input may be in the group's transaction, which cannot take back one input: end the group.
      this.group.aborted = true;
      return;
    }
    await this.inserting?.catch(() => undefined);
    this.remembered.forget();
    await this.connection.run('ROLLBACK');
  }

  /**
   * Packs the pending records and starts their INSERT; it runs in DuckDB's threads while the parser goes on.
   * Only one INSERT is in flight: the next batch waits for it, which bounds memory.
   */
  private async flush(): Promise<void> {
    const rows = this.pending;
    if (rows.length === 0) return;
    this.pending = [];
    const next = widenLayout(this.layout, rows);
    const values: DuckDBValue[] =
      next.varying.length === 0 ? [BigInt(rows.length)] : next.varying.map((name) => packColumn(rows, name));
    await this.settle();
    if (next !== this.layout || !this.insert) await this.switchLayout(next);
    const insert = this.insert!;
    insert.bind(values);
    const running = insert.run();
    running.catch(() => undefined); // surfaced by settle(); never an unhandled rejection
    this.inserting = running;
  }

  /** Waits for the INSERT in flight, surfacing its failure. */
  private async settle(): Promise<void> {
    const running = this.inserting;
    this.inserting = undefined;
    if (running) await running;
  }

  private async switchLayout(next: ColumnLayout): Promise<void> {
    this.layout = next;
    await addPhysicalColumns(this.connection, this.physical, [...next.varying, ...next.constants.keys()]);
    this.insert?.destroySync();
    this.insert = await this.connection.prepare(unpackInsertSql(SESSIONS_TABLE, next, this.inputColumn()));
  }
}

/**
 * A bulk plan's INSERT: the columns its shape derives are not written (duckdb-shapes.ts); the shape is registered
 * first, inside the caller's transaction if any. Returns the records added.
 */
async function appendMappedRows(
  connection: DuckDBConnection,
  physical: Set<string>,
  remembered: Remembered,
  plan: BulkPlan,
  insertSql: (layout: StoredLayout) => { sql: string; columns: string[] },
  parameters?: Record<string, string>,
): Promise<number> {
  const { sql, columns } = insertSql(await storedLayoutOf(connection, physical, remembered, plan));
  await addPhysicalColumns(connection, physical, columns);
  const result = await connection.runAndReadAll(sql, parameters);
  return Number(result.getRows()[0]?.[0] ?? 0);
}

/** The columns a plan's INSERT writes and the shape its rows carry (registered when new). */
async function storedLayoutOf(connection: DuckDBConnection, physical: Set<string>, remembered: Remembered, plan: BulkPlan): Promise<StoredLayout> {
  const { stored, derived } = splitMapping(plan.mapping);
  const shapeId = Object.keys(derived).length === 0 ? undefined : await shapeIdOf(connection, physical, remembered, derived);
  return { stored, ...(shapeId === undefined ? {} : { shapeId }) };
}

/** The id of the shape with these derivations, registered (and shown by the view) when it is new. */
async function shapeIdOf(connection: DuckDBConnection, physical: Set<string>, remembered: Remembered, derived: Derivations): Promise<number> {
  const key = derivationsKey(derived);
  const remembers = remembered.shapeIds.get(key);
  if (remembers !== undefined) return remembers;
  const known = await connection.runAndReadAll(`SELECT id FROM ${SHAPES_TABLE} WHERE derivations = ${quoteString(key)}`);
  const found = known.getRows()[0]?.[0];
  if (found !== undefined && found !== null) {
    remembered.shapeIds.set(key, Number(found));
    return Number(found);
  }
  const next = await connection.runAndReadAll(`INSERT INTO ${SHAPES_TABLE} SELECT coalesce(max(id), 0) + 1, ${quoteString(key)} FROM ${SHAPES_TABLE} RETURNING id`);
  const id = Number(next.getRows()[0]![0]);
  // Columns a derivation reads are stored by the same INSERT; the view may only name them once they exist.
  await addPhysicalColumns(connection, physical, referencedColumns(derived), false);
  await refreshView(connection, physical);
  remembered.shapeIds.set(key, id);
  return id;
}

function referencedColumns(derived: Derivations): string[] {
  return Object.values(derived).flatMap((derivation) => (derivation.kind === 'const' ? [] : [derivation.of]));
}

async function shapes(connection: DuckDBConnection): Promise<Shape[]> {
  const reader = await connection.runAndReadAll(`SELECT id, derivations FROM ${SHAPES_TABLE} ORDER BY id`);
  return reader.getRows().map(([id, derivations]) => ({ id: Number(id), derivations: parseDerivations(String(derivations)) }));
}

async function refreshView(connection: DuckDBConnection, physical: ReadonlySet<string>): Promise<void> {
  await connection.run(asimViewDdl(physical, await shapes(connection)));
}

/**
 * A rejected line is kept as read, but a NUL cannot be written into SQL text: it is shown as U+2400 (␀), so the
 * reject is stored (a line full of NULs is exactly the kind of line a user must be able to see) instead of the
 * whole input failing.
 */
function visibleNul(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\u2400') : text;
}

/** Schema columns stored for the first time join the physical table (inside the caller's transaction, if any). */
async function addPhysicalColumns(connection: DuckDBConnection, physical: Set<string>, names: readonly string[], updateView = true): Promise<void> {
  const missing = [...new Set(names)].filter((name) => !physical.has(name));
  if (missing.length === 0) return;
  for (const name of missing) {
    const type = ASIM_COLUMN_TYPES.get(name);
    if (!type) throw new Error(`not an ASIM NetworkSession column: ${name}`);
    await connection.run(`ALTER TABLE ${SESSIONS_TABLE} ADD COLUMN ${physicalColumnDdl(name, type)}`);
    physical.add(name);
  }
  if (updateView) await refreshView(connection, physical);
}

async function physicalColumns(connection: DuckDBConnection): Promise<Set<string>> {
  const reader = await connection.runAndReadAll(
    `SELECT column_name FROM information_schema.columns WHERE table_name = '${SESSIONS_TABLE}' AND table_schema = 'main'`,
  );
  return new Set(reader.getRows().map((row) => String(row[0])));
}

/** DuckDB values as plain JS: numbers (bigints when unsafe), strings, booleans, timestamps as epoch microseconds. */
function toPlainValue(value: DuckDBValue): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  if (value instanceof DuckDBTimestampValue) return Number(value.micros);
  return value.toString();
}

