/**
 * The ingest baseline: DuckDB's own CSV reader loading the same Zeek conn.log into a typed table, in its own
 * process (argv: database path, log path, memory limit). Reports its usage and the rows on fd 3 (processes.ts).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { reportUsage } from './processes.js';

const [db, log, memoryLimit] = process.argv.slice(2);
if (!db || !log || !memoryLimit) throw new Error('usage: baseline-child DB LOG MEMORY_LIMIT');
const COLUMNS = {
  ts: 'DOUBLE', uid: 'VARCHAR', 'id.orig_h': 'VARCHAR', 'id.orig_p': 'INTEGER', 'id.resp_h': 'VARCHAR', 'id.resp_p': 'INTEGER',
  proto: 'VARCHAR', service: 'VARCHAR', duration: 'DOUBLE', orig_bytes: 'BIGINT', resp_bytes: 'BIGINT', conn_state: 'VARCHAR',
  local_orig: 'VARCHAR', local_resp: 'VARCHAR', missed_bytes: 'BIGINT', history: 'VARCHAR', orig_pkts: 'BIGINT',
  orig_ip_bytes: 'BIGINT', resp_pkts: 'BIGINT', resp_ip_bytes: 'BIGINT', tunnel_parents: 'VARCHAR',
};
const columns = `{${Object.entries(COLUMNS).map(([name, type]) => `'${name}': '${type}'`).join(', ')}}`;
// The same settings as smbwatch's store (memory limit, no insertion order), so the comparison is like for like.
const instance = await DuckDBInstance.create(db, { memory_limit: memoryLimit, preserve_insertion_order: 'false' });
const connection = await instance.connect();
await connection.run(
  `CREATE TABLE conn AS SELECT * FROM read_csv($path, delim = '\t', header = false, comment = '#', quote = '', escape = '', nullstr = '-', auto_detect = false, columns = ${columns})`,
  { path: log },
);
const rows = Number((await connection.runAndReadAll('SELECT count(*) FROM conn')).getRows()[0]![0]);
connection.closeSync();
instance.closeSync();
reportUsage({ records: rows });
