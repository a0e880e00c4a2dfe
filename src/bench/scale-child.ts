/**
 * The scale benchmark's generators, each in its own process (so the benchmark's own process holds no DuckDB memory):
 *   zeek DIR N              hour by hour, N records' conn.log files, gzipped, in Zeek's archive layout
 *   fill DB N MEMORY_LIMIT  the same records straight into a store, day by day, through the Zeek bulk mapping
 * Reports its usage on fd 3 (processes.ts), with the bytes written.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { openDuckDbStore } from '../store/duckdb.js';
import { reportUsage } from './processes.js';
import { copyHourSql, firstRecordOfHour, hourFileName, SCALE_DAYS, SCALE_HOURS, SCALE_START_US, scaleBulkPlan, zeekRecordsSql } from './scale-traffic.js';

const DAY_US = 86_400_000_000;
const [mode, target, total, memoryLimit] = process.argv.slice(2);
if (!target || !total) throw new Error('usage: scale-child zeek DIR N | fill DB N MEMORY_LIMIT');
const records = Number(total);

async function writeZeekLogs(dir: string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:', { memory_limit: '2GB', preserve_insertion_order: 'true' });
  let next = 0;
  let bytes = 0;
  // Two writers: each COPY compresses on one thread.
  const worker = async (): Promise<void> => {
    const connection = await instance.connect();
    for (let hour = next++; hour < SCALE_HOURS; hour = next++) {
      const path = join(dir, hourFileName(hour));
      mkdirSync(dirname(path), { recursive: true });
      await connection.run(copyHourSql(records, hour, path));
      bytes += statSync(path).size;
      if (hour % 24 === 23) process.stderr.write(`scale: Zeek logs of day ${(hour + 1) / 24} of ${SCALE_DAYS} written\n`);
    }
    connection.closeSync();
  };
  await Promise.all([worker(), worker()]);
  instance.closeSync();
  return bytes;
}

async function fillStore(db: string): Promise<number> {
  const store = await openDuckDbStore(db, { memoryLimit: memoryLimit ?? '2GB' });
  try {
    const plan = await scaleBulkPlan();
    for (let day = 0; day < SCALE_DAYS; day++) {
      const from = firstRecordOfHour(records, day * 24);
      const to = firstRecordOfHour(records, (day + 1) * 24);
      const source = `(${zeekRecordsSql(records, from, to, SCALE_START_US + day * DAY_US, SCALE_START_US + (day + 1) * DAY_US)})`;
      await store.appendMapped(plan, source);
      process.stderr.write(`scale: day ${day + 1} of ${SCALE_DAYS} in the store\n`);
    }
  } finally {
    await store.close();
  }
  return statSync(db).size;
}

const bytes = mode === 'zeek' ? await writeZeekLogs(target) : mode === 'fill' ? await fillStore(target) : undefined;
if (bytes === undefined) throw new Error(`scale-child: unknown mode ${mode}`);
reportUsage({ bytes });
