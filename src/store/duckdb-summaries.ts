/**
 * Summary tables in a DuckDB store (engine.ts SummaryTables): plain tables named as in Sentinel
 * (`NetworkSummary_Protocol_CL`), columns typed as the KQL compiler reads them (sql/duckdb.ts sqlType).
 */
import { duckdb } from '../kql/sql/duckdb.js';
import type { QueryResult, SummaryColumn, SummaryTables } from './engine.js';
import { quoteIdentifier } from './sql.js';

/** Sentinel's custom tables end in `_CL`; smbwatch's own tables never do. */
const CUSTOM_TABLE = /_CL$/;

export class DuckDbSummaryTables implements SummaryTables {
  constructor(private readonly query: (sql: string) => Promise<QueryResult>) {}

  async names(): Promise<string[]> {
    const result = await this.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name");
    return result.rows.map(([name]) => String(name)).filter((name) => CUSTOM_TABLE.test(name));
  }

  async replaceBin(table: string, columns: readonly SummaryColumn[], fromMicros: number, toMicros: number, selectSql: string): Promise<number> {
    if (!CUSTOM_TABLE.test(table)) throw new Error(`summary table names end in _CL: ${table}`);
    const name = quoteIdentifier(table);
    const list = columns.map((c) => quoteIdentifier(c.name)).join(', ');
    await this.query('BEGIN TRANSACTION');
    try {
      await this.query(`CREATE TABLE IF NOT EXISTS ${name} (${columns.map((c) => `${quoteIdentifier(c.name)} ${duckdb.sqlType(c.type)}`).join(', ')})`);
      await this.query(`DELETE FROM ${name} WHERE "TimeGenerated" >= make_timestamp(${fromMicros}) AND "TimeGenerated" < make_timestamp(${toMicros})`);
      const inserted = await this.query(`INSERT INTO ${name} (${list}) SELECT ${list} FROM (${selectSql}) AS __summary`);
      await this.query('COMMIT');
      return Number(inserted.rows[0]?.[0] ?? 0);
    } catch (error) {
      await this.query('ROLLBACK');
      throw error;
    }
  }
}
