/**
 * One normalized ASIM NetworkSession record, as sources hand it to the store.
 *
 * Values are already typed as the schema says (see schema.ts):
 * - string columns hold strings; a missing string is simply absent and is stored as "" (Kusto strings are never null);
 * - int / long / real columns hold numbers (longs stay below 2^53 in practice: byte counters);
 * - datetime columns hold **microseconds since the Unix epoch, UTC** (an integer number);
 * - bool columns hold booleans; dynamic columns hold JSON text;
 * - null or absent means "no value" for every non-string column.
 */
import { ASIM_COLUMN_TYPES } from './schema.js';

export type AsimValue = string | number | boolean | null;

export type AsimRecord = { [column: string]: AsimValue | undefined };

/** Microseconds since 1970-01-01T00:00:00Z. */
export type Micros = number;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
/** Kusto's datetime range in microseconds: from 0001-01-01T00:00:00Z up to (not including) 10000-01-01. */
const DATETIME_MIN_MICROS = -62_135_596_800_000_000;
const DATETIME_END_MICROS = 253_402_300_800_000_000;

/**
 * The first int, long or datetime value the store's column cannot hold (an int past 32 bits, a long past
 * ±(2^53-1), a fraction, a time outside years 1 to 9999), named with its column; undefined when every value fits. A source computes some of these (a sum of
 * counters, a duration from two times): checked here, once for every format, so a record that would make the
 * store's insert fail for the whole input is a reject of its own instead (found by `npm run fuzz`).
 */
export function integerOutOfRange(record: AsimRecord): { readonly field: string; readonly reason: string } | undefined {
  for (const column in record) {
    const value = record[column];
    if (typeof value !== 'number') continue;
    const type = ASIM_COLUMN_TYPES.get(column);
    if (type === 'int' && !(Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX)) {
      return { field: column, reason: `${column} ${value} does not fit an int (32-bit)` };
    }
    if (type === 'long' && !Number.isSafeInteger(value)) return { field: column, reason: `${column} ${value} does not fit a long within ±(2^53-1)` };
    if (type === 'datetime' && !(Number.isInteger(value) && value >= DATETIME_MIN_MICROS && value < DATETIME_END_MICROS)) {
      return { field: column, reason: `${column} (${value} µs since 1970) is outside the datetime range, years 1 to 9999` };
    }
  }
  return undefined;
}
