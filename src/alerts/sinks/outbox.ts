/**
 * The outbox: every new alert is queued once per sink (table `smbwatch_outbox`) in the same transaction that
 * stores it, and leaves the queue only when the sink acknowledged it — then `smbwatch_deliveries` records
 * (sink, alert id), so an acknowledged alert is never queued or sent to that sink again.
 *
 * Failures: a transient one leaves the entry pending with `next_attempt_at` pushed back by exponential backoff
 * (forever: an alert is never dropped); a permanent one parks it (`state = 'parked'`) with the error, to be
 * looked at and re-queued by hand (`smbwatch watch --retry-parked`), because sending the same request again
 * would fail the same way.
 *
 * Guarantee: at least once. A crash after the sink acknowledged but before the delivery was recorded sends that
 * alert again on restart; receivers can drop it by its alert id (the webhook sends it as Idempotency-Key).
 */
import type { Store } from '../../store/engine.js';
import { quoteString } from '../../store/sql.js';
import type { Alert } from '../types.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { asDeliveryError, type AlertSink } from './types.js';

export const OUTBOX_TABLE = 'smbwatch_outbox';
export const DELIVERIES_TABLE = 'smbwatch_deliveries';

/** Between ticks, a failing sink is tried again after this backoff (unless the sink sets its own). */
export const DEFAULT_OUTBOX_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 60 * 60 * 1000 };

const DDL = [
  `CREATE TABLE IF NOT EXISTS ${OUTBOX_TABLE} (
    seq BIGINT NOT NULL,
    sink VARCHAR NOT NULL,
    alert_id VARCHAR NOT NULL,
    alert_json VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error VARCHAR NOT NULL,
    enqueued_at TIMESTAMP NOT NULL,
    PRIMARY KEY (sink, alert_id)
  )`,
  `CREATE TABLE IF NOT EXISTS ${DELIVERIES_TABLE} (
    sink VARCHAR NOT NULL,
    alert_id VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    delivered_at TIMESTAMP NOT NULL,
    PRIMARY KEY (sink, alert_id)
  )`,
];

export type OutboxState = 'pending' | 'parked';

export interface OutboxEntry {
  readonly sink: string;
  readonly alertId: string;
  readonly alert: Alert;
  readonly state: OutboxState;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lastError: string;
}

export async function ensureOutboxTables(store: Store): Promise<void> {
  for (const ddl of DDL) await store.query(ddl);
}

function timestampSql(at: Date): string {
  return `make_timestamp(${Math.trunc(at.getTime()) * 1000})`;
}

/**
 * Queues each alert for each sink, unless that sink already has it queued or delivered. Meant to run inside
 * the transaction that stores the alerts, so an alert is never stored without being queued.
 */
export async function enqueueAlerts(store: Store, alerts: readonly Alert[], sinkNames: readonly string[], now: Date): Promise<void> {
  if (store.watchTables) return store.watchTables.enqueue(alerts.map((alert) => ({ alertId: alert.alertId, json: JSON.stringify(alert) })), sinkNames, now);
  await ensureOutboxTables(store);
  if (alerts.length === 0 || sinkNames.length === 0) return;
  const unique = [...new Map(alerts.map((alert) => [alert.alertId, alert])).values()];
  // seq orders the queue: after everything queued so far, in the order the alerts were given.
  const rows = sinkNames.flatMap((sink) =>
    unique.map((alert, ordinal) =>
      [ordinal, quoteString(sink), quoteString(alert.alertId), quoteString(JSON.stringify(alert)), timestampSql(now)].join(', '),
    ),
  );
  await store.query(
    `INSERT INTO ${OUTBOX_TABLE} (seq, sink, alert_id, alert_json, state, attempts, next_attempt_at, last_error, enqueued_at)
     SELECT (SELECT coalesce(max(seq), 0) FROM ${OUTBOX_TABLE}) + row_number() OVER (ORDER BY v.ordinal, v.sink),
            sink, alert_id, alert_json, 'pending', 0, enqueued_at, '', enqueued_at
     FROM (VALUES (${rows.join('), (')})) AS v(ordinal, sink, alert_id, alert_json, enqueued_at)
     WHERE NOT EXISTS (SELECT 1 FROM ${OUTBOX_TABLE} AS o WHERE o.sink = v.sink AND o.alert_id = v.alert_id)
       AND NOT EXISTS (SELECT 1 FROM ${DELIVERIES_TABLE} AS d WHERE d.sink = v.sink AND d.alert_id = v.alert_id)`,
  );
}

export async function outboxEntries(store: Store, filter: { sink?: string; state?: OutboxState; dueBy?: Date } = {}): Promise<OutboxEntry[]> {
  if (store.watchTables) {
    return (await store.watchTables.outbox(filter)).map(({ alertJson, ...row }) => ({ ...row, alert: JSON.parse(alertJson) as Alert }));
  }
  await ensureOutboxTables(store);
  const conditions = ['true'];
  if (filter.sink !== undefined) conditions.push(`sink = ${quoteString(filter.sink)}`);
  if (filter.state !== undefined) conditions.push(`state = ${quoteString(filter.state)}`);
  if (filter.dueBy !== undefined) conditions.push(`next_attempt_at <= ${timestampSql(filter.dueBy)}`);
  const result = await store.query(
    `SELECT sink, alert_id, alert_json, state, attempts, epoch_us(next_attempt_at), last_error
     FROM ${OUTBOX_TABLE} WHERE ${conditions.join(' AND ')} ORDER BY seq, sink`,
  );
  return result.rows.map(([sink, alertId, json, state, attempts, next, lastError]) => ({
    sink: String(sink),
    alertId: String(alertId),
    alert: JSON.parse(String(json)) as Alert,
    state: String(state) as OutboxState,
    attempts: Number(attempts),
    nextAttemptAt: new Date(Number(next) / 1000),
    lastError: String(lastError),
  }));
}

export interface Delivery {
  readonly sink: string;
  readonly alertId: string;
  readonly attempts: number;
  readonly deliveredAt: Date;
}

export async function deliveries(store: Store, sink?: string): Promise<Delivery[]> {
  if (store.watchTables) return store.watchTables.deliveries(sink);
  await ensureOutboxTables(store);
  const where = sink === undefined ? '' : `WHERE sink = ${quoteString(sink)}`;
  const result = await store.query(`SELECT sink, alert_id, attempts, epoch_us(delivered_at) FROM ${DELIVERIES_TABLE} ${where} ORDER BY delivered_at, sink, alert_id`);
  return result.rows.map(([name, alertId, attempts, at]) => ({
    sink: String(name),
    alertId: String(alertId),
    attempts: Number(attempts),
    deliveredAt: new Date(Number(at) / 1000),
  }));
}

/** Parked entries go back to pending, due now; returns how many. */
export async function requeueParked(store: Store, now: Date): Promise<number> {
  if (store.watchTables) return store.watchTables.requeueParked(now);
  await ensureOutboxTables(store);
  const result = await store.query(
    `UPDATE ${OUTBOX_TABLE} SET state = 'pending', next_attempt_at = ${timestampSql(now)} WHERE state = 'parked' RETURNING alert_id`,
  );
  return result.rows.length;
}

export type DeliveryOutcome =
  | { readonly kind: 'delivered'; readonly entry: OutboxEntry }
  | { readonly kind: 'retry'; readonly entry: OutboxEntry; readonly error: string; readonly nextAttemptAt: Date }
  | { readonly kind: 'parked'; readonly entry: OutboxEntry; readonly error: string };

export interface DeliverOptions {
  readonly now: Date;
  /** Checked between alerts: when it is aborted, delivery stops after the alert in hand. */
  readonly signal?: AbortSignal;
  readonly backoff?: (sink: AlertSink) => BackoffPolicy;
  readonly random?: () => number;
  readonly onOutcome?: (outcome: DeliveryOutcome) => void;
}

/**
 * Sends every due pending entry to its sink, in the order they were queued. After a transient failure the rest of
 * that sink's queue waits for the next attempt time (the receiver is likely down, and order is kept); a permanent
 * failure parks that one alert and moves on.
 */
export async function deliverOutbox(store: Store, sinks: readonly AlertSink[], options: DeliverOptions): Promise<DeliveryOutcome[]> {
  const outcomes: DeliveryOutcome[] = [];
  for (const sink of sinks) {
    if (await backingOff(store, sink.name, options.now)) continue;
    const due = await outboxEntries(store, { sink: sink.name, state: 'pending', dueBy: options.now });
    for (const entry of due) {
      if (options.signal?.aborted) return outcomes;
      const outcome = await deliverOne(store, sink, entry, options);
      outcomes.push(outcome);
      options.onOutcome?.(outcome);
      if (outcome.kind === 'retry') break;
    }
  }
  return outcomes;
}

/**
 * Whether the sink's queue waits behind an alert whose last try failed transiently and whose next attempt is
 * not due: alerts queued since are due at once, and trying them would both knock on a receiver that is down at
 * every tick and deliver them ahead of the older one when it comes back.
 */
async function backingOff(store: Store, sink: string, now: Date): Promise<boolean> {
  if (store.watchTables) {
    const pending = await store.watchTables.outbox({ sink, state: 'pending' });
    return pending.some((row) => row.attempts > 0 && row.nextAttemptAt.getTime() > now.getTime());
  }
  await ensureOutboxTables(store);
  const result = await store.query(
    `SELECT count(*) FROM ${OUTBOX_TABLE} WHERE sink = ${quoteString(sink)} AND state = 'pending' AND attempts > 0 AND next_attempt_at > ${timestampSql(now)}`,
  );
  return Number(result.rows[0]![0]) > 0;
}

async function deliverOne(store: Store, sink: AlertSink, entry: OutboxEntry, options: DeliverOptions): Promise<DeliveryOutcome> {
  const attempts = entry.attempts + 1;
  const key = `sink = ${quoteString(entry.sink)} AND alert_id = ${quoteString(entry.alertId)}`;
  try {
    await sink.deliver(entry.alert);
  } catch (thrown) {
    const error = asDeliveryError(thrown);
    if (error.permanent) {
      if (store.watchTables) await store.watchTables.change(entry.sink, entry.alertId, { kind: 'parked', attempts, error: error.message });
      else await store.query(`UPDATE ${OUTBOX_TABLE} SET state = 'parked', attempts = ${attempts}, last_error = ${quoteString(error.message)} WHERE ${key}`);
      return { kind: 'parked', entry: { ...entry, attempts }, error: error.message };
    }
    const policy = options.backoff?.(sink) ?? DEFAULT_OUTBOX_BACKOFF;
    const delay = Math.max(error.retryAfterMs ?? 0, backoffDelay(policy, attempts, options.random));
    const nextAttemptAt = new Date(options.now.getTime() + Math.min(delay, policy.maxMs));
    if (store.watchTables) await store.watchTables.change(entry.sink, entry.alertId, { kind: 'retry', attempts, nextAttemptAt, error: error.message });
    else await store.query(
      `UPDATE ${OUTBOX_TABLE} SET attempts = ${attempts}, next_attempt_at = ${timestampSql(nextAttemptAt)}, last_error = ${quoteString(error.message)} WHERE ${key}`,
    );
    return { kind: 'retry', entry: { ...entry, attempts }, error: error.message, nextAttemptAt };
  }
  if (store.watchTables) {
    await store.watchTables.change(entry.sink, entry.alertId, { kind: 'delivered', attempts, at: options.now });
    return { kind: 'delivered', entry: { ...entry, attempts } };
  }
  await store.query('BEGIN TRANSACTION');
  try {
    await store.query(
      `INSERT INTO ${DELIVERIES_TABLE} VALUES (${quoteString(entry.sink)}, ${quoteString(entry.alertId)}, ${attempts}, ${timestampSql(options.now)})`,
    );
    await store.query(`DELETE FROM ${OUTBOX_TABLE} WHERE ${key}`);
    await store.query('COMMIT');
  } catch (error) {
    await store.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return { kind: 'delivered', entry: { ...entry, attempts } };
}
