/**
 * The baseline of the run benchmark: node running the seed rule's hand-written SQL on a DuckDB file and printing the
 * rows, nothing of smbwatch loaded (argv: database path, the instant in epoch microseconds, DuckDB memory limit).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { handDuckDbSql } from './hand-sql.js';
import { reportUsage } from './processes.js';

const [db, now, memoryLimit] = process.argv.slice(2);
if (!db || !now || !memoryLimit) throw new Error('usage: hand-sql-child DB NOW_US MEMORY_LIMIT');
const instance = await DuckDBInstance.create(db, { memory_limit: memoryLimit });
const connection = await instance.connect();
const reader = await connection.runAndReadAll(handDuckDbSql(Number(now), 50));
const rows = reader.getRows();
for (const row of rows) process.stdout.write(`${row.join('\t')}\n`);
connection.closeSync();
instance.closeSync();
reportUsage({ rows: rows.length });
