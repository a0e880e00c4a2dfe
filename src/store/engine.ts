/**
 * The store behind smbwatch: an engine that holds ASIM NetworkSession records, the ledger of ingested inputs,
 * the rejects, the alerts and the cached rule plans. Commands, sources and rules only see this interface, so the
 * DuckDB file (duckdb.ts) and a ClickHouse server or cluster (clickhouse/server-store.ts) stand side by side;
 * which one a `--db` value names is decided in engines.ts.
 */
import type { AsimRecord } from '../asim/record.js';
import type { Dialect } from '../kql/sql/dialect.js';
import type { BulkPlan } from '../sources/types.js';

export type EngineName = 'duckdb' | 'clickhouse';

/** A result set: column names and their SQL type names, and rows of JS values. */
export interface QueryResult {
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  readonly rows: ReadonlyArray<ReadonlyArray<unknown>>;
}

/** Part of a result, as the engine produced it. */
export interface RowBatch {
  readonly count: number;
  /** The rows as plain JS values, built only when asked (counting rows costs nothing). */
  rows(): ReadonlyArray<ReadonlyArray<unknown>>;
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
  /** The line after which this ingest took records (a grown input resumed), 0 when it read from the start. */
  readonly resumedAfterLine?: number;
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

/** What one ingest transaction writes. */
export interface IngestOptions {
  /** The input's name (as its ledger entry will have it): its records are marked as its, to be removable. */
  readonly input?: string;
  /**
   * Read the input again from the start (`ingest --force`, or an input first read as another format): its
   * earlier records, rejects and ledger entries go, in the same transaction, before the new ones come.
   */
  readonly replace?: boolean;
}

/** One input as the ledger holds it: its latest entry, and counts summed over all its ingests. */
export interface InputSummary {
  readonly name: string;
  readonly format: string;
  /** Content size at the latest ingest. */
  readonly size: number;
  readonly records: number;
  readonly rejects: number;
  readonly ignored: number;
  /** How many times new content of it was ingested (a growing log: once per increment). */
  readonly ingests: number;
  readonly firstIngestedAt: Date;
  readonly lastIngestedAt: Date;
  /** TimeGenerated range of its records, microseconds (absent when it has none, or they are not marked). */
  readonly firstRecordMicros?: number;
  readonly lastRecordMicros?: number;
  /**
   * False when its records were stored before records carried their input (an older smbwatch): they cannot be
   * told apart from others', so the input can be neither replaced nor removed.
   */
  readonly removable: boolean;
}

/** What removing an input took away. */
export interface RemovedInput {
  readonly name: string;
  readonly records: number;
  readonly rejects: number;
}

/** An input that cannot be replaced or removed (see InputSummary.removable). */
export class InputNotRemovableError extends Error {
  constructor(readonly input: string) {
    super(`${input}: its records were stored by an older smbwatch that did not mark records with their input, so they cannot be removed or replaced; ingest into a new store instead`);
    this.name = 'InputNotRemovableError';
  }
}

/** One input's ingest, applied all at once by `commit` or not at all. */
export interface IngestTransaction {
  appendRecords(records: readonly AsimRecord[]): Promise<void>;
  /**
   * Optional: reads a whole delimited file with the engine's own reader, mapped by the plan, and returns the
   * records added. Throws when any value does not fit; the transaction is then unusable and must be rolled back.
   * In a group the engine may defer the read to the group's commit, returning the records the plan counted; a value
   * that does not fit then fails the group's commit (the group is aborted).
   */
  appendBulk?(plan: BulkPlan, file: { path: string; gzip: boolean }): Promise<number>;
  appendRejects(rejects: readonly RejectRow[]): Promise<void>;
  commit(entry: LedgerEntry): Promise<void>;
  rollback(): Promise<void>;
}

/**
 * Inputs applied by one commit. A commit has a fixed cost (the log write, a checkpoint now and then) that dominated
 * the ingest of many small files; a group pays it once for many. Each input stays all or nothing (the group is), and
 * its ledger row commits with its records. Only inputs whose records one statement appends (a bulk read, checked
 * for duplicates before it runs) join a group: a failed statement ends the whole group, whose inputs the caller then
 * ingests again one by one (GroupAbortedError).
 */
export interface IngestGroup {
  /**
   * Line-reader inputs join the group too (a ClickHouse server store: one INSERT per input made one MergeTree part
   * per input on every shard; in a group, many inputs' rows share each INSERT). Without it a line-reader input
   * commits the group first and runs in a transaction of its own.
   */
  readonly takesLineInputs?: boolean;
  /** A transaction for one input inside the group: its commit() stages the ledger row; the group commits it. */
  begin(options?: IngestOptions): Promise<IngestTransaction>;
  /** Records staged since the group last committed. */
  readonly staged: number;
  /** True when a statement failed: the group can only be rolled back. */
  readonly aborted: boolean;
  /**
   * Commits what is staged (nothing to do when nothing is); the group goes on. Deferred reads run first: a value
   * that does not fit throws with `aborted` set (roll back, read the staged inputs again alone), a full disk throws
   * (nothing staged was stored).
   */
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/** One alert as the alert table holds it: the fields it is searched by, and the whole alert as JSON. */
export interface AlertRow {
  readonly alertId: string;
  readonly ruleId: string;
  readonly ruleVersion: string;
  readonly ruleName: string;
  readonly severity: string;
  readonly displayName: string;
  /** The run's look-back window, microseconds since the epoch. */
  readonly queryStart: number;
  readonly queryEnd: number;
  readonly json: string;
}

export interface AlertQuery {
  /** Only alerts whose run time (query end, microseconds) is at or after this. */
  readonly sinceMicros?: number;
  readonly ruleId?: string;
}

/** Alerts are stored once by id: storing an id already present adds nothing. */
export interface AlertTable {
  /** Stores the rows whose ids are not stored yet; returns the ids that were new. */
  insertNew(rows: readonly AlertRow[]): Promise<Set<string>>;
  /** The alerts' JSON, ordered by run time, display name, id. */
  list(query: AlertQuery): Promise<string[]>;
  /** The latest query end (microseconds) before `beforeMicros` of this rule's stored alerts. */
  lastQueryEnd(ruleId: string, beforeMicros: number): Promise<number | undefined>;
  /** Deletes these alerts; returns how many there were. Optional: without it `smbwatch alerts rm` is refused. */
  remove?(alertIds: readonly string[]): Promise<number>;
}

/** Compiled rule plans (rules/cache/), by key. */
export interface PlanTable {
  get(key: string): Promise<string | undefined>;
  /** Stores a plan (a key already present is kept) and drops plans of other compiler fingerprints. */
  put(key: string, fingerprint: string, templateJson: string): Promise<void>;
}

/** An alert queued for a sink (the outbox, src/alerts/sinks/outbox.ts). */
export interface OutboxRow {
  readonly sink: string;
  readonly alertId: string;
  readonly alertJson: string;
  readonly state: 'pending' | 'parked';
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lastError: string;
}

/** What became of one attempt to deliver a queued alert. */
export type OutboxChange =
  | { readonly kind: 'retry'; readonly attempts: number; readonly nextAttemptAt: Date; readonly error: string }
  | { readonly kind: 'parked'; readonly attempts: number; readonly error: string }
  | { readonly kind: 'delivered'; readonly attempts: number; readonly at: Date };

/**
 * The watcher's schedule and outbox kept a store's own way. DuckDB has none (schedule.ts and outbox.ts write its
 * SQL, in transactions); a ClickHouse server, without transactions or UPDATE, keeps them as append-only events
 * whose every write may be repeated after a crash (clickhouse/server-watch.ts).
 */
export interface WatchTables {
  lastRun(key: string): Promise<Date | undefined>;
  recordRun(key: string, ruleId: string, at: Date, now: Date): Promise<void>;
  /** Queues each alert for each sink that has it neither queued nor delivered. */
  enqueue(alerts: ReadonlyArray<{ readonly alertId: string; readonly json: string }>, sinks: readonly string[], now: Date): Promise<void>;
  /** Queued alerts in the order they were queued. */
  outbox(filter: { readonly sink?: string; readonly state?: 'pending' | 'parked'; readonly dueBy?: Date }): Promise<OutboxRow[]>;
  deliveries(sink?: string): Promise<Array<{ sink: string; alertId: string; attempts: number; deliveredAt: Date }>>;
  /** Parked alerts pending again, due now; returns how many. */
  requeueParked(now: Date): Promise<number>;
  change(sink: string, alertId: string, change: OutboxChange): Promise<void>;
}

/** What `smbwatch status` shows. */
export interface StoreSummary {
  readonly records: number;
  /** TimeGenerated range, microseconds (absent without records). */
  readonly firstMicros?: number;
  readonly lastMicros?: number;
  /** Per source: its records and their TimeGenerated range (microseconds). */
  readonly products: ReadonlyArray<{ vendor: string; product: string; eventType: string; records: number; firstMicros: number; lastMicros: number }>;
  readonly inputs: number;
  readonly rejects: number;
}

/** What `smbwatch rejects` says before listing: how many, and how many of each kind. */
export interface RejectSummary {
  readonly total: number;
  readonly inputs: number;
  /** One entry per format, field and reason with its values blanked (REJECT_REASON_VALUES), most frequent first. */
  readonly reasons: ReadonlyArray<{ readonly format: string; readonly field: string; readonly reason: string; readonly count: number }>;
}

/**
 * A reject's reason quotes the value that failed (`SrcPortNumber: "x1" is not an int (32-bit)`); the summary
 * counts reasons with their values replaced by … so that one kind of mistake is one line. RE2 patterns (DuckDB's
 * and ClickHouse's regular expressions), each replaced by `replacement` (`\1` is the pattern's group): a JSON
 * string (possibly cut with … by the reason), and a number after "field: ".
 */
export const REJECT_REASON_VALUES: ReadonlyArray<{ readonly pattern: string; readonly replacement: string }> = [
  { pattern: '"(?:[^"\\\\]|\\\\.)*(?:"|…)', replacement: '…' },
  { pattern: '(: )-?[0-9][0-9.eE+-]*', replacement: '\\1…' },
];

export interface RejectQuery {
  /** Only rejects of inputs whose name contains this text. */
  readonly inputContains?: string;
  /** At most this many (0: all). */
  readonly limit: number;
}

/** A column of a summary table, typed as Kusto types it. */
export interface SummaryColumn {
  readonly name: string;
  readonly type: 'string' | 'int' | 'long' | 'real' | 'bool' | 'datetime' | 'dynamic';
}

/**
 * Tables beside the ASIM table that rules read: the results of Sentinel summary rules (`NetworkSummary_*_CL`,
 * src/summaries/), written by `smbwatch watch` (or `smbwatch summarize`) and read by KQL like any table.
 */
export interface SummaryTables {
  /** The names of the `*_CL` tables the store holds. */
  names(): Promise<string[]>;
  /**
   * Replaces the rows of `table` whose TimeGenerated lies in [fromMicros, toMicros) by the rows `selectSql` yields
   * (a query in the store's engine with `columns`, in order), creating the table first. All or nothing; returns
   * the number of rows written.
   */
  replaceBin(table: string, columns: readonly SummaryColumn[], fromMicros: number, toMicros: number, selectSql: string): Promise<number>;
}

export interface Store {
  readonly engine: EngineName;
  /** Where the data lives (a file path, or a server address without its password): safe to print. */
  readonly location: string;
  /** The KQL dialect of the store's own engine (for a server: of its version). */
  readonly dialect: Dialect;
  /** Runs SQL in the store's engine (KQL's compiled queries read the ASIM table `ASimNetworkSessionLogs`). */
  query(sql: string): Promise<QueryResult>;
  /**
   * The rows of a query in batches as the engine produces them, so that a large result (`smbwatch query` of a whole
   * table) is never in memory at once. Optional: `resultBatches` falls back to `query`.
   */
  queryBatches?(sql: string): AsyncIterable<RowBatch>;
  beginIngest(options?: IngestOptions): Promise<IngestTransaction>;
  /** The store's engine reads delimited files itself: its transactions implement appendBulk. */
  readonly bulkReads?: boolean;
  /** Optional: a group in which many bulk inputs commit at once (see IngestGroup). */
  beginIngestGroup?(): Promise<IngestGroup>;
  /** The latest ledger entry for an input name, if it was ever ingested. */
  lastLedgerEntry(name: string): Promise<LedgerEntry | undefined>;
  /** A ledger entry whose consumed content has this hash (the same content ingested under any name). */
  ledgerEntryByHash(contentHash: string): Promise<LedgerEntry | undefined>;
  /** The latest entry of each input whose content began with these bytes, longest content first. */
  ledgerEntriesByHeadHash(headHash: string): Promise<LedgerEntry[]>;
  readonly alerts: AlertTable;
  readonly plans: PlanTable;
  /** The watcher's schedule and outbox, on a store that keeps them its own way (see WatchTables). */
  readonly watchTables?: WatchTables;
  /** Summary rule results; absent on a store that cannot hold them (rules then see no summary table). */
  readonly summaries?: SummaryTables;
  summary(): Promise<StoreSummary>;
  /**
   * The inputs the ledger holds, by name. Optional, with `removeInputs`: a store that has `removeInputs` also
   * honours `IngestOptions.replace`; one without refuses `smbwatch inputs rm` and `ingest --force` with a message.
   */
  inputs?(): Promise<InputSummary[]>;
  /** Removes these inputs with their records, rejects and ledger entries, all in one transaction. */
  removeInputs?(names: readonly string[]): Promise<RemovedInput[]>;
  /**
   * Optional, for stores one process holds at a time (DuckDB): when other smbwatch processes wait for the store,
   * let go of it until they are done, then take it back; returns the commands let in. Long work (a watch
   * catch-up, a long ingest) calls it between steps, never inside a transaction.
   */
  letOthersIn?(signal?: AbortSignal): Promise<string[]>;
  /** Kept rejects, ordered by input and line. */
  rejects(query: RejectQuery): Promise<RejectRow[]>;
  /** The count of kept rejects (of the inputs `inputContains` names), and of each kind of reason. */
  rejectSummary(query: Omit<RejectQuery, 'limit'>): Promise<RejectSummary>;
  close(): Promise<void>;
}
