/**
 * The ingest baseline: DuckDB's own CSV reader loading the same Zeek conn.log into a typed table, in its own
 * process (argv: database path, log path). Prints wall time, rows and peak memory as JSON.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { BENCH_MEMORY_LIMIT } from './ingest-bench.js';

const [db, log] = process.argv.slice(2);
if (!db || !log) throw new Error('usage: baseline-child DB LOG');
const COLUMNS = {
  ts: 'DOUBLE', uid: 'VARCHAR', 'id.orig_h': 'VARCHAR', 'id.orig_p': 'INTEGER', 'id.resp_h': 'VARCHAR', 'id.resp_p': 'INTEGER',
  proto: 'VARCHAR', service: 'VARCHAR', duration: 'DOUBLE', orig_bytes: 'BIGINT', resp_bytes: 'BIGINT', conn_state: 'VARCHAR',
  local_orig: 'VARCHAR', local_resp: 'VARCHAR', missed_bytes: 'BIGINT', history: 'VARCHAR', orig_pkts: 'BIGINT',
  orig_ip_bytes: 'BIGINT', resp_pkts: 'BIGINT', resp_ip_bytes: 'BIGINT', tunnel_parents: 'VARCHAR',
};
const columns = `{${Object.entries(COLUMNS).map(([name, type]) => `'${name}': '${type}'`).join(', ')}}`;
// The same settings as smbwatch's store (memory limit, no insertion order), so the comparison is like for like.
const instance = await DuckDBInstance.create(db, { memory_limit: BENCH_MEMORY_LIMIT, preserve_insertion_order: 'false' });
const connection = await instance.connect();
const started = performance.now();
await connection.run(
  `CREATE TABLE conn AS SELECT * FROM read_csv($path, delim = '\t', header = false, comment = '#', quote = '', escape = '', nullstr = '-', auto_detect = false, columns = ${columns})`,
  { path: log },
);
const seconds = (performance.now() - started) / 1000;
const rows = Number((await connection.runAndReadAll('SELECT count(*) FROM conn')).getRows()[0]![0]);
connection.closeSync();
instance.closeSync();
process.stdout.write(JSON.stringify({ seconds, records: rows, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
