/**
 * The store on a ClickHouse server or cluster (HTTP, the official `@clickhouse/client`).
 *
 * Tables, in the URL's database:
 *   - `smbwatch_sessions`: the records, every ASIM column plus `_batch` (the ingest that wrote the row). With
 *     `?cluster=NAME` it is a `Distributed` table over `smbwatch_sessions_local` on every shard (created on each
 *     shard's own HTTP endpoint: ON CLUSTER DDL would need ZooKeeper), rows spread at random;
 *   - `ASimNetworkSessionLogs`: a view of the committed rows only (see below) — what KQL reads;
 *   - `smbwatch_inputs` (the ledger), `smbwatch_rejects`, `smbwatch_alerts`, `smbwatch_plans` on the URL's server.
 *
 * Guarantees without transactions (docs/clickhouse.md):
 *   - visibility: an ingest writes its rows under a fresh batch id, and its ledger row — one INSERT, atomic — last.
 *     The view shows rows whose batch has a ledger row, so an ingest killed at any point leaves nothing visible,
 *     and the next ingest of the input (the ledger does not know it) does it again;
 *   - dedup: the ledger says what was read, so the same content adds nothing; two processes racing on the same
 *     content both commit, and the view keeps only the first batch per (content hash, resume point);
 *   - alerts once by id: only ids not stored are inserted, and reads keep one row per id.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { randomBytes } from 'node:crypto';
import { ASIM_COLUMNS, ASIM_TABLE, type AsimType } from '../../asim/schema.js';
import type { AsimRecord } from '../../asim/record.js';
import { CLICKHOUSE_SETTINGS } from '../../kql/sql/clickhouse.js';
import { extendDialect, type Dialect } from '../../kql/sql/dialect.js';
import {
  REJECT_REASON_VALUES,
  type AlertQuery, type AlertRow, type AlertTable, type IngestGroup, type IngestTransaction, type LedgerEntry, type PlanTable, type QueryResult,
  type RejectQuery, type RejectRow, type RejectSummary, type Store, type StoreSummary, type WatchTables,
} from '../engine.js';
import { capabilitiesOf, type ClickHouseCapabilities } from './capabilities.js';
import { ledgerEntryOf } from '../ledger-row.js';
import type { ClickHouseAddress } from './url.js';
import { ServerWatchTables } from './server-watch.js';
import { ident, literal } from './sql-text.js';

export const SESSIONS = 'smbwatch_sessions';
export const SESSIONS_LOCAL = 'smbwatch_sessions_local';
export const LEDGER = 'smbwatch_inputs';
export const REJECTS = 'smbwatch_rejects';
export const ALERTS = 'smbwatch_alerts';
export const PLANS = 'smbwatch_plans';

/**
 * Rows per INSERT. Each INSERT makes one MergeTree part on every shard, some 600 files for the 172 ASIM columns on
 * an 18.16 server (no compact parts there): few large inserts keep the server's merges and file counts sane.
 */
const INSERT_ROWS = 64 * 1024;
const MAX_RAW_CHARS = 4096;

/** A user-facing failure of the server store (unreachable server or shard, missing store). */
export class ClickHouseStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClickHouseStoreError';
  }
}

export { ident, literal };

/** The column type of an ASIM type on this server: strings are never null, other values Nullable. */
export function columnType(type: AsimType, caps: ClickHouseCapabilities): string {
  switch (type) {
    case 'string':
      return 'String';
    case 'int':
      return 'Nullable(Int32)';
    case 'long':
      return 'Nullable(Int64)';
    case 'real':
      return 'Nullable(Float64)';
    case 'bool':
      return caps.boolType ? 'Nullable(Bool)' : 'Nullable(UInt8)';
    case 'datetime':
      return caps.dateTime64 ? "Nullable(DateTime64(6, 'UTC'))" : 'Nullable(Int64)';
    case 'dynamic':
      return 'Nullable(String)';
  }
}

/** A datetime column as microseconds since the epoch. */
function microsOf(column: string, caps: ClickHouseCapabilities): string {
  return caps.dateTime64 ? `toUnixTimestamp64Micro(${column})` : column;
}

interface Shard {
  readonly number: number;
  readonly endpoint: string;
  readonly client: ClickHouseClient;
}

function connect(url: string, address: ClickHouseAddress, database?: string): ClickHouseClient {
  return createClient({
    url,
    username: address.username,
    password: address.password,
    ...(database ? { database } : {}),
    request_timeout: 10 * 60_000,
    log: { level: 127 as never }, // silent: errors are reported by smbwatch, never with credentials
  });
}

/** The server's message, without the client's stack or the request (which never holds the password anyway). */
function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/, e\.what\(\) = DB::Exception.*$/s, '').replace(/\s*\(version [^)]*\)\s*$/, '').trim();
}

export interface OpenOptions {
  /** Create the database and tables when missing (ingest); otherwise a missing store is an error. */
  readonly create: boolean;
}

export async function openClickHouseStore(address: ClickHouseAddress, options: OpenOptions): Promise<ClickHouseServerStore> {
  const endpoint = `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  const client = connect(endpoint, address);
  let version: string;
  try {
    const result = await client.query({ query: 'SELECT version()', format: 'JSONCompact' });
    version = String(((await result.json()) as { data: unknown[][] }).data[0]?.[0]);
  } catch (error) {
    await client.close();
    throw new ClickHouseStoreError(`cannot reach the ClickHouse server ${address.display}: ${messageOf(error)}`);
  }
  const caps = capabilitiesOf(version);
  // Queries name the database's tables unqualified (KQL reads `ASimNetworkSessionLogs`): once the database exists,
  // a second client makes it the default.
  let store = new ClickHouseServerStore(client, address, caps);
  try {
    await store.initialise(options.create);
    await store.close();
    store = new ClickHouseServerStore(connect(endpoint, address, address.database), address, caps);
    await store.initialise(false);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

export class ClickHouseServerStore implements Store {
  readonly engine = 'clickhouse' as const;
  readonly location: string;
  readonly dialect: Dialect;
  readonly alerts: AlertTable;
  readonly plans: PlanTable;
  readonly watchTables: WatchTables;
  private shards: Shard[] = [];
  private settings: Record<string, string | number> = {};

  constructor(
    private readonly client: ClickHouseClient,
    private readonly address: ClickHouseAddress,
    readonly capabilities: ClickHouseCapabilities,
  ) {
    this.location = address.display;
    // KQL reads the records straight from the sessions table (committed ingests only), not through the view: a
    // view is a subquery, and ClickHouse runs only a Distributed table's own SELECT level on the shards — through
    // the view, every row would travel to this server to be filtered and aggregated here.
    this.dialect = extendDialect(capabilities.dialect, {
      tableSource: (table) => (table === ASIM_TABLE ? { from: this.table(SESSIONS), where: this.visible('_batch') } : undefined),
    });
    this.alerts = new ServerAlertTable(this);
    this.plans = new ServerPlanTable(this);
    this.watchTables = new ServerWatchTables(this);
  }

  private get db(): string {
    return ident(this.address.database);
  }

  /** `db`.`name`. */
  table(name: string): string {
    return `${this.db}.${ident(name)}`;
  }

  async initialise(create: boolean): Promise<void> {
    this.settings = await this.supportedSettings();
    if (this.address.cluster) this.shards = await this.discoverShards(this.address.cluster);
    const exists = await this.rows(`SELECT count() FROM system.tables WHERE database = ${literal(this.address.database)} AND name = ${literal(LEDGER)}`);
    if (Number(exists[0]?.[0] ?? 0) > 0 && !create) return;
    if (!create) throw new ClickHouseStoreError(`no smbwatch store in ${this.address.display} (ingest logs into it first with \`smbwatch ingest --db ...\`)`);
    await this.createTables();
  }

  /** The settings compiled KQL relies on that this server knows (18.16 lacks some and rejects unknown ones). */
  private async supportedSettings(): Promise<Record<string, string | number>> {
    // In a cluster: IN/JOIN over the Distributed table become GLOBAL, and an INSERT returns once the shards hold it.
    const cluster: Record<string, string | number> = this.address.cluster ? { distributed_product_mode: 'global', insert_distributed_sync: 1 } : {};
    const wanted: Record<string, string | number> = { ...CLICKHOUSE_SETTINGS, ...cluster };
    const names = Object.keys(wanted).map(literal).join(', ');
    const known = new Set((await this.rows(`SELECT name FROM system.settings WHERE name IN (${names})`)).map((row) => String(row[0])));
    return Object.fromEntries(Object.entries(wanted).filter(([name]) => known.has(name)));
  }

  private async discoverShards(cluster: string): Promise<Shard[]> {
    const rows = await this.rows(
      `SELECT shard_num, host_address FROM system.clusters WHERE cluster = ${literal(cluster)} AND replica_num = 1 ORDER BY shard_num`,
    );
    if (rows.length === 0) {
      throw new ClickHouseStoreError(`${this.address.display}: the server has no cluster named ${cluster} (see its remote_servers configuration)`);
    }
    return rows.map(([number, host]) => {
      const h = String(host);
      const endpoint = `http://${h.includes(':') ? `[${h}]` : h}:${this.address.port}`;
      return { number: Number(number), endpoint, client: connect(endpoint, this.address) };
    });
  }

  private sessionColumns(): string {
    return [`\`_batch\` UInt64`, ...ASIM_COLUMNS.map((c) => `${ident(c.name)} ${columnType(c.type, this.capabilities)}`)].join(', ');
  }

  private async createTables(): Promise<void> {
    const mergeTree = 'ENGINE = MergeTree() ORDER BY _batch';
    if (this.address.cluster) {
      for (const shard of this.shards) {
        await this.onShard(shard, `CREATE DATABASE IF NOT EXISTS ${this.db}`);
        await this.onShard(shard, `CREATE TABLE IF NOT EXISTS ${this.table(SESSIONS_LOCAL)} (${this.sessionColumns()}) ${mergeTree}`);
      }
      await this.exec(
        `CREATE TABLE IF NOT EXISTS ${this.table(SESSIONS)} AS ${this.table(SESSIONS_LOCAL)} ` +
          `ENGINE = Distributed(${ident(this.address.cluster)}, ${this.db}, ${ident(SESSIONS_LOCAL)}, rand())`,
      );
    } else {
      await this.exec(`CREATE DATABASE IF NOT EXISTS ${this.db}`);
      await this.exec(`CREATE TABLE IF NOT EXISTS ${this.table(SESSIONS)} (${this.sessionColumns()}) ${mergeTree}`);
    }
    await this.exec(
      `CREATE TABLE IF NOT EXISTS ${this.table(LEDGER)} (batch UInt64, name String, format String, size Int64, offset_reached Int64, ` +
        `line_reached Int64, content_hash String, head_hash String, resumed_after_line Int64, records Int64, rejects Int64, ignored Int64, ` +
        `ingested_at Int64) ENGINE = MergeTree() ORDER BY (name, ingested_at)`,
    );
    await this.exec(
      `CREATE TABLE IF NOT EXISTS ${this.table(REJECTS)} (batch UInt64, input String, line Int64, format String, field String, reason String, ` +
        `raw String, rejected_at Int64) ENGINE = MergeTree() ORDER BY (input, line)`,
    );
    await this.exec(
      `CREATE TABLE IF NOT EXISTS ${this.table(ALERTS)} (alert_id String, rule_id String, rule_version String, rule_name String, ` +
        `severity String, display_name String, query_start Int64, query_end Int64, alert_json String, stored_at Int64) ` +
        `ENGINE = ReplacingMergeTree() ORDER BY alert_id`,
    );
    await this.exec(
      `CREATE TABLE IF NOT EXISTS ${this.table(PLANS)} (plan_key String, fingerprint String, created_at Int64, template_json String) ` +
        `ENGINE = ReplacingMergeTree() ORDER BY plan_key`,
    );
    const columns = ASIM_COLUMNS.map((c) => ident(c.name)).join(', ');
    await this.exec(`DROP TABLE IF EXISTS ${this.table(ASIM_TABLE)}`);
    await this.exec(`CREATE VIEW ${this.table(ASIM_TABLE)} AS SELECT ${columns} FROM ${this.table(SESSIONS)} WHERE ${this.visible('_batch')}`);
  }

  /**
   * `batch` belongs to a committed ingest, and is the first of those that read the same content from the same
   * point (two processes racing on one input). Evaluated on the server the query came to; GLOBAL sends the set
   * to the shards.
   */
  visible(batch: string): string {
    const global = this.address.cluster ? 'GLOBAL ' : '';
    return `${batch} ${global}IN (SELECT min(batch) FROM ${this.table(LEDGER)} GROUP BY content_hash, resumed_after_line)`;
  }

  // ------------------------------------------------------------------ running SQL

  async query(sql: string): Promise<QueryResult> {
    // A statement without a result (INSERT … SELECT, DDL) goes as a command: a query gets a FORMAT clause appended.
    if (/^\s*(?:INSERT|CREATE|DROP|ALTER|TRUNCATE|RENAME|OPTIMIZE)\b/i.test(sql)) {
      await this.exec(sql);
      return { columns: [], rows: [] };
    }
    try {
      const result = await this.client.query({ query: sql, format: 'JSONCompact', clickhouse_settings: this.settings as never });
      const parsed = (await result.json()) as { meta?: Array<{ name: string; type: string }>; data?: unknown[][] };
      return { columns: (parsed.meta ?? []).map((m) => ({ name: m.name, type: m.type })), rows: parsed.data ?? [] };
    } catch (error) {
      throw await this.failure(error);
    }
  }

  async rows(sql: string): Promise<ReadonlyArray<ReadonlyArray<unknown>>> {
    return (await this.query(sql)).rows;
  }

  async exec(sql: string): Promise<void> {
    try {
      await this.client.command({ query: sql, clickhouse_settings: this.settings as never });
    } catch (error) {
      throw await this.failure(error);
    }
  }

  private async onShard(shard: Shard, sql: string): Promise<void> {
    try {
      await shard.client.command({ query: sql });
    } catch (error) {
      throw new ClickHouseStoreError(`${this.address.display}: shard ${shard.number} (${shard.endpoint}) failed: ${messageOf(error)}`);
    }
  }

  async insert(table: string, values: readonly Record<string, unknown>[]): Promise<void> {
    if (values.length === 0) return;
    try {
      await this.client.insert({
        table: `${this.address.database}.${table}`,
        values: values as Record<string, unknown>[],
        format: 'JSONEachRow',
        clickhouse_settings: { ...(this.address.cluster ? { insert_distributed_sync: 1 } : {}) } as never,
      });
    } catch (error) {
      throw await this.failure(error);
    }
  }

  /**
   * A failed request as a user-facing error. In a cluster, a failure often means a shard is down: every shard is
   * pinged so the message names the ones that do not answer (a query never returns partial results).
   */
  private async failure(error: unknown): Promise<Error> {
    const message = messageOf(error);
    const down: string[] = [];
    for (const shard of this.shards) {
      const ping = await shard.client.ping().catch(() => ({ success: false }));
      if (!ping.success) down.push(`shard ${shard.number} (${shard.endpoint})`);
    }
    if (down.length > 0) {
      return new ClickHouseStoreError(`${this.address.display}: ${down.join(', ')} of cluster ${this.address.cluster} did not answer: ${message}`);
    }
    return new ClickHouseStoreError(`${this.address.display}: ${message}`);
  }

  // ------------------------------------------------------------------ ingest and ledger

  async beginIngest(): Promise<IngestTransaction> {
    return new ServerIngest(this, newBatchId(), new RowBuffer(this));
  }

  /** Many inputs, line-read or not, share INSERTs; their ledger rows go in one INSERT when the group commits. */
  async beginIngestGroup(): Promise<IngestGroup> {
    this.group = new ServerIngestGroup(this);
    return this.group;
  }

  /** The open group, whose staged ledger rows the ledger lookups see (as DuckDB's group transaction sees its own). */
  private group: ServerIngestGroup | undefined;

  async lastLedgerEntry(name: string): Promise<LedgerEntry | undefined> {
    const staged = this.group?.stagedWhere((e) => e.name === name).at(-1);
    return staged ?? (await this.ledgerWhere(`name = ${literal(name)}`, false))[0];
  }

  async ledgerEntryByHash(contentHash: string): Promise<LedgerEntry | undefined> {
    const staged = this.group?.stagedWhere((e) => e.contentHash === contentHash)[0];
    return staged ?? (await this.ledgerWhere(`content_hash = ${literal(contentHash)}`, false))[0];
  }

  async ledgerEntriesByHeadHash(headHash: string): Promise<LedgerEntry[]> {
    if (headHash === '') return [];
    const latest = new Map((await this.ledgerWhere(`head_hash = ${literal(headHash)}`, true)).map((e) => [e.name, e]));
    for (const entry of this.group?.stagedWhere((e) => e.headHash === headHash) ?? []) latest.set(entry.name, entry);
    return [...latest.values()].sort((a, b) => b.offsetReached - a.offsetReached);
  }

  private async ledgerWhere(condition: string, perName: boolean): Promise<LedgerEntry[]> {
    const order = perName ? 'ORDER BY name, ingested_at DESC, offset_reached DESC LIMIT 1 BY name' : 'ORDER BY ingested_at DESC, offset_reached DESC LIMIT 1';
    const rows = await this.rows(
      `SELECT name, format, size, offset_reached, line_reached, content_hash, records, rejects, ignored, ingested_at, head_hash ` +
        `FROM ${this.table(LEDGER)} WHERE ${condition} ${order}`,
    );
    return rows.map(ledgerEntryOf);
  }

  // ------------------------------------------------------------------ status and rejects

  async summary(): Promise<StoreSummary> {
    const time = microsOf('TimeGenerated', this.capabilities);
    const [totals] = await this.rows(`SELECT count(), min(${time}), max(${time}) FROM ${this.table(ASIM_TABLE)}`);
    const [records, first, last] = totals ?? [];
    const products = await this.rows(
      `SELECT EventVendor, EventProduct, EventType, count() AS n, min(${time}), max(${time}) FROM ${this.table(ASIM_TABLE)} ` +
        `GROUP BY EventVendor, EventProduct, EventType ORDER BY n DESC, EventVendor, EventProduct, EventType`,
    );
    const [inputs] = await this.rows(`SELECT uniqExact(name) FROM ${this.table(LEDGER)}`);
    const [rejects] = await this.rows(`SELECT count() FROM ${this.table(REJECTS)} WHERE ${this.visible('batch')}`);
    return {
      records: Number(records ?? 0),
      ...(Number(records ?? 0) === 0 || first === null ? {} : { firstMicros: Number(first), lastMicros: Number(last) }),
      products: products.map(([vendor, product, eventType, n, firstOf, lastOf]) => ({
        vendor: String(vendor), product: String(product), eventType: String(eventType), records: Number(n), firstMicros: Number(firstOf), lastMicros: Number(lastOf),
      })),
      inputs: Number(inputs?.[0] ?? 0),
      rejects: Number(rejects?.[0] ?? 0),
    };
  }

  async rejects(query: RejectQuery): Promise<RejectRow[]> {
    const conditions = [this.visible('batch')];
    if (query.inputContains !== undefined) conditions.push(`position(input, ${literal(query.inputContains)}) > 0`);
    const limit = query.limit > 0 ? `LIMIT ${Math.trunc(query.limit)}` : '';
    const rows = await this.rows(
      `SELECT input, line, format, field, reason, raw FROM ${this.table(REJECTS)} WHERE ${conditions.join(' AND ')} ORDER BY input, line ${limit}`,
    );
    return rows.map(([input, line, format, field, reason, raw]) => ({
      input: String(input), line: Number(line), format: String(format), field: String(field), reason: String(reason), raw: String(raw),
    }));
  }

  async rejectSummary(query: Omit<RejectQuery, 'limit'>): Promise<RejectSummary> {
    const conditions = [this.visible('batch')];
    if (query.inputContains !== undefined) conditions.push(`position(input, ${literal(query.inputContains)}) > 0`);
    const where = `WHERE ${conditions.join(' AND ')}`;
    const reason = REJECT_REASON_VALUES.reduce((text, { pattern, replacement }) => `replaceRegexpAll(${text}, ${literal(pattern)}, ${literal(replacement)})`, 'reason');
    const [totals] = await this.rows(`SELECT count(), uniqExact(input) FROM ${this.table(REJECTS)} ${where}`);
    const kinds = await this.rows(
      `SELECT format, field, ${reason} AS kind, count() AS n FROM ${this.table(REJECTS)} ${where} GROUP BY format, field, kind ORDER BY n DESC, format, field, kind`,
    );
    return {
      total: Number(totals?.[0] ?? 0),
      inputs: Number(totals?.[1] ?? 0),
      reasons: kinds.map(([format, field, kind, n]) => ({ format: String(format), field: String(field), reason: String(kind), count: Number(n) })),
    };
  }

  /** Removes the rows of batches that will never be committed (best effort: they are invisible anyway). */
  async discardBatches(batches: readonly string[]): Promise<void> {
    if (batches.length === 0) return;
    const list = batches.map((b) => String(BigInt(b))).join(', ');
    const tables = this.address.cluster ? this.shards.map((shard) => ({ shard, table: SESSIONS_LOCAL })) : [{ shard: undefined, table: SESSIONS }];
    for (const { shard, table } of tables) {
      const sql = `ALTER TABLE ${this.table(table)} DELETE WHERE _batch IN (${list})`;
      await (shard ? this.onShard(shard, sql) : this.exec(sql)).catch(() => undefined);
    }
    await this.exec(`ALTER TABLE ${this.table(REJECTS)} DELETE WHERE batch IN (${list})`).catch(() => undefined);
  }

  /** A record as a JSONEachRow object for this server's column types (absent values take the column default). */
  row(record: AsimRecord, batch: string): Record<string, unknown> {
    const row: Record<string, unknown> = { _batch: batch };
    for (const [name, value] of Object.entries(record)) {
      if (value === undefined || value === null) continue;
      row[name] = typeof value === 'boolean' && !this.capabilities.boolType ? Number(value) : value;
      if (this.capabilities.dateTime64 && DATETIME_COLUMNS.has(name) && typeof value === 'number') row[name] = microsText(value);
    }
    return row;
  }

  async close(): Promise<void> {
    await Promise.all([this.client.close(), ...this.shards.map((shard) => shard.client.close())]);
  }
}

const DATETIME_COLUMNS = new Set(ASIM_COLUMNS.filter((c) => c.type === 'datetime').map((c) => c.name));

/** `2024-01-01 00:00:00.000001` (UTC), as DateTime64(6) reads it. */
function microsText(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = String(micros - seconds * 1_000_000).padStart(6, '0');
  return `${new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ')}.${fraction}`;
}

/** A 63-bit random batch id as decimal text (JSON numbers cannot hold it exactly). */
function newBatchId(): string {
  return (randomBytes(8).readBigUInt64BE() >> 1n).toString();
}

/** The ledger row of a committed ingest. */
function ledgerRow(batch: string, entry: LedgerEntry): Record<string, unknown> {
  return {
    batch,
    name: entry.name,
    format: entry.format,
    size: entry.size,
    offset_reached: entry.offsetReached,
    line_reached: entry.lineReached,
    content_hash: entry.contentHash,
    head_hash: entry.headHash ?? '',
    resumed_after_line: entry.resumedAfterLine ?? 0,
    records: entry.records,
    rejects: entry.rejects,
    ignored: entry.ignored,
    ingested_at: entry.ingestedAt.getTime() * 1000,
  };
}

/**
 * Rows and rejects on their way to the server, of one input or of a group's inputs: INSERTed INSERT_ROWS at a
 * time, each row marked with its input's batch (invisible until that batch has a ledger row).
 */
class RowBuffer {
  private rows: Record<string, unknown>[] = [];
  private rejects: Record<string, unknown>[] = [];
  /** Batches some of whose rows or rejects reached the server. */
  private readonly sent = new Set<unknown>();

  constructor(private readonly store: ClickHouseServerStore) {}

  async addRecords(batch: string, records: readonly AsimRecord[]): Promise<void> {
    for (const record of records) {
      this.rows.push(this.store.row(record, batch));
      if (this.rows.length >= INSERT_ROWS) await this.flushRows();
    }
  }

  async addRejects(batch: string, rejects: readonly RejectRow[]): Promise<void> {
    const now = Date.now() * 1000;
    for (const r of rejects) {
      this.rejects.push({ batch, input: r.input, line: r.line, format: r.format, field: r.field, reason: r.reason, raw: r.raw.slice(0, MAX_RAW_CHARS), rejected_at: now });
    }
    if (this.rejects.length >= INSERT_ROWS) await this.flushRejects();
  }

  /** Drops what a rolled-back batch left unsent; true when some of it was sent already. */
  forget(batch: string): boolean {
    this.rows = this.rows.filter((row) => row._batch !== batch);
    this.rejects = this.rejects.filter((row) => row.batch !== batch);
    return this.sent.delete(batch);
  }

  async flush(): Promise<void> {
    await this.flushRows();
    await this.flushRejects();
  }

  private async flushRows(): Promise<void> {
    const rows = this.rows;
    this.rows = [];
    for (const row of rows) this.sent.add(row._batch);
    await this.store.insert(SESSIONS, rows);
  }

  private async flushRejects(): Promise<void> {
    const rejects = this.rejects;
    this.rejects = [];
    for (const row of rejects) this.sent.add(row.batch);
    await this.store.insert(REJECTS, rejects);
  }
}

/** One input's ingest: alone (its own buffer, its ledger row on commit), or in a group (the group's buffer and commit). */
class ServerIngest implements IngestTransaction {
  private finished = false;

  constructor(
    private readonly store: ClickHouseServerStore,
    private readonly batch: string,
    private readonly buffer: RowBuffer,
    private readonly group?: ServerIngestGroup,
  ) {}

  async appendRecords(records: readonly AsimRecord[]): Promise<void> {
    await this.buffer.addRecords(this.batch, records);
  }

  async appendRejects(rejects: readonly RejectRow[]): Promise<void> {
    await this.buffer.addRejects(this.batch, rejects);
  }

  async commit(entry: LedgerEntry): Promise<void> {
    if (this.group) {
      this.group.stage(this.batch, entry);
    } else {
      await this.buffer.flush();
      await this.store.insert(LEDGER, [ledgerRow(this.batch, entry)]);
    }
    this.finished = true;
  }

  async rollback(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    // Rows already sent stay invisible without a ledger row; deleting them (a mutation on every shard) is tidying.
    if (this.buffer.forget(this.batch)) await this.store.discardBatches([this.batch]);
  }
}

/**
 * Inputs committed together: their rows share INSERTs, and their ledger rows are one INSERT (one block, so all
 * appear at once) when the group commits. A kill before that leaves every input of the open group invisible and
 * unknown to the ledger, so the next ingest reads them again.
 */
class ServerIngestGroup implements IngestGroup {
  readonly takesLineInputs = true;
  readonly aborted = false;
  private readonly buffer: RowBuffer;
  private entries: Array<{ batch: string; entry: LedgerEntry }> = [];

  constructor(private readonly store: ClickHouseServerStore) {
    this.buffer = new RowBuffer(store);
  }

  get staged(): number {
    return this.entries.reduce((sum, { entry }) => sum + entry.records, 0);
  }

  async begin(): Promise<IngestTransaction> {
    return new ServerIngest(this.store, newBatchId(), this.buffer, this);
  }

  stage(batch: string, entry: LedgerEntry): void {
    this.entries.push({ batch, entry });
  }

  stagedWhere(test: (entry: LedgerEntry) => boolean): LedgerEntry[] {
    return this.entries.filter(({ entry }) => test(entry)).map(({ entry }) => entry);
  }

  async commit(): Promise<void> {
    await this.buffer.flush();
    const entries = this.entries;
    if (entries.length === 0) return;
    await this.store.insert(LEDGER, entries.map(({ batch, entry }) => ledgerRow(batch, entry)));
    this.entries = [];
    for (const { batch } of entries) this.buffer.forget(batch);
  }

  async rollback(): Promise<void> {
    const sent = this.entries.map(({ batch }) => batch).filter((batch) => this.buffer.forget(batch));
    this.entries = [];
    await this.store.discardBatches(sent);
  }
}

class ServerAlertTable implements AlertTable {
  constructor(private readonly store: ClickHouseServerStore) {}

  /** One row per alert id, even if two processes stored the same alert at once. */
  private get deduplicated(): string {
    return `(SELECT * FROM ${this.store.table(ALERTS)} ORDER BY alert_id, stored_at LIMIT 1 BY alert_id)`;
  }

  async insertNew(rows: readonly AlertRow[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const existing = await this.store.rows(`SELECT DISTINCT alert_id FROM ${this.store.table(ALERTS)} WHERE alert_id IN (${rows.map((r) => literal(r.alertId)).join(', ')})`);
    const stored = new Set(existing.map((row) => String(row[0])));
    const fresh = rows.filter((row) => !stored.has(row.alertId));
    const now = Date.now() * 1000;
    await this.store.insert(
      ALERTS,
      fresh.map((r) => ({
        alert_id: r.alertId, rule_id: r.ruleId, rule_version: r.ruleVersion, rule_name: r.ruleName, severity: r.severity,
        display_name: r.displayName, query_start: r.queryStart, query_end: r.queryEnd, alert_json: r.json, stored_at: now,
      })),
    );
    return new Set(fresh.map((row) => row.alertId));
  }

  async list(query: AlertQuery): Promise<string[]> {
    const conditions = ['1'];
    if (query.sinceMicros !== undefined) conditions.push(`query_end >= ${Math.trunc(query.sinceMicros)}`);
    if (query.ruleId !== undefined) conditions.push(`rule_id = ${literal(query.ruleId)}`);
    const rows = await this.store.rows(
      `SELECT alert_json FROM ${this.deduplicated} WHERE ${conditions.join(' AND ')} ORDER BY query_end, display_name, alert_id`,
    );
    return rows.map((row) => String(row[0]));
  }

  async lastQueryEnd(ruleId: string, beforeMicros: number): Promise<number | undefined> {
    const rows = await this.store.rows(
      `SELECT max(query_end), count() FROM ${this.store.table(ALERTS)} WHERE rule_id = ${literal(ruleId)} AND query_end < ${Math.trunc(beforeMicros)}`,
    );
    const [max, count] = rows[0] ?? [];
    return Number(count ?? 0) === 0 ? undefined : Number(max);
  }
}

class ServerPlanTable implements PlanTable {
  constructor(private readonly store: ClickHouseServerStore) {}

  async get(key: string): Promise<string | undefined> {
    const rows = await this.store.rows(`SELECT template_json FROM ${this.store.table(PLANS)} WHERE plan_key = ${literal(key)} LIMIT 1`);
    const json = rows[0]?.[0];
    return typeof json === 'string' ? json : undefined;
  }

  async put(key: string, fingerprint: string, templateJson: string): Promise<void> {
    const [stale] = await this.store.rows(`SELECT count() FROM ${this.store.table(PLANS)} WHERE fingerprint != ${literal(fingerprint)}`);
    if (Number(stale?.[0] ?? 0) > 0) await this.store.exec(`ALTER TABLE ${this.store.table(PLANS)} DELETE WHERE fingerprint != ${literal(fingerprint)}`);
    if ((await this.get(key)) !== undefined) return;
    await this.store.insert(PLANS, [{ plan_key: key, fingerprint, created_at: Date.now() * 1000, template_json: templateJson }]);
  }
}
