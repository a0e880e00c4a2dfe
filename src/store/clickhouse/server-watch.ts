/**
 * `smbwatch watch` on a ClickHouse server: the schedule and the outbox as append-only tables, since the server has
 * neither transactions nor UPDATE (18.16's ALTER … UPDATE is an asynchronous mutation).
 *
 *   - `smbwatch_schedule`: one row per recorded run; a rule's last run is the latest `last_run_at` of its key (runs
 *     are recorded oldest first, so the latest is the maximum);
 *   - `smbwatch_outbox_events`: one row per change of a (sink, alert): `pending` when queued (with the alert's JSON
 *     and its place in the queue), then `pending` again for a retry, `parked`, or `delivered`. An entry's state is
 *     its latest event (by `version`); a delivered one has left the queue and is a delivery.
 *
 * Every write is an INSERT that is harmless to repeat: queueing skips (sink, alert) pairs that already have events,
 * so a watcher that crashed between storing a run's alerts, queueing them and recording the run does the run again
 * and adds only what is missing. Delivery stays at least once, as on DuckDB.
 */
import type { OutboxChange, OutboxRow, WatchTables } from '../engine.js';
import type { ClickHouseServerStore } from './server-store.js';
import { literal } from './sql-text.js';

export const SCHEDULE = 'smbwatch_schedule';
export const OUTBOX_EVENTS = 'smbwatch_outbox_events';

const TABLES: ReadonlyArray<readonly [string, string]> = [
  [SCHEDULE, `(schedule_key String, rule_id String, last_run_at Int64, updated_at Int64) ENGINE = MergeTree() ORDER BY schedule_key`],
  [
    OUTBOX_EVENTS,
    `(sink String, alert_id String, seq Int64, alert_json String, state String, attempts Int64, next_attempt_at Int64, ` +
      `last_error String, at Int64, version UInt64) ENGINE = MergeTree() ORDER BY (sink, alert_id, version)`,
  ],
];

const micros = (at: Date): number => Math.trunc(at.getTime()) * 1000;

export class ServerWatchTables implements WatchTables {
  /** Orders a process's events within one microsecond. */
  private counter = 0;

  /** The tables, created on first use (a store made before watch ran on servers lacks them). */
  private ready: Promise<void> | undefined;

  constructor(private readonly store: ClickHouseServerStore) {}

  private async tables(): Promise<void> {
    this.ready ??= (async () => {
      for (const [name, ddl] of TABLES) await this.store.exec(`CREATE TABLE IF NOT EXISTS ${this.store.table(name)} ${ddl}`);
    })();
    await this.ready;
  }

  /** Later than every event this process wrote before (microseconds × 1000 plus a counter). */
  private version(): string {
    this.counter = (this.counter + 1) % 1000;
    return (BigInt(Date.now()) * 1_000_000n + BigInt(this.counter)).toString();
  }

  async lastRun(key: string): Promise<Date | undefined> {
    await this.tables();
    const [row] = await this.store.rows(`SELECT max(last_run_at), count() FROM ${this.store.table(SCHEDULE)} WHERE schedule_key = ${literal(key)}`);
    return Number(row?.[1] ?? 0) === 0 ? undefined : new Date(Number(row?.[0]) / 1000);
  }

  async recordRun(key: string, ruleId: string, at: Date, now: Date): Promise<void> {
    await this.tables();
    await this.store.insert(SCHEDULE, [{ schedule_key: key, rule_id: ruleId, last_run_at: micros(at), updated_at: micros(now) }]);
  }

  async enqueue(alerts: ReadonlyArray<{ alertId: string; json: string }>, sinks: readonly string[], now: Date): Promise<void> {
    await this.tables();
    if (alerts.length === 0 || sinks.length === 0) return;
    const unique = [...new Map(alerts.map((alert) => [alert.alertId, alert])).values()];
    const known = await this.store.rows(
      `SELECT DISTINCT sink, alert_id FROM ${this.store.table(OUTBOX_EVENTS)} WHERE alert_id IN (${unique.map((a) => literal(a.alertId)).join(', ')})`,
    );
    const seen = new Set(known.map(([sink, id]) => `${String(sink)}\u0000${String(id)}`));
    const [last] = await this.store.rows(`SELECT max(seq) FROM ${this.store.table(OUTBOX_EVENTS)}`);
    let seq = Number(last?.[0] ?? 0);
    const rows: Array<Record<string, unknown>> = [];
    // In the order the alerts were given, each alert for every sink (DuckDB's outbox orders the same way).
    for (const alert of unique) {
      for (const sink of [...sinks].sort()) {
        if (seen.has(`${sink}\u0000${alert.alertId}`)) continue;
        rows.push({
          sink, alert_id: alert.alertId, seq: ++seq, alert_json: alert.json, state: 'pending', attempts: 0,
          next_attempt_at: micros(now), last_error: '', at: micros(now), version: this.version(),
        });
      }
    }
    await this.store.insert(OUTBOX_EVENTS, rows);
  }

  /** Each (sink, alert)'s current state: its latest event, with the JSON and place of its queueing. */
  private current(sink: string | undefined): string {
    const where = sink === undefined ? '' : `WHERE sink = ${literal(sink)}`;
    return (
      `SELECT sink, alert_id, max(seq) AS seq, anyIf(alert_json, alert_json != '') AS json, argMax(state, version) AS st, ` +
      `argMax(attempts, version) AS tries, argMax(next_attempt_at, version) AS next, argMax(last_error, version) AS error, ` +
      `argMax(at, version) AS changed FROM ${this.store.table(OUTBOX_EVENTS)} ${where} GROUP BY sink, alert_id`
    );
  }

  async outbox(filter: { sink?: string; state?: 'pending' | 'parked'; dueBy?: Date }): Promise<OutboxRow[]> {
    await this.tables();
    const conditions = [`st != 'delivered'`];
    if (filter.state !== undefined) conditions.push(`st = ${literal(filter.state)}`);
    if (filter.dueBy !== undefined) conditions.push(`next <= ${micros(filter.dueBy)}`);
    const rows = await this.store.rows(
      `SELECT sink, alert_id, json, st, tries, next, error FROM (${this.current(filter.sink)}) WHERE ${conditions.join(' AND ')} ORDER BY seq, sink`,
    );
    return rows.map(([sink, alertId, json, state, attempts, next, error]) => ({
      sink: String(sink),
      alertId: String(alertId),
      alertJson: String(json),
      state: String(state) as 'pending' | 'parked',
      attempts: Number(attempts),
      nextAttemptAt: new Date(Number(next) / 1000),
      lastError: String(error),
    }));
  }

  async deliveries(sink?: string): Promise<Array<{ sink: string; alertId: string; attempts: number; deliveredAt: Date }>> {
    await this.tables();
    const rows = await this.store.rows(
      `SELECT sink, alert_id, tries, changed FROM (${this.current(sink)}) WHERE st = 'delivered' ORDER BY changed, sink, alert_id`,
    );
    return rows.map(([name, alertId, attempts, at]) => ({ sink: String(name), alertId: String(alertId), attempts: Number(attempts), deliveredAt: new Date(Number(at) / 1000) }));
  }

  async requeueParked(now: Date): Promise<number> {
    await this.tables();
    const parked = await this.store.rows(`SELECT sink, alert_id, tries FROM (${this.current(undefined)}) WHERE st = 'parked'`);
    await this.store.insert(
      OUTBOX_EVENTS,
      parked.map(([sink, alertId, attempts]) => this.event(String(sink), String(alertId), 'pending', Number(attempts), micros(now), '', now)),
    );
    return parked.length;
  }

  async change(sink: string, alertId: string, change: OutboxChange): Promise<void> {
    await this.tables();
    const row =
      change.kind === 'retry'
        ? this.event(sink, alertId, 'pending', change.attempts, micros(change.nextAttemptAt), change.error, new Date())
        : change.kind === 'parked'
          ? this.event(sink, alertId, 'parked', change.attempts, 0, change.error, new Date())
          : this.event(sink, alertId, 'delivered', change.attempts, 0, '', change.at);
    await this.store.insert(OUTBOX_EVENTS, [row]);
  }

  private event(sink: string, alertId: string, state: string, attempts: number, next: number, error: string, at: Date): Record<string, unknown> {
    return { sink, alert_id: alertId, seq: 0, alert_json: '', state, attempts, next_attempt_at: next, last_error: error, at: micros(at), version: this.version() };
  }
}
