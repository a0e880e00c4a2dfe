/**
 * When a rule runs in watch mode, and what the watcher remembers about it.
 *
 * Scheduled times lie on a grid: anchor + k·queryFrequency (anchor default 1970-01-01T00:00:00Z, so a 1d rule runs
 * daily at 00:00 UTC and a 1h rule on the hour). A time T is due once the clock reaches T + delay. The last time a
 * rule ran is kept in the store (`smbwatch_schedule`); after downtime, every grid time after it that is due runs,
 * oldest first — as Sentinel would have run them had it been up. A rule that never ran starts at the latest due time
 * (or, with `start`, at the first grid time at or after it).
 */
import type { Store } from '../store/engine.js';
import { quoteString } from '../store/sql.js';

export const SCHEDULE_TABLE = 'smbwatch_schedule';

export interface Grid {
  readonly anchor: Date;
  readonly frequencyMs: number;
  readonly delayMs: number;
  readonly start?: Date;
  /** The last time a run may happen at (inclusive). */
  readonly end?: Date;
}

/** The grid a rule runs on under a watch schedule (anchor, optional start and end, delay). */
export function scheduleGrid(
  schedule: { readonly anchor: Date; readonly start?: Date; readonly end?: Date; readonly delayMs: number },
  rule: { readonly queryFrequencyMs: number },
): Grid {
  const { anchor, start, end, delayMs } = schedule;
  return { anchor, frequencyMs: rule.queryFrequencyMs, delayMs, ...(start ? { start } : {}), ...(end ? { end } : {}) };
}

/** The latest grid time ≤ t. */
export function gridFloor(grid: Pick<Grid, 'anchor' | 'frequencyMs'>, t: number): number {
  const anchor = grid.anchor.getTime();
  return anchor + Math.floor((t - anchor) / grid.frequencyMs) * grid.frequencyMs;
}

/** The earliest grid time ≥ t. */
export function gridCeil(grid: Pick<Grid, 'anchor' | 'frequencyMs'>, t: number): number {
  const floor = gridFloor(grid, t);
  return floor === t ? t : floor + grid.frequencyMs;
}

/** The scheduled times due at `now`, oldest first, after the last run (exclusive). */
export function dueTimes(grid: Grid, lastRun: Date | undefined, now: Date): Date[] {
  const latestDue = Math.min(gridFloor(grid, now.getTime() - grid.delayMs), grid.end === undefined ? Infinity : gridFloor(grid, grid.end.getTime()));
  let next: number;
  if (lastRun !== undefined) next = gridFloor(grid, lastRun.getTime()) + grid.frequencyMs;
  else if (grid.start !== undefined) next = gridCeil(grid, grid.start.getTime());
  else next = latestDue;
  const times: Date[] = [];
  for (let t = next; t <= latestDue; t += grid.frequencyMs) times.push(new Date(t));
  return times;
}

/** The next time something becomes due after `now` (for the log line "next run at"); none past the schedule's end. */
export function nextDueTime(grid: Grid, lastRun: Date | undefined, now: Date): Date | undefined {
  const afterLast = lastRun === undefined ? -Infinity : gridFloor(grid, lastRun.getTime()) + grid.frequencyMs;
  const afterNow = gridFloor(grid, now.getTime() - grid.delayMs) + grid.frequencyMs;
  const next = Math.max(afterLast, afterNow);
  if (grid.end !== undefined && next > grid.end.getTime()) return undefined;
  return new Date(next + grid.delayMs);
}

const SCHEDULE_DDL = `CREATE TABLE IF NOT EXISTS ${SCHEDULE_TABLE} (
  schedule_key VARCHAR PRIMARY KEY,
  rule_id VARCHAR NOT NULL,
  last_run_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
)`;

export async function ensureScheduleTable(store: Store): Promise<void> {
  await store.query(SCHEDULE_DDL);
}

/**
 * What identifies a schedule: the rule id and its parameters — the same rule configured twice with different
 * parameters runs on two schedules.
 */
export function scheduleKey(ruleId: string, params: Readonly<Record<string, string>>): string {
  const names = Object.keys(params).sort();
  return names.length === 0 ? ruleId : `${ruleId} ${JSON.stringify(names.map((name) => [name, params[name]]))}`;
}

export async function lastRunTime(store: Store, key: string): Promise<Date | undefined> {
  if (store.watchTables) return store.watchTables.lastRun(key);
  await ensureScheduleTable(store);
  const result = await store.query(`SELECT epoch_us(last_run_at) FROM ${SCHEDULE_TABLE} WHERE schedule_key = ${quoteString(key)}`);
  const micros = result.rows[0]?.[0];
  return micros === undefined || micros === null ? undefined : new Date(Number(micros) / 1000);
}

export async function recordRun(store: Store, key: string, ruleId: string, at: Date, now: Date): Promise<void> {
  if (store.watchTables) return store.watchTables.recordRun(key, ruleId, at, now);
  await ensureScheduleTable(store);
  const ts = (d: Date): string => `make_timestamp(${Math.trunc(d.getTime()) * 1000})`;
  await store.query(
    `INSERT INTO ${SCHEDULE_TABLE} VALUES (${quoteString(key)}, ${quoteString(ruleId)}, ${ts(at)}, ${ts(now)})
     ON CONFLICT (schedule_key) DO UPDATE SET last_run_at = excluded.last_run_at, updated_at = excluded.updated_at`,
  );
}
