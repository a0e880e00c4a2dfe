/**
 * The demo's store: a DuckDB file that holds exactly one demo data set. A marker table names the data set
 * ingested into it, so a rerun with the same data reuses the store (ingest adds nothing twice), a rerun with
 * other data starts it afresh, and a store that is not the demo's is never touched.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { ASIM_TABLE } from '../asim/schema.js';
import { openDuckDbStore, type DuckDbStore } from '../store/duckdb.js';
import { quoteString } from '../store/sql.js';
import type { DemoManifest } from './manifest.js';

export const DEMO_MARKER_TABLE = 'smbwatch_demo';

export interface DemoStore {
  readonly store: DuckDbStore;
  /** A store left by an earlier run with other data was removed first. */
  readonly replaced: boolean;
}

export async function openDemoStore(path: string, manifest: DemoManifest): Promise<DemoStore> {
  let replaced = false;
  if (existsSync(path)) {
    const store = await openDuckDbStore(path);
    const dataset = await markedDataset(store);
    if (dataset === manifest.dataset) return { store, replaced };
    if (dataset === undefined) {
      const records = await recordCount(store);
      if (records === 0) {
        await mark(store, manifest);
        return { store, replaced };
      }
      await store.close();
      throw new Error(`${path} holds ${records} records that are not the demo's; pass another --db`);
    }
    // The demo's own store, holding other data (another seed or size): start afresh.
    await store.close();
    await rm(path, { force: true });
    await rm(`${path}.wal`, { force: true });
    replaced = true;
  }
  const store = await openDuckDbStore(path);
  await mark(store, manifest);
  return { store, replaced };
}

async function markedDataset(store: DuckDbStore): Promise<string | undefined> {
  const exists = await store.query(
    `SELECT count(*) FROM information_schema.tables WHERE table_name = ${quoteString(DEMO_MARKER_TABLE)}`,
  );
  if (Number(exists.rows[0]![0]) === 0) return undefined;
  const marker = await store.query(`SELECT dataset FROM ${DEMO_MARKER_TABLE} LIMIT 1`);
  return marker.rows.length > 0 ? String(marker.rows[0]![0]) : undefined;
}

export async function recordCount(store: DuckDbStore): Promise<number> {
  const result = await store.query(`SELECT count(*) FROM ${ASIM_TABLE}`);
  return Number(result.rows[0]![0]);
}

/** Marks the store before ingesting, so an interrupted ingest is resumed rather than refused. */
async function mark(store: DuckDbStore, manifest: DemoManifest): Promise<void> {
  await store.query(
    `CREATE TABLE IF NOT EXISTS ${DEMO_MARKER_TABLE} (dataset VARCHAR NOT NULL, seed BIGINT NOT NULL, ` +
      `workstations INTEGER NOT NULL, evaluation_time TIMESTAMP NOT NULL)`,
  );
  await store.query(`DELETE FROM ${DEMO_MARKER_TABLE}`);
  await store.query(
    `INSERT INTO ${DEMO_MARKER_TABLE} VALUES (${quoteString(manifest.dataset)}, ${Math.trunc(manifest.seed)}, ` +
      `${Math.trunc(manifest.workstations)}, make_timestamp(${Math.trunc(manifest.evaluationTimeMicros)}))`,
  );
}
