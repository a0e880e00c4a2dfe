/**
 * Raw values (JSON values, CSV text, Parquet values) → the typed values of an ASIM NetworkSession record
 * (schema.ts types, record.ts conventions). Used by the native ASIM sources (JSON, CSV, Parquet), which carry
 * ASIM column names already and only need typing.
 *
 * Decisions (each pinned by test/asim/coerce.test.ts):
 * - string: text as is; numbers and booleans as Kusto's `tostring` prints them (`445`, `true`); objects and
 *   arrays as JSON text; null/absent → "" (Kusto strings are never null). Reals print as JavaScript prints
 *   them (`1.5`, `1e+21`): Kusto's `tostring(real)` is not pinned (kusto-semantics.md Q7) and no string
 *   column of the schema holds a real in practice.
 * - int (32-bit) / long: integers, or integer text (`"445"`, `" +445 "`). Text with a zero fraction (`"445.0"`)
 *   is accepted: exporters that pass columns through floating point (pandas with missing values) write ports
 *   that way, and the value is exact. Any other fraction (`"445.5"`, 445.5) is a reject, not a truncation —
 *   Kusto's `toint("3.14")` gives null, and silently losing the value is worse. int outside
 *   [-2^31, 2^31-1] is a reject. long beyond ±(2^53-1) is a reject: the record keeps numbers, which cannot hold
 *   it exactly (record.ts). Booleans are not numbers here: a `true` port is a mapping error.
 * - real: numbers, numeric text, and Kusto's spellings of the specials (`NaN`, `Infinity`, `-Infinity`,
 *   `inf`, `-inf`, any case).
 * - bool: `true`/`false` in any case (`True`, `TRUE`), the texts `1`/`0` (CSV exports of bool columns), and
 *   numbers as Kusto's `tobool` reads them (0 → false, any other number → true). Other text (`yes`, `t`) is a
 *   reject.
 * - datetime: ISO 8601 (`2023-07-05T14:16:44.7561234Z`, `…+02:00`; up to 7 — in fact 9 — fractional digits,
 *   truncated to microseconds) and the Log Analytics display form (`7/5/2023, 2:16:44.756 PM`). Text without a
 *   zone is UTC, as Kusto reads it, unless the `timezone` option names the zone it was written in (then every
 *   column but those suffixed [UTC] reads in that zone), and except in columns whose clock is local (CSV
 *   `[Local Time]` headers): there the `timezone` option says the zone, and without it the value is a reject
 *   (the export does not say which zone the exporter's browser was in; guessing UTC would shift every event by
 *   hours without a trace).
 *   Numbers, and digit-only text, are rejects: an epoch value does not say whether it counts seconds,
 *   milliseconds or 100 ns ticks, and the ASIM table never stores one. Typed timestamps from Parquet come as
 *   `Instant`s and are exact.
 * - dynamic: JSON text, validated (kept as given, trimmed); objects, arrays, numbers, booleans → their JSON
 *   text; invalid JSON text is a reject. "" and null → null.
 * - Empty text ("", whitespace) in a non-string column is null ("no value"), as in a CSV export's empty cell.
 *
 * Unknown column names (a Sentinel export carries `TenantId`, `_ItemId`, `SourceSystem`, `_BilledSize`, …
 * beside the schema's columns) are ignored, not rejected: they are table metadata, not session data, and
 * refusing them would refuse every real export. `planColumns` lists them; the CSV format names them in its
 * detection reason (`ingest --explain-format`). JSON keys vary per line and are not listed.
 */
import type { AsimRecord, AsimValue, Micros } from './record.js';
import { ASIM_COLUMN_TYPES, type AsimType } from './schema.js';
import { isKnownTimeZone, isoHasZone, isoToMicros, logAnalyticsToMicros, microsToIso, zonedWallTimeToMicros } from '../util/time.js';
import { parseJson } from '../sources/json-depth.js';

/** A point in time from a typed source (a Parquet TIMESTAMP): exact, no zone to decide. */
export class Instant {
  constructor(readonly micros: Micros) {}
}

/** How zone-less datetime text of a column is read. */
export type Clock =
  | { readonly kind: 'utc' }
  /** Wall-clock time of the exporter; `zone` is the user's `timezone` option, when given. */
  | { readonly kind: 'local'; readonly zone: string | undefined };

export const UTC_CLOCK: Clock = { kind: 'utc' };

/** Checks the user's `timezone` option once, before reading: an unknown name would otherwise fail every record. */
export function requireKnownTimeZone(inputName: string, zone: string | undefined): void {
  if (zone !== undefined && !isKnownTimeZone(zone)) {
    throw new Error(`${inputName}: unknown time zone "${zone}" (expected an IANA name such as Europe/Berlin)`);
  }
}

export type Coerced = { readonly ok: true; readonly value: AsimValue } | { readonly ok: false; readonly reason: string };

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const MAX_SHOWN_VALUE = 80;

/** One typed value; `column` only serves the reason text. */
export function coerceValue(column: string, type: AsimType, raw: unknown, clock: Clock = UTC_CLOCK): Coerced {
  if (type === 'string') return ok(toKustoString(raw));
  if (raw === null || raw === undefined) return ok(null);
  if (typeof raw === 'string' && raw.trim() === '') return ok(null);
  const result = COERCERS[type](raw, clock);
  if (typeof result === 'string') return { ok: false, reason: `${column}: ${show(raw)} ${result}` };
  return ok(result.value);
}

/** A value, or (as a plain string) why the raw value is not of the type. */
type Coercer = (raw: unknown, clock: Clock) => { value: AsimValue } | string;

const COERCERS: Record<Exclude<AsimType, 'string'>, Coercer> = {
  int: (raw) => toInteger(raw, INT32_MIN, INT32_MAX, 'an int (32-bit)'),
  long: (raw) => toInteger(raw, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'a long within ±(2^53-1)'),
  real: toReal,
  bool: toBool,
  datetime: toDatetime,
  dynamic: toDynamic,
};

function ok(value: AsimValue): Coerced {
  return { ok: true, value };
}

/** Kusto's `tostring`: null → "", scalars printed, objects as JSON text. */
export function toKustoString(raw: unknown): string {
  if (raw === null || raw === undefined) return '';
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint') return String(raw);
  if (raw instanceof Instant) return instantText(raw);
  return JSON.stringify(raw);
}

const INTEGER_TEXT = /^[+-]?\d+(?:\.0*)?$/;

function toInteger(raw: unknown, min: number, max: number, what: string): { value: number } | string {
  let value: number | bigint;
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) return `is not ${what}: it has a fraction`;
    value = raw;
  } else if (typeof raw === 'bigint') {
    value = raw;
  } else if (typeof raw === 'string') {
    const text = raw.trim();
    if (!INTEGER_TEXT.test(text)) return `is not ${what}`;
    value = BigInt(text.replace(/\.0*$/, ''));
  } else {
    return `is not ${what}`;
  }
  if (value < min || value > max) return `is out of range for ${what}`;
  return { value: Number(value) };
}

const REAL_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const REAL_SPECIALS: ReadonlyMap<string, number> = new Map([
  ['nan', NaN],
  ['infinity', Infinity],
  ['+infinity', Infinity],
  ['-infinity', -Infinity],
  ['inf', Infinity],
  ['+inf', Infinity],
  ['-inf', -Infinity],
]);

function toReal(raw: unknown): { value: number } | string {
  if (typeof raw === 'number') return { value: raw };
  if (typeof raw === 'bigint') return { value: Number(raw) };
  if (typeof raw !== 'string') return 'is not a real';
  const text = raw.trim();
  if (REAL_TEXT.test(text)) return { value: Number(text) };
  const special = REAL_SPECIALS.get(text.toLowerCase());
  return special === undefined ? 'is not a real' : { value: special };
}

const BOOL_TEXTS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['false', false],
  ['1', true],
  ['0', false],
]);

function toBool(raw: unknown): { value: boolean } | string {
  if (typeof raw === 'boolean') return { value: raw };
  if (typeof raw === 'number') return Number.isNaN(raw) ? 'is not a bool' : { value: raw !== 0 };
  if (typeof raw === 'bigint') return { value: raw !== 0n };
  if (typeof raw !== 'string') return 'is not a bool';
  const value = BOOL_TEXTS.get(raw.trim().toLowerCase());
  return value === undefined ? 'is not a bool (true/false/1/0)' : { value };
}

const OUT_OF_DATETIME_RANGE = 'is outside the datetime range held exactly in microseconds (about years 1685 to 2255)';

function toDatetime(raw: unknown, clock: Clock): { value: Micros } | string {
  const result = toMicros(raw, clock);
  if (typeof result !== 'string' && !Number.isSafeInteger(result.value)) return OUT_OF_DATETIME_RANGE;
  return result;
}

function toMicros(raw: unknown, clock: Clock): { value: Micros } | string {
  if (raw instanceof Instant) return { value: raw.micros };
  if (typeof raw === 'number' || typeof raw === 'bigint') {
    return 'is a number, not a datetime: epoch units are ambiguous, write ISO 8601 (2023-07-05T14:16:44Z)';
  }
  if (typeof raw !== 'string') return 'is not a datetime';
  const text = raw.trim();
  const iso = isoToMicros(text);
  if (iso !== null && (clock.kind === 'utc' || isoHasZone(text))) return { value: iso };
  const wall = iso ?? logAnalyticsToMicros(text);
  if (wall === null) {
    return /^[\d.]+$/.test(text)
      ? 'is a number, not a datetime: epoch units are ambiguous, write ISO 8601 (2023-07-05T14:16:44Z)'
      : 'is not a datetime (ISO 8601 or 7/5/2023, 2:16:44.756 PM)';
  }
  if (clock.kind === 'utc') return { value: wall };
  if (clock.zone === undefined) {
    return 'is local time of an unknown zone ([Local Time] column): give the timezone option (e.g. --timezone Europe/Berlin)';
  }
  return { value: zonedWallTimeToMicros(wall, clock.zone) };
}

function toDynamic(raw: unknown): { value: string } | string {
  if (raw instanceof Instant) return { value: JSON.stringify(instantText(raw)) };
  if (typeof raw === 'bigint') return { value: raw.toString() };
  if (typeof raw !== 'string') return { value: JSON.stringify(raw) };
  const text = raw.trim();
  try {
    parseJson(text);
  } catch {
    return 'is not valid JSON';
  }
  return { value: text };
}

/** ISO text of an instant; beyond what Date can print (DuckDB's infinity timestamps), its microseconds. */
export function instantText(instant: Instant): string {
  return Number.isSafeInteger(instant.micros) ? microsToIso(instant.micros) : `${instant.micros} µs`;
}

/** The raw value as a reason quotes it: JSON-quoted, shortened. */
function show(raw: unknown): string {
  const text = typeof raw === 'bigint' ? raw.toString() : raw instanceof Instant ? instantText(raw) : JSON.stringify(raw);
  return text.length > MAX_SHOWN_VALUE ? `${text.slice(0, MAX_SHOWN_VALUE)}…` : text;
}

// ---------------------------------------------------------------------------------------------------------
// Columns and records

/** Where a source column goes: its ASIM column, its type, and how its zone-less times read. */
export interface ColumnBinding {
  /** The name as the source spells it (`TimeGenerated [UTC]`): rejects cite it. */
  readonly source: string;
  readonly column: string;
  readonly type: AsimType;
  readonly clock: Clock;
}

/** Log Analytics exports suffix datetime headers with the clock they are shown in. */
const HEADER_CLOCK_SUFFIX = /^(.*?)\s*\[(UTC|Local Time)\]$/;

/**
 * Binds one source column name, or undefined for a name that is not an ASIM column. Zone-less times of a column
 * suffixed [UTC] are UTC; of one suffixed [Local Time], in `localZone` (a reject without it); of a plain column,
 * in `localZone` when the user gave one (`--timezone`: an export written in local time), else UTC as Kusto reads
 * them. Times that carry a zone are read as written in every case.
 */
export function bindColumn(source: string, localZone: string | undefined): ColumnBinding | undefined {
  const suffixed = HEADER_CLOCK_SUFFIX.exec(source);
  const column = suffixed ? (suffixed[1] ?? '') : source;
  const type = ASIM_COLUMN_TYPES.get(column);
  if (type === undefined) return undefined;
  const clock: Clock = suffixed?.[2] === 'UTC' ? UTC_CLOCK : suffixed?.[2] === 'Local Time' || localZone !== undefined ? { kind: 'local', zone: localZone } : UTC_CLOCK;
  return { source, column, type, clock };
}

export interface ColumnPlan {
  /** One entry per source column, in source order: a binding, or undefined when the column is ignored. */
  readonly bindings: ReadonlyArray<ColumnBinding | undefined>;
  /** Source columns that are not ASIM columns (ignored), and later duplicates of an ASIM column. */
  readonly ignored: readonly string[];
}

/**
 * Binds a header (CSV, Parquet). When two source columns name the same ASIM column
 * (`TimeGenerated [UTC]` and `TimeGenerated [Local Time]`), the UTC one wins, else the first.
 */
export function planColumns(names: readonly string[], localZone: string | undefined): ColumnPlan {
  const candidates = names.map((name) => bindColumn(name, localZone));
  const chosen = new Map<string, number>();
  candidates.forEach((binding, index) => {
    if (!binding) return;
    const previous = chosen.get(binding.column);
    const previousIsUtc = previous !== undefined && candidates[previous]?.clock.kind === 'utc';
    if (previous === undefined || (!previousIsUtc && binding.clock.kind === 'utc')) chosen.set(binding.column, index);
  });
  const keep = new Set(chosen.values());
  const bindings = candidates.map((binding, index) => (keep.has(index) ? binding : undefined));
  const ignored = names.filter((_, index) => !keep.has(index));
  return { bindings, ignored };
}

export type RecordOutcome =
  | { readonly ok: true; readonly record: AsimRecord }
  | { readonly ok: false; readonly field: string; readonly reason: string };

/**
 * Types one record from (binding, raw value) pairs. Every field that fails is named in the reason (the first
 * is `field`); a record without a valid TimeGenerated is refused, since the store orders and windows by it.
 */
export function coerceRecord(values: Iterable<readonly [ColumnBinding, unknown]>): RecordOutcome {
  const record: AsimRecord = {};
  const failures: Array<{ field: string; reason: string }> = [];
  for (const [binding, raw] of values) {
    const result = coerceValue(binding.source, binding.type, raw, binding.clock);
    if (result.ok) record[binding.column] = result.value;
    else failures.push({ field: binding.source, reason: result.reason });
  }
  const first = failures[0];
  if (first) return { ok: false, field: first.field, reason: failures.map((failure) => failure.reason).join('; ') };
  if (record.TimeGenerated === null || record.TimeGenerated === undefined) {
    return { ok: false, field: 'TimeGenerated', reason: 'TimeGenerated is missing or empty: every record needs its time' };
  }
  return { ok: true, record };
}

/**
 * Types a JSON object whose keys are ASIM column names (unknown keys ignored). Times without a zone are UTC,
 * except under keys suffixed ` [Local Time]` (as in a CSV export), which are read in `localZone`.
 */
export function coerceJsonObject(object: Readonly<Record<string, unknown>>, localZone?: string): RecordOutcome {
  const pairs: Array<readonly [ColumnBinding, unknown]> = [];
  for (const key of Object.keys(object)) {
    const binding = jsonBinding(key, localZone);
    if (binding) pairs.push([binding, object[key]]);
  }
  return coerceRecord(pairs);
}

const jsonBindings = new Map<string, ColumnBinding | undefined>();
const MAX_CACHED_KEYS = 10_000;

/** JSON keys repeat on every line: bind each once (per zone), up to a bound against hostile key variety. */
function jsonBinding(key: string, localZone: string | undefined): ColumnBinding | undefined {
  const cacheKey = `${localZone ?? ''}\u0000${key}`;
  const cached = jsonBindings.get(cacheKey);
  if (cached !== undefined || jsonBindings.has(cacheKey)) return cached;
  const binding = bindColumn(key, localZone);
  if (jsonBindings.size < MAX_CACHED_KEYS) jsonBindings.set(cacheKey, binding);
  return binding;
}
