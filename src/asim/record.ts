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
export type AsimValue = string | number | boolean | null;

export type AsimRecord = { [column: string]: AsimValue | undefined };

/** Microseconds since 1970-01-01T00:00:00Z. */
export type Micros = number;
