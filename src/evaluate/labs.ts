/**
 * A lab ready to evaluate: its logs generated (or reused) and ingested through smbwatch's ordinary ingest into a
 * DuckDB store of its own. A marker table names the data set in the store, so a rerun with the same lab skips the
 * ingest, and a lab regenerated with other content starts its store afresh.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureLab, labLogsDir, type LabManifest } from '../demo/lab/generate.js';
import type { LabSpec } from '../demo/lab/profile.js';
import { runIngest } from '../ingest/run.js';
import { openDuckDbStore, type DuckDbStore } from '../store/duckdb.js';
import { quoteString } from '../store/sql.js';

const MARKER_TABLE = 'smbwatch_lab';

export interface ReadyLab {
  readonly id: string;
  readonly dir: string;
  readonly manifest: LabManifest;
  readonly store: DuckDbStore;
  readonly generated: boolean;
  readonly ingested: boolean;
  readonly records: number;
  readonly seconds: { readonly generate: number; readonly ingest: number };
}

export function labId(spec: LabSpec): string {
  return `${spec.family}-${spec.seed}-${spec.workstations}-${spec.sensors}`;
}

/** Enough desks for every episode to find its own hosts. */
export const MIN_LAB_WORKSTATIONS = 100;
export const MAX_LAB_WORKSTATIONS = 20_000;
const SENSOR_LAYOUTS = ['zeek', 'zeek-dual', 'endpoint', 'mixed'] as const;

/** A lab id (`dev-7-300-zeek`) as a spec, or why it is not one. */
export function parseLabId(id: string): LabSpec | string {
  const match = /^(dev|holdout)-(\d{1,9})-(\d{1,6})-(zeek|zeek-dual|endpoint|mixed)$/.exec(id);
  if (!match) return `"${id}" is not family-seed-workstations-sensors (e.g. dev-7-300-zeek; sensors ${SENSOR_LAYOUTS.join(', ')})`;
  const workstations = Number(match[3]);
  if (workstations < MIN_LAB_WORKSTATIONS || workstations > MAX_LAB_WORKSTATIONS) {
    return `"${id}": a lab has ${MIN_LAB_WORKSTATIONS} to ${MAX_LAB_WORKSTATIONS} workstations`;
  }
  return { family: match[1] as LabSpec['family'], seed: Number(match[2]), workstations, sensors: match[4] as LabSpec['sensors'] };
}

export interface LabProgress {
  (message: string): void;
}

/** Generates (or reuses) the lab under `workDir` and opens its ingested store; the caller closes the store. */
export async function readyLab(workDir: string, spec: LabSpec, progress: LabProgress = () => undefined): Promise<ReadyLab> {
  const id = labId(spec);
  const dir = join(workDir, id);
  let started = performance.now();
  progress(`${id}: generating (or reusing) the lab`);
  const { manifest, generated } = await ensureLab(dir, spec);
  const generate = (performance.now() - started) / 1000;
  const db = join(dir, 'lab.duckdb');
  started = performance.now();
  let store = existsSync(db) ? await openDuckDbStore(db) : undefined;
  if (store && (await markedDataset(store)) !== manifest.dataset) {
    await store.close();
    await rm(db, { force: true });
    await rm(`${db}.wal`, { force: true });
    store = undefined;
  }
  let ingested = false;
  if (!store) {
    progress(`${id}: ingesting ${manifest.files.reduce((n, f) => n + f.records, 0).toLocaleString('en-US')} log records`);
    store = await openDuckDbStore(db);
    const result = await runIngest(store, [labLogsDir(dir)], { parse: {} });
    const problems = result.outcomes.filter((o) => o.status === 'error' || o.rejects > 0);
    if (result.errors.length > 0 || problems.length > 0) {
      await store.close();
      throw new Error(`${id}: the lab's logs did not ingest cleanly: ${JSON.stringify([...result.errors, ...problems.map((o) => `${o.name}: ${o.status}, ${o.rejects} rejects`)])}`);
    }
    await mark(store, manifest.dataset);
    ingested = true;
  }
  const count = await store.query('SELECT count(*) FROM smbwatch_sessions');
  return {
    id, dir, manifest, store, generated, ingested,
    records: Number(count.rows[0]![0]),
    seconds: { generate, ingest: (performance.now() - started) / 1000 },
  };
}

async function markedDataset(store: DuckDbStore): Promise<string | undefined> {
  const exists = await store.query(`SELECT count(*) FROM information_schema.tables WHERE table_name = ${quoteString(MARKER_TABLE)}`);
  if (Number(exists.rows[0]![0]) === 0) return undefined;
  const rows = await store.query(`SELECT dataset FROM ${MARKER_TABLE} LIMIT 1`);
  return rows.rows.length > 0 ? String(rows.rows[0]![0]) : undefined;
}

async function mark(store: DuckDbStore, dataset: string): Promise<void> {
  await store.query(`CREATE OR REPLACE TABLE ${MARKER_TABLE} (dataset VARCHAR NOT NULL)`);
  await store.query(`INSERT INTO ${MARKER_TABLE} VALUES (${quoteString(dataset)})`);
}
