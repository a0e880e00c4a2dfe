/**
 * An in-memory DuckDB for self-contained queries (datatable/print) and tests: no store file needed.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { QueryResult } from '../store/engine.js';
import type { SqlRunner } from './compile.js';

export interface MemoryDuckDb extends SqlRunner {
  readonly connection: DuckDBConnection;
  close(): void;
}

export async function openMemoryDuckDb(): Promise<MemoryDuckDb> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  return {
    connection,
    async query(sql: string): Promise<QueryResult> {
      const reader = await connection.runAndReadAll(sql);
      const names = reader.columnNames();
      const types = reader.columnTypes();
      return {
        columns: names.map((name, i) => ({ name, type: String(types[i]) })),
        rows: reader.getRows() as unknown[][],
      };
    },
    close(): void {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
