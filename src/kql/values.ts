/**
 * Result values in one form whatever the engine: the single place where engine values become Kusto values.
 * Used by the conformance tests (comparison across engines and with expectations) and by `query --output json`.
 *
 * Forms (the JSON form of Kusto results): long/int/real → number (NaN and ±Infinity kept as numbers), bool →
 * boolean, string → string (never null), datetime → ISO 8601 UTC text `2024-01-01T00:00:00Z` (fraction only when
 * not whole, trailing zeros trimmed), timespan → Kusto text `1.02:03:04`, dynamic → parsed JSON, null → null.
 * Compiled queries return datetimes and timespans as integer microseconds (sql/generate.ts `resultSql`).
 */
import { isoToMicros, microsToIso } from '../util/time.js';
import { formatTimespan, parseTimespan } from './timespan.js';
import type { ScalarType } from './types.js';

export type KustoValue = null | boolean | number | string | KustoValue[] | { [key: string]: KustoValue };

function toNumber(raw: unknown): number | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'bigint') return Number(raw);
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  const text = String(raw).trim().toLowerCase();
  if (text === 'nan' || text === '-nan') return Number.NaN;
  if (text === 'inf' || text === '+inf' || text === 'infinity') return Infinity;
  if (text === '-inf' || text === '-infinity') return -Infinity;
  const n = Number(text);
  return Number.isNaN(n) ? null : n;
}

/** Kusto's text of a datetime given in microseconds. */
export function formatDatetime(micros: number): string {
  const iso = microsToIso(micros); // …ss.ffffffZ
  return iso.replace(/\.?0+Z$/, 'Z').replace(/\.Z$/, 'Z');
}

/**
 * Kusto's `tostring()` of a datetime (also its text inside `dynamic`): `2024-01-01T00:00:00Z` for a whole second,
 * else seven fraction digits, `2015-12-31T23:59:59.9000000Z` (docs/kql.md, decisions).
 */
export function datetimeText(micros: number): string {
  const iso = microsToIso(micros); // …ss.ffffffZ
  return iso.replace(/\.(\d{6})Z$/, (_, f: string) => (f === '000000' ? 'Z' : `.${f}0Z`));
}

/**
 * A datetime as Kusto writes it inside a dynamic value: always seven fraction digits, `2017-01-01T00:00:00.0000000Z`
 * (the docs' make-series, range and pack_array examples).
 */
export function dynamicDatetimeText(micros: number): string {
  return microsToIso(micros).replace(/\.(\d{6})Z$/, (_, f: string) => `.${f}0Z`);
}

export function normalizeValue(type: ScalarType, raw: unknown): KustoValue {
  if (type === 'string') return raw === null || raw === undefined ? '' : String(raw);
  if (raw === null || raw === undefined) return null;
  if (type === 'guid') return String(raw);
  switch (type) {
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string') return raw === 'true' || raw === '1';
      return toNumber(raw) !== 0;
    case 'int':
    case 'long':
    case 'real':
    case 'decimal':
      return toNumber(raw);
    case 'datetime': {
      if (raw instanceof Date) return formatDatetime(raw.getTime() * 1000);
      const micros = toNumber(raw);
      return micros === null ? null : formatDatetime(micros);
    }
    case 'timespan': {
      const micros = toNumber(raw);
      return micros === null ? null : formatTimespan(micros);
    }
    case 'dynamic': {
      if (typeof raw !== 'string') return raw as KustoValue;
      try {
        return JSON.parse(raw) as KustoValue;
      } catch {
        return raw;
      }
    }
  }
}

/**
 * An expected value written by hand (JSON/YAML form) in the same canonical form, so that `2024-01-01T00:00:00.000Z`
 * and `2024-01-01T00:00:00Z`, or `1.00:00:00` and `1d`, compare equal.
 */
export function canonicalExpected(type: ScalarType, value: unknown): KustoValue {
  if (value === null || value === undefined) return type === 'string' ? '' : null;
  if (type === 'datetime' && typeof value === 'string') {
    const micros = isoToMicros(value);
    return micros === null ? value : formatDatetime(micros);
  }
  if (type === 'timespan' && typeof value === 'string') {
    const micros = parseTimespan(value) ?? parseTimespan(`time(${value})`);
    return micros === undefined ? value : formatTimespan(micros);
  }
  if (type === 'dynamic' && typeof value === 'string') {
    try {
      return JSON.parse(value) as KustoValue;
    } catch {
      return value;
    }
  }
  if ((type === 'real' || type === 'long' || type === 'int') && typeof value === 'string') return toNumber(value);
  return value as KustoValue;
}
