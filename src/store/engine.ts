/**
 * The store behind smbwatch: an engine that holds ASIM NetworkSession records, the ledger of ingested inputs
 * and the rejects. Sources and rules only see this interface, so a ClickHouse store can stand beside DuckDB.
 */
import type { AsimRecord } from '../asim/record.js';
import type { BulkPlan } from '../sources/types.js';

export type EngineName = 'duckdb' | 'clickhouse';

/** A result set: column names and their SQL type names, and rows of JS values. */
export interface QueryResult {
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  readonly rows: ReadonlyArray<ReadonlyArray<unknown>>;
}

/** What the ledger remembers of one ingest of one input. */
export interface LedgerEntry {
  readonly name: string;
  readonly format: string;
  /** Size in bytes of the input's (decompressed) content when it was read. */
  readonly size: number;
  /** Bytes of content consumed: resuming a grown file starts here. */
  readonly offsetReached: number;
  /** Line number reached at `offsetReached`. */
  readonly lineReached: number;
  /** SHA-256 (hex) of content bytes [0, offsetReached). */
  readonly contentHash: string;
  /**
   * SHA-256 (hex) of the first HEAD_BYTES of content, when at least that much was read: finds earlier inputs a
   * new one continues (a rotated copy of a live log that was partly ingested under its old name).
   */
  readonly headHash?: string;
  readonly records: number;
  readonly rejects: number;
  readonly ignored: number;
  readonly ingestedAt: Date;
}

export interface RejectRow {
  readonly input: string;
  readonly line: number;
  readonly format: string;
  readonly field: string;
  readonly reason: string;
  readonly raw: string;
}

/** How many leading bytes `headHash` covers. */
export const HEAD_BYTES = 4096;

/** One input's ingest, applied all at once by `commit` or not at all. */
export interface IngestTransaction {
  appendRecords(records: readonly AsimRecord[]): Promise<void>;
  /**
   * Optional: reads a whole delimited file with the engine's own reader, mapped by the plan, and returns the
   * records added. Throws when any value does not fit; the transaction is then unusable and must be rolled back.
   */
  appendBulk?(plan: BulkPlan, file: { path: string; gzip: boolean }): Promise<number>;
  appendRejects(rejects: readonly RejectRow[]): Promise<void>;
  commit(entry: LedgerEntry): Promise<void>;
  rollback(): Promise<void>;
}

export interface Store {
  readonly engine: EngineName;
  /** Where the data lives (a file path, or a server address). */
  readonly location: string;
  query(sql: string): Promise<QueryResult>;
  beginIngest(): Promise<IngestTransaction>;
  /** The latest ledger entry for an input name, if it was ever ingested. */
  lastLedgerEntry(name: string): Promise<LedgerEntry | undefined>;
  /** A ledger entry whose consumed content has this hash (the same content ingested under any name). */
  ledgerEntryByHash(contentHash: string): Promise<LedgerEntry | undefined>;
  /** The latest entry of each input whose content began with these bytes, longest content first. */
  ledgerEntriesByHeadHash(headHash: string): Promise<LedgerEntry[]>;
  close(): Promise<void>;
}
