/**
 * The embedded store: one DuckDB database file holding ASIM records, the ledger of ingested inputs and the
 * rejects. How records are packed on their way in is in duckdb-packing.ts.
 */
import {
  DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  DuckDBTimestampValue,
  type DuckDBAppender,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { ASIM_COLUMN_TYPES, ASIM_COLUMNS, ASIM_TABLE, type AsimType } from '../asim/schema.js';
import { EMPTY_LAYOUT, packColumn, stagingTableDdl, unpackInsertSql, widenLayout, type ColumnLayout } from './duckdb-packing.js';
import type { AsimRecord } from '../asim/record.js';
import type { IngestTransaction, LedgerEntry, QueryResult, RejectRow, Store } from './engine.js';
import { quoteIdentifier, quoteString } from './sql.js';

export const LEDGER_TABLE = 'smbwatch_inputs';
export const REJECTS_TABLE = 'smbwatch_rejects';
const STAGING_TABLE = 'smbwatch_staging';
const CHUNK_ROWS = 2048; // DuckDB's vector size
const MOVE_EVERY_RECORDS = 64 * CHUNK_ROWS;
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

const SESSIONS_DDL = `CREATE TABLE IF NOT EXISTS ${SESSIONS_TABLE} (${physicalColumnDdl('TimeGenerated', 'datetime')})`;

export function asimViewDdl(physical: ReadonlySet<string>): string {
  const columns = ASIM_COLUMNS.map(({ name, type }) => {
    if (physical.has(name)) return quoteIdentifier(name);
    const absent = type === 'string' ? "''" : `CAST(NULL AS ${DUCKDB_TYPES[type]})`;
    return `${absent} AS ${quoteIdentifier(name)}`;
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
  ingested_at TIMESTAMP NOT NULL
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

export async function openDuckDbStore(path: string): Promise<DuckDbStore> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  const store = new DuckDbStore(instance, connection, path);
  await store.initialise();
  return store;
}

export class DuckDbStore implements Store {
  readonly engine = 'duckdb' as const;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    readonly location: string,
  ) {}

  async initialise(): Promise<void> {
    await this.connection.run(SESSIONS_DDL);
    await this.connection.run(LEDGER_DDL);
    await this.connection.run(REJECTS_DDL);
    await this.connection.run(asimViewDdl(await physicalColumns(this.connection)));
  }

  async query(sql: string): Promise<QueryResult> {
    const reader = await this.connection.runAndReadAll(sql);
    const names = reader.columnNames();
    const types = reader.columnTypes();
    const columns = names.map((name, index) => ({ name, type: String(types[index]) }));
    const rows = reader.getRows().map((row) => row.map(toPlainValue));
    return { columns, rows };
  }

  async beginIngest(): Promise<IngestTransaction> {
    await this.connection.run('BEGIN TRANSACTION');
    return new DuckDbIngest(this.connection, await physicalColumns(this.connection));
  }

  /**
   * Makes these schema columns physical, for bulk loads written in SQL straight into `smbwatch_sessions`
   * (benchmarks and generators that bypass the ingest pipeline).
   */
  async ensureColumns(names: readonly string[]): Promise<void> {
    await addPhysicalColumns(this.connection, await physicalColumns(this.connection), names);
  }

  async lastLedgerEntry(name: string): Promise<LedgerEntry | undefined> {
    return this.ledgerWhere(`name = ${quoteString(name)}`);
  }

  async ledgerEntryByHash(contentHash: string): Promise<LedgerEntry | undefined> {
    return this.ledgerWhere(`content_hash = ${quoteString(contentHash)}`);
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async ledgerWhere(condition: string): Promise<LedgerEntry | undefined> {
    const reader = await this.connection.runAndReadAll(
      `SELECT name, format, size, offset_reached, line_reached, content_hash, records, rejects, ignored, epoch_us(ingested_at)
       FROM ${LEDGER_TABLE} WHERE ${condition} ORDER BY ingested_at DESC, offset_reached DESC LIMIT 1`,
    );
    const row = reader.getRows()[0];
    if (!row) return undefined;
    const [name, format, size, offsetReached, lineReached, contentHash, records, rejects, ignored, at] = row.map(toPlainValue);
    return {
      name: String(name),
      format: String(format),
      size: Number(size),
      offsetReached: Number(offsetReached),
      lineReached: Number(lineReached),
      contentHash: String(contentHash),
      records: Number(records),
      rejects: Number(rejects),
      ignored: Number(ignored),
      ingestedAt: new Date(Number(at) / 1000),
    };
  }
}

class DuckDbIngest implements IngestTransaction {
  private chunkRows: AsimRecord[] = [];
  private stagedRecords = 0;
  private finished = false;
  private layout: ColumnLayout = EMPTY_LAYOUT;
  private queued: Array<{ packed: string[]; records: number }> = [];
  private queuedRecords = 0;
  private moving: Promise<void> | undefined;
  private appender: DuckDBAppender | undefined;
  private types: DuckDBType[] = [];

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly physical: Set<string>,
  ) {}

  async appendRecords(records: readonly AsimRecord[]): Promise<void> {
    for (const record of records) {
      this.chunkRows.push(record);
      if (this.chunkRows.length === CHUNK_ROWS) await this.flushChunk();
    }
  }

  async appendRejects(rejects: readonly RejectRow[]): Promise<void> {
    if (rejects.length === 0) return;
    const values = rejects.map(
      (reject) =>
        `(${quoteString(reject.input)}, ${Math.trunc(reject.line)}, ${quoteString(reject.format)}, ${quoteString(reject.field)}, ` +
        `${quoteString(reject.reason)}, ${quoteString(reject.raw.slice(0, MAX_RAW_CHARS))}, now()::TIMESTAMP)`,
    );
    await this.connection.run(`INSERT INTO ${REJECTS_TABLE} VALUES ${values.join(', ')}`);
  }

  async commit(entry: LedgerEntry): Promise<void> {
    await this.flushChunk();
    await this.settle();
    await this.moveStaged();
    this.closeAppender();
    await this.connection.run(
      `INSERT INTO ${LEDGER_TABLE} VALUES (${quoteString(entry.name)}, ${quoteString(entry.format)}, ${entry.size}, ` +
        `${entry.offsetReached}, ${entry.lineReached}, ${quoteString(entry.contentHash)}, ${entry.records}, ${entry.rejects}, ` +
        `${entry.ignored}, make_timestamp(${entry.ingestedAt.getTime() * 1000}))`,
    );
    await this.connection.run('COMMIT');
    this.finished = true;
  }

  async rollback(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.moving?.catch(() => undefined);
    try {
      this.closeAppender();
    } catch {
      // The appender may hold rows the rollback discards anyway.
    }
    await this.connection.run('ROLLBACK');
  }

  /**
   * Packs a chunk and stages it. Moving staged rows into the table runs in the background while the next
   * records are parsed and packed (chunks queue in JS meanwhile), so DuckDB and the parser work at once.
   */
  private async flushChunk(): Promise<void> {
    const rows = this.chunkRows;
    if (rows.length === 0) return;
    this.chunkRows = [];
    const next = widenLayout(this.layout, rows);
    if (next !== this.layout || !this.appender) {
      await this.settle();
      await this.moveStaged();
      await this.switchLayout(next);
    }
    this.queued.push({ packed: this.layout.varying.map((name) => packColumn(rows, name)), records: rows.length });
    this.queuedRecords += rows.length;
    // Backpressure: when DuckDB is slower than the parser, wait instead of queueing without bound.
    if (this.moving && this.queuedRecords >= MOVE_EVERY_RECORDS) await this.settle();
    if (this.moving) return;
    this.appendQueued();
    if (this.stagedRecords >= MOVE_EVERY_RECORDS) this.moving = this.moveInBackground();
  }

  /** Waits for a background move (surfacing its failure) and stages what queued meanwhile. */
  private async settle(): Promise<void> {
    if (this.moving) await this.moving;
    this.appendQueued();
  }

  private appendQueued(): void {
    this.queuedRecords = 0;
    for (const { packed, records } of this.queued.splice(0)) {
      const chunk = DuckDBDataChunk.create(this.types, 1);
      if (this.layout.varying.length === 0) chunk.setColumnValues(0, [records]);
      packed.forEach((value, column) => chunk.setColumnValues(column, [value]));
      this.appender!.appendDataChunk(chunk);
      this.stagedRecords += records;
    }
  }

  private moveInBackground(): Promise<void> {
    const moving = this.moveStaged().finally(() => {
      if (this.moving === moving) this.moving = undefined;
    });
    moving.catch(() => undefined); // surfaced by settle(); never an unhandled rejection
    return moving;
  }

  private async switchLayout(next: ColumnLayout): Promise<void> {
    this.closeAppender();
    this.layout = next;
    await this.addPhysicalColumns([...next.varying, ...next.constants.keys()]);
    await this.connection.run(stagingTableDdl(STAGING_TABLE, next));
    this.types = (await this.connection.runAndReadAll(`SELECT * FROM ${STAGING_TABLE} LIMIT 0`)).columnTypes();
    this.appender = await this.connection.createAppender(STAGING_TABLE, 'main', 'temp');
  }

  private async addPhysicalColumns(names: readonly string[]): Promise<void> {
    await addPhysicalColumns(this.connection, this.physical, names);
  }

  private async moveStaged(): Promise<void> {
    if (this.stagedRecords === 0 || !this.appender) return;
    this.appender.flushSync();
    const sql = unpackInsertSql(STAGING_TABLE, SESSIONS_TABLE, this.layout, this.stagedRecords);
    this.stagedRecords = 0;
    await this.connection.run(sql);
    await this.connection.run(`DELETE FROM ${STAGING_TABLE}`);
  }

  private closeAppender(): void {
    this.appender?.closeSync();
    this.appender = undefined;
  }
}

/** Schema columns stored for the first time join the physical table (inside the caller's transaction, if any). */
async function addPhysicalColumns(connection: DuckDBConnection, physical: Set<string>, names: readonly string[]): Promise<void> {
  const missing = names.filter((name) => !physical.has(name));
  if (missing.length === 0) return;
  for (const name of missing) {
    const type = ASIM_COLUMN_TYPES.get(name);
    if (!type) throw new Error(`not an ASIM NetworkSession column: ${name}`);
    await connection.run(`ALTER TABLE ${SESSIONS_TABLE} ADD COLUMN ${physicalColumnDdl(name, type)}`);
    physical.add(name);
  }
  await connection.run(asimViewDdl(physical));
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

