/**
 * The engines smbwatch runs on, in one place: which store a `--db` value names (a DuckDB file, or a ClickHouse
 * server or cluster by URL), how it is opened, and which SQL engine runs KQL over it (`--engine`: the store's
 * own, or embedded ClickHouse (chdb) over a copy of a DuckDB store's records).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DIALECTS, type SqlRunner } from '../kql/compile.js';
import type { Dialect } from '../kql/sql/dialect.js';
import { ChdbEngine } from './chdb.js';
import { diskFullMessage, isDiskFull } from './disk-full.js';
import { ClickHouseUrlError, isClickHouseUrl, parseClickHouseUrl, type ClickHouseAddress } from './clickhouse/url.js';
import { ClickHouseStoreError, openClickHouseStore } from './clickhouse/server-store.js';
import { openDuckDbStore, DuckDbStore } from './duckdb.js';
import { StoreBusyError } from './duckdb-lock.js';
import type { EngineName, Store } from './engine.js';
import { SUMMARY_FIELDS, SUMMARY_TABLES } from '../summaries/tables.js';

export const DEFAULT_DB = './smbwatch.duckdb';

export type StoreAddress =
  | { readonly engine: 'duckdb'; readonly path: string }
  | { readonly engine: 'clickhouse'; readonly server: ClickHouseAddress };

/** A store that cannot be opened as asked (missing, unreachable): a message for the user. */
export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/** The store named by --db, else $SMBWATCH_DB, else ./smbwatch.duckdb. */
export function storeAddress(given: string | undefined): StoreAddress {
  const text = given ?? process.env.SMBWATCH_DB ?? DEFAULT_DB;
  if (isClickHouseUrl(text)) return { engine: 'clickhouse', server: parseClickHouseUrl(text) };
  return { engine: 'duckdb', path: resolve(text) };
}

/** The address as it may be printed (a URL never with its password). */
export function addressText(address: StoreAddress): string {
  return address.engine === 'duckdb' ? address.path : address.server.display;
}

export interface OpenStoreOptions {
  /** Create the store when it does not exist (ingest); otherwise a missing store is a StoreUnavailableError. */
  readonly create?: boolean;
  /** DuckDB's memory limit (e.g. '1GB'). */
  readonly memoryLimit?: string;
  /** Read only (explain, report, ui): a DuckDB file is opened read-only, so other readers may share it. */
  readonly readOnly?: boolean;
}

/** Whether the store exists: a DuckDB file on disk; a server store is checked when it is opened. */
export function storeMayExist(address: StoreAddress): boolean {
  return address.engine === 'clickhouse' || existsSync(address.path);
}

export async function openStore(address: StoreAddress, options: OpenStoreOptions = {}): Promise<Store> {
  if (address.engine === 'clickhouse') return openClickHouseStore(address.server, { create: options.create === true });
  if (!options.create && !existsSync(address.path)) {
    throw new StoreUnavailableError(`no store at ${address.path} (ingest logs first with \`smbwatch ingest\`, or give --db)`);
  }
  try {
    return await openDuckDbStore(address.path, {
      ...(options.memoryLimit ? { memoryLimit: options.memoryLimit } : {}),
      ...(options.readOnly ? { readOnly: true } : {}),
    });
  } catch (error) {
    // Opening writes (the journal of the last command is folded into the file, tables are created): a full disk fails it.
    if (isDiskFull(error)) throw new StoreUnavailableError(diskFullMessage(address.path, error as Error, 'it cannot be opened, and holds what the last completed command left'));
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Query engines

export const QUERY_ENGINES = ['duckdb', 'clickhouse'] as const;
export type QueryEngine = (typeof QUERY_ENGINES)[number];

/**
 * Runs `body` with a SQL engine over the store's records: the store itself (its own engine, the default), or
 * chdb loaded from a Parquet copy of a DuckDB store's ASIM table (`--engine clickhouse` on a DuckDB store).
 */
export async function withQueryEngine<T>(
  store: Store,
  engine: QueryEngine | undefined,
  body: (sql: SqlRunner, dialect: Dialect) => Promise<T>,
): Promise<T> {
  if (engine === undefined || engine === store.engine) return body(store, store.dialect);
  if (!(store instanceof DuckDbStore) || engine !== 'clickhouse') {
    throw new StoreUnavailableError(`--engine ${engine}: the store ${store.location} is ${store.engine}; --engine only moves a DuckDB store's records to embedded ClickHouse`);
  }
  return withChdb(async (chdb) => {
    await loadFromDuckDb(chdb, store);
    return body(chdb, DIALECTS.clickhouse);
  });
}

/** An embedded ClickHouse session for the body's duration, with a scratch directory. */
export async function withChdb<T>(body: (chdb: ChdbEngine, scratch: string) => Promise<T>): Promise<T> {
  const scratch = mkdtempSync(join(tmpdir(), 'smbwatch-chdb-'));
  const chdb = ChdbEngine.open();
  try {
    return await body(chdb, scratch);
  } finally {
    chdb.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Loads a DuckDB store's ASIM table into chdb through a Parquet file written by DuckDB, and its summary tables
 * (those smbwatch writes, with their declared columns), so that rules reading them see the same rows.
 */
async function loadFromDuckDb(chdb: ChdbEngine, store: DuckDbStore): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'smbwatch-parquet-'));
  try {
    const parquet = join(scratch, 'asim.parquet');
    await store.exportAsimParquet(parquet);
    await chdb.loadAsimParquet(parquet);
    for (const name of await store.summaries.names()) {
      const declared = SUMMARY_TABLES.get(name);
      if (!declared) continue;
      const file = join(scratch, `${name}.parquet`);
      await store.exportTableParquet(name, file);
      await chdb.loadTableParquet(name, [...declared, ...SUMMARY_FIELDS], file);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Errors that are a store's answer to the user (missing, unreachable, a bad URL, a shard down), not a bug. */
export function isStoreError(error: unknown): error is Error {
  return error instanceof StoreBusyError || error instanceof StoreUnavailableError || error instanceof ClickHouseStoreError || error instanceof ClickHouseUrlError;
}

/** The exit status of a store error: 2 for a malformed --db (the command line is wrong), else 1. */
export function storeErrorStatus(error: Error): number {
  return error instanceof ClickHouseUrlError ? 2 : 1;
}
