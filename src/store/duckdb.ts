/**
 * The embedded store: one DuckDB database file holding ASIM records, the ledger of ingested inputs and the
 * rejects.
 *
 * Records are appended in data chunks to a staging table that has only the columns the input's records set,
 * and moved into the ASIM table with one INSERT … SELECT per batch. Why: the ASIM table has ~190 columns with
 * strings NOT NULL DEFAULT '' (Kusto strings are never null), a record sets a dozen of them, DuckDB's appender
 * has no column subset, and every column of a chunk costs native calls from JS even when it is all null.
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
import { ASIM_COLUMNS, ASIM_COLUMN_TYPES, ASIM_TABLE, type AsimType } from '../asim/schema.js';
import type { AsimRecord } from '../asim/record.js';
import type { IngestTransaction, LedgerEntry, QueryResult, RejectRow, Store } from './engine.js';
import { quoteIdentifier, quoteString } from './sql.js';

export const LEDGER_TABLE = 'smbwatch_inputs';
export const REJECTS_TABLE = 'smbwatch_rejects';
const STAGING_TABLE = 'smbwatch_staging';
const CHUNK_ROWS = 2048; // DuckDB's vector size
const MOVE_EVERY_ROWS = 128 * 1024;
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

export function asimTableDdl(): string {
  const columns = ASIM_COLUMNS.map(({ name, type }) =>
    type === 'string'
      ? `${quoteIdentifier(name)} VARCHAR NOT NULL DEFAULT ''`
      : `${quoteIdentifier(name)} ${DUCKDB_TYPES[type]}`,
  );
  return `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(ASIM_TABLE)} (\n  ${columns.join(',\n  ')}\n)`;
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

function stagingDdl(columns: readonly StagedColumn[]): string {
  const definitions = columns.map(({ name, type }) => `${quoteIdentifier(name)} ${DUCKDB_TYPES[type]}`);
  return `CREATE OR REPLACE TEMP TABLE ${STAGING_TABLE} (${definitions.join(', ')})`;
}

/** Moves staged rows into the ASIM table, turning absent strings into "" on the way; other columns take their defaults. */
function moveStagedSql(columns: readonly StagedColumn[]): string {
  const target = columns.map(({ name }) => quoteIdentifier(name)).join(', ');
  const source = columns
    .map(({ name, type }) => (type === 'string' ? `coalesce(${quoteIdentifier(name)}, '')` : quoteIdentifier(name)))
    .join(', ');
  return `INSERT INTO ${quoteIdentifier(ASIM_TABLE)} (${target}) SELECT ${source} FROM ${STAGING_TABLE}`;
}

interface StagedColumn {
  readonly name: string;
  readonly type: AsimType;
}

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
    await this.connection.run(asimTableDdl());
    await this.connection.run(LEDGER_DDL);
    await this.connection.run(REJECTS_DDL);
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
    return new DuckDbIngest(this.connection);
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
  private stagedRows = 0;
  private finished = false;
  private staged: StagedColumn[] = [];
  private stagedNames = new Set<string>();
  private appender: DuckDBAppender | undefined;
  private types: DuckDBType[] = [];
  private moveSql = '';

  constructor(private readonly connection: DuckDBConnection) {}

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
    try {
      this.closeAppender();
    } catch {
      // The appender may hold rows the rollback discards anyway.
    }
    await this.connection.run('ROLLBACK');
  }

  private async flushChunk(): Promise<void> {
    const rows = this.chunkRows;
    if (rows.length === 0) return;
    this.chunkRows = [];
    const appender = await this.appenderFor(rows);
    const chunk = DuckDBDataChunk.create(this.types, rows.length);
    this.staged.forEach(({ name, type }, column) => chunk.setColumnValues(column, columnValues(rows, name, type)));
    appender.appendDataChunk(chunk);
    this.stagedRows += rows.length;
    if (this.stagedRows >= MOVE_EVERY_ROWS) await this.moveStaged();
  }

  /** The staging appender, widened (after moving what is staged) when these rows set a column not yet staged. */
  private async appenderFor(rows: readonly AsimRecord[]): Promise<DuckDBAppender> {
    const missing = columnsSetBy(rows).filter((name) => !this.stagedNames.has(name));
    if (this.appender && missing.length === 0) return this.appender;
    await this.moveStaged();
    this.closeAppender();
    for (const name of missing) this.stagedNames.add(name);
    this.staged = ASIM_COLUMNS.filter(({ name }) => this.stagedNames.has(name));
    await this.connection.run(stagingDdl(this.staged));
    this.types = (await this.connection.runAndReadAll(`SELECT * FROM ${STAGING_TABLE} LIMIT 0`)).columnTypes();
    this.moveSql = moveStagedSql(this.staged);
    this.appender = await this.connection.createAppender(STAGING_TABLE, 'main', 'temp');
    return this.appender;
  }

  private async moveStaged(): Promise<void> {
    if (this.stagedRows === 0 || !this.appender) return;
    this.appender.flushSync();
    await this.connection.run(this.moveSql);
    await this.connection.run(`DELETE FROM ${STAGING_TABLE}`);
    this.stagedRows = 0;
  }

  private closeAppender(): void {
    this.appender?.closeSync();
    this.appender = undefined;
  }
}

/** Names of the schema columns that at least one of these records sets. */
function columnsSetBy(rows: readonly AsimRecord[]): string[] {
  const names = new Set<string>();
  for (const row of rows) {
    for (const name in row) {
      const value = row[name];
      if (value !== undefined && value !== null && value !== '') names.add(name);
    }
  }
  return [...names].filter((name) => ASIM_COLUMN_TYPES.has(name));
}

const ALL_NULL_CACHE = new Map<number, null[]>();

function allNull(length: number): null[] {
  let values = ALL_NULL_CACHE.get(length);
  if (!values) {
    values = new Array<null>(length).fill(null);
    ALL_NULL_CACHE.set(length, values);
  }
  return values;
}

/** One column of a chunk as DuckDB values; a column no record sets is all null (and costs no native call). */
function columnValues(rows: readonly AsimRecord[], name: string, type: AsimType): readonly DuckDBValue[] {
  let values: DuckDBValue[] | undefined;
  for (let index = 0; index < rows.length; index++) {
    const value = rows[index]![name];
    if (value === undefined || value === null || (type === 'string' && value === '')) continue;
    values ??= new Array<DuckDBValue>(rows.length).fill(null);
    values[index] = toDuckDbValue(value, type);
  }
  return values ?? allNull(rows.length);
}

function toDuckDbValue(value: string | number | boolean, type: AsimType): DuckDBValue {
  switch (type) {
    case 'datetime':
      return new DuckDBTimestampValue(BigInt(value as number));
    case 'long':
      return BigInt(value as number);
    default:
      return value;
  }
}

/** DuckDB values as plain JS: numbers (bigints when unsafe), strings, booleans, timestamps as epoch microseconds. */
function toPlainValue(value: DuckDBValue): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  if (value instanceof DuckDBTimestampValue) return Number(value.micros);
  return value.toString();
}

