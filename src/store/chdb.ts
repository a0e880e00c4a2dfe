/**
 * ClickHouse through the embedded chdb engine (npm `chdb`): runs SQL and returns a QueryResult like the DuckDB
 * store. A session holds the settings the KQL compiler's ClickHouse dialect relies on, and can load the ASIM table
 * from a Parquet file (e.g. exported from the DuckDB store) so that KQL runs on the same data in both engines.
 */
import { createRequire } from 'node:module';
import { ASIM_COLUMNS, ASIM_TABLE } from '../asim/schema.js';
import { CLICKHOUSE_SETTINGS, clickhouse } from '../kql/sql/clickhouse.js';
import type { ScalarType } from '../kql/types.js';
import type { QueryResult } from './engine.js';

interface ChdbSession {
  query(sql: string, format?: string): string;
  close(): void;
}

interface ChdbModule {
  Session: new (path?: string) => ChdbSession;
}

function loadChdb(): ChdbModule {
  const require = createRequire(import.meta.url);
  try {
    return require('chdb') as ChdbModule;
  } catch (error) {
    throw new Error(`the ClickHouse engine needs the optional package 'chdb' (${error instanceof Error ? error.message : String(error)})`);
  }
}

interface JsonCompact {
  meta: Array<{ name: string; type: string }>;
  data: unknown[][];
}

export class ChdbEngine {
  private constructor(private readonly session: ChdbSession) {}

  /** A session in `path` (a directory), or a temporary one removed on close. */
  static open(path?: string): ChdbEngine {
    const { Session } = loadChdb();
    const session = path === undefined ? new Session() : new Session(path);
    const settings = Object.entries(CLICKHOUSE_SETTINGS).map(([k, v]) => `${k} = ${v}`).join(', ');
    session.query(`SET ${settings}`);
    return new ChdbEngine(session);
  }

  async query(sql: string): Promise<QueryResult> {
    const text = this.session.query(sql, 'JSONCompact');
    if (text.trim() === '') return { columns: [], rows: [] };
    const parsed = JSON.parse(text) as JsonCompact;
    return { columns: parsed.meta.map((m) => ({ name: m.name, type: m.type })), rows: parsed.data };
  }

  async exec(sql: string): Promise<void> {
    this.session.query(sql);
  }

  /**
   * (Re)creates the ASIM table with its ClickHouse types and fills it from a Parquet file holding the table's
   * columns (as `COPY ASimNetworkSessionLogs TO 'x.parquet'` writes them from DuckDB). Strings stay non-null ("").
   */
  async loadAsimParquet(parquetPath: string): Promise<void> {
    const d = clickhouse;
    await this.createAsimTable();
    const values = ASIM_COLUMNS.map((c) =>
      c.type === 'string' ? `coalesce(toString(${d.ident(c.name)}), '')` : c.type === 'dynamic' ? `toString(${d.ident(c.name)})` : d.ident(c.name),
    ).join(', ');
    await this.exec(`INSERT INTO ${d.ident(ASIM_TABLE)} SELECT ${values} FROM file(${d.string(parquetPath)}, Parquet)`);
  }

  /** (Re)creates a table with these (Kusto-typed) columns and fills it from a Parquet file with the same columns. */
  async loadTableParquet(name: string, columns: ReadonlyArray<{ readonly name: string; readonly type: ScalarType }>, parquetPath: string): Promise<void> {
    const d = clickhouse;
    await this.exec(`DROP TABLE IF EXISTS ${d.ident(name)}`);
    await this.exec(`CREATE TABLE ${d.ident(name)} (${columns.map((c) => `${d.ident(c.name)} ${d.sqlType(c.type)}`).join(', ')}) ENGINE = MergeTree ORDER BY tuple()`);
    const values = columns.map((c) =>
      c.type === 'string' ? `coalesce(toString(${d.ident(c.name)}), '')` : c.type === 'dynamic' ? `toString(${d.ident(c.name)})` : d.ident(c.name),
    ).join(', ');
    await this.exec(`INSERT INTO ${d.ident(name)} SELECT ${values} FROM file(${d.string(parquetPath)}, Parquet)`);
  }

  /** (Re)creates an empty ASIM table: strings are non-null `String` (""), other columns Nullable. */
  async createAsimTable(): Promise<void> {
    const d = clickhouse;
    const columns = ASIM_COLUMNS.map((c) => `${d.ident(c.name)} ${d.sqlType(c.type as ScalarType)}`).join(', ');
    await this.exec(`DROP TABLE IF EXISTS ${d.ident(ASIM_TABLE)}`);
    await this.exec(`CREATE TABLE ${d.ident(ASIM_TABLE)} (${columns}) ENGINE = MergeTree ORDER BY tuple()`);
  }

  close(): void {
    this.session.close();
  }
}
