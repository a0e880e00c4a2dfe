/**
 * A canonical order of result rows. A KQL result has no order unless the query sorts it, and engines return rows
 * in whatever order their threads finish — yet which rows get an alert of their own under Sentinel's 150-alert cap,
 * and the row order inside a whole-result alert, depend on it. Putting the rows in one total order over all their
 * columns first makes a run a function of (rule, parameters, T, data): re-running at the same T yields the same
 * alerts, whatever order the engine produced.
 */
import type { KustoValue } from './types.js';

/** Kinds of value, in the order they sort: null first, then booleans, numbers, strings, dynamic values. */
function kindRank(value: KustoValue): number {
  if (value === null) return 0;
  if (typeof value === 'boolean') return 1;
  if (typeof value === 'number') return 2;
  if (typeof value === 'string') return 3;
  return 4;
}

function compareNumbers(a: number, b: number): number {
  // NaN sorts before every number and equal to itself, so the order is total.
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Code-unit order: the same on every machine, unlike a locale's collation. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A total order over values: kind first, then the value within its kind (dynamic values by their JSON text). */
export function compareValues(a: KustoValue, b: KustoValue): number {
  const rank = kindRank(a) - kindRank(b);
  if (rank !== 0) return rank;
  if (typeof a === 'boolean') return Number(a) - Number(b as boolean);
  if (typeof a === 'number') return compareNumbers(a, b as number);
  if (typeof a === 'string') return compareText(a, b as string);
  if (a === null) return 0;
  return compareText(JSON.stringify(a), JSON.stringify(b));
}

/** Rows compared column by column, in the result's column order. */
export function compareRows(a: ReadonlyArray<KustoValue>, b: ReadonlyArray<KustoValue>): number {
  const length = Math.max(a.length, b.length);
  for (let column = 0; column < length; column++) {
    const order = compareValues(a[column] ?? null, b[column] ?? null);
    if (order !== 0) return order;
  }
  return 0;
}

/** The rows in canonical order (a new array; the input is left as it was). */
export function canonicalOrder<Row extends ReadonlyArray<KustoValue>>(rows: readonly Row[]): Row[] {
  return [...rows].sort(compareRows);
}
