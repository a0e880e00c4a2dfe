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
import { bulkInsertSql } from './duckdb-bulk.js';
import type { BulkPlan } from '../sources/types.js';
import type { AsimRecord } from '../asim/record.js';
import type { IngestTransaction, LedgerEntry, QueryResult, RejectQuery, RejectRow, Store, StoreSummary } from './engine.js';
import { ALERTS_DDL, DuckDbAlertTable, DuckDbPlanTable, PLANS_DDL } from './duckdb-tables.js';
import { quoteIdentifier, quoteString } from './sql.js';

export const LEDGER_TABLE = 'smbwatch_inputs';
export const REJECTS_TABLE = 'smbwatch_rejects';
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

export interface DuckDbOptions {
  /** DuckDB's memory_limit, e.g. '1GB' (default: DuckDB's own, 80% of RAM). Larger inputs spill, not grow. */
  readonly memoryLimit?: string;
}

/**
 * Records have no meaningful order (KQL results are unordered unless sorted), so DuckDB need not preserve
 * insertion order: that lets it insert in parallel and with less memory.
 */
const INSTANCE_SETTINGS: Record<string, string> = { preserve_insertion_order: 'false' };

export async function openDuckDbStore(path: string, options: DuckDbOptions = {}): Promise<DuckDbStore> {
  const settings = { ...INSTANCE_SETTINGS, ...(options.memoryLimit ? { memory_limit: options.memoryLimit } : {}) };
  const instance = await DuckDBInstance.create(path, settings);
  const connection = await instance.connect();
  const store = new DuckDbStore(instance, connection, path);
  await store.initialise();
  return store;
}

export class DuckDbStore implements Store {
  readonly engine = 'duckdb' as const;
  readonly alerts = new DuckDbAlertTable((sql) => this.query(sql));
  readonly plans = new DuckDbPlanTable((sql) => this.query(sql));

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    readonly location: string,
  ) {}

  async initialise(): Promise<void> {
    await this.connection.run(SESSIONS_DDL);
    await this.connection.run(LEDGER_DDL);
    // Stores made before head hashes existed gain the column (empty: no continuation is found for those inputs).
    await this.connection.run(`ALTER TABLE ${LEDGER_TABLE} ADD COLUMN IF NOT EXISTS head_hash VARCHAR DEFAULT ''`);
    await this.connection.run(REJECTS_DDL);
    await this.connection.run(ALERTS_DDL);
    await this.connection.run(PLANS_DDL);
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
    return (await this.ledgerWhere(`name = ${quoteString(name)}`))[0];
  }

  async ledgerEntryByHash(contentHash: string): Promise<LedgerEntry | undefined> {
    return (await this.ledgerWhere(`content_hash = ${quoteString(contentHash)}`))[0];
  }

  async ledgerEntriesByHeadHash(headHash: string): Promise<LedgerEntry[]> {
    if (headHash === '') return [];
    const latest = await this.ledgerWhere(`head_hash = ${quoteString(headHash)}`, 'latest per name');
    return latest.sort((a, b) => b.offsetReached - a.offsetReached);
  }

  /** Writes the ASIM view's rows to a Parquet file (for embedded ClickHouse, engines.ts). */
  async exportAsimParquet(path: string): Promise<void> {
    await this.connection.run(`COPY (SELECT * FROM ${quoteIdentifier(ASIM_TABLE)}) TO ${quoteString(path)} (FORMAT PARQUET)`);
  }

  async summary(): Promise<StoreSummary> {
    const totals = await this.query(`SELECT count(*), epoch_us(min(TimeGenerated)), epoch_us(max(TimeGenerated)) FROM ${quoteIdentifier(ASIM_TABLE)}`);
    const [records, first, last] = totals.rows[0] ?? [];
    const products = await this.query(
      `SELECT EventVendor, EventProduct, EventType, count(*) AS n FROM ${quoteIdentifier(ASIM_TABLE)} GROUP BY ALL ORDER BY n DESC, 1, 2, 3`,
    );
    const inputs = await this.query(`SELECT count(DISTINCT name) FROM ${LEDGER_TABLE}`);
    const rejects = await this.query(`SELECT count(*) FROM ${REJECTS_TABLE}`);
    return {
      records: Number(records ?? 0),
      ...(first === null || first === undefined ? {} : { firstMicros: Number(first), lastMicros: Number(last) }),
      products: products.rows.map(([vendor, product, eventType, n]) => ({
        vendor: String(vendor), product: String(product), eventType: String(eventType), records: Number(n),
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

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  /** Ledger entries matching a condition: the latest one, or the latest of each input name. */
  private async ledgerWhere(condition: string, pick: 'latest' | 'latest per name' = 'latest'): Promise<LedgerEntry[]> {
    const columns = 'name, format, size, offset_reached, line_reached, content_hash, records, rejects, ignored, epoch_us(ingested_at), head_hash';
    const order = 'ORDER BY ingested_at DESC, offset_reached DESC';
    const sql =
      pick === 'latest'
        ? `SELECT ${columns} FROM ${LEDGER_TABLE} WHERE ${condition} ${order} LIMIT 1`
        : `SELECT ${columns} FROM ${LEDGER_TABLE} WHERE ${condition} QUALIFY row_number() OVER (PARTITION BY name ${order}) = 1`;
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRows().map((row) => {
      const [name, format, size, offsetReached, lineReached, contentHash, records, rejects, ignored, at, headHash] = row.map(toPlainValue);
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
        headHash: String(headHash),
      };
    });
  }
}

class DuckDbIngest implements IngestTransaction {
  private pending: AsimRecord[] = [];
  private finished = false;
  private layout: ColumnLayout = EMPTY_LAYOUT;
  private insert: DuckDBPreparedStatement | undefined;
  /** The INSERT running in the background while the next batch is parsed and packed. */
  private inserting: Promise<unknown> | undefined;

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly physical: Set<string>,
  ) {}

  async appendRecords(records: readonly AsimRecord[]): Promise<void> {
    for (const record of records) {
      this.pending.push(record);
      if (this.pending.length === BATCH_RECORDS) await this.flush();
    }
  }

  async appendBulk(plan: BulkPlan, file: { path: string; gzip: boolean }): Promise<number> {
    await this.flush();
    await this.settle();
    const { sql, columns } = bulkInsertSql(SESSIONS_TABLE, plan, file.gzip);
    await addPhysicalColumns(this.connection, this.physical, columns);
    const result = await this.connection.runAndReadAll(sql, { path: file.path });
    return Number(result.getRows()[0]?.[0] ?? 0);
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
    await this.flush();
    await this.settle();
    await this.connection.run(
      `INSERT INTO ${LEDGER_TABLE} (name, format, size, offset_reached, line_reached, content_hash, records, rejects, ignored, ingested_at, head_hash) ` +
        `VALUES (${quoteString(entry.name)}, ${quoteString(entry.format)}, ${entry.size}, ` +
        `${entry.offsetReached}, ${entry.lineReached}, ${quoteString(entry.contentHash)}, ${entry.records}, ${entry.rejects}, ` +
        `${entry.ignored}, make_timestamp(${entry.ingestedAt.getTime() * 1000}), ${quoteString(entry.headHash ?? '')})`,
    );
    try {
      await this.connection.run('COMMIT');
    } finally {
      // A COMMIT that fails (a full disk) has ended the transaction in DuckDB: there is nothing to roll back.
      this.finished = true;
    }
  }

  async rollback(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.inserting?.catch(() => undefined);
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
    this.insert = await this.connection.prepare(unpackInsertSql(SESSIONS_TABLE, next));
  }
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

