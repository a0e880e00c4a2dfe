/**
 * Kusto scalar types as the compiler uses them. Names are Kusto's (`long`, `real`, …) as Kusto.Language prints them.
 */
export type ScalarType = 'bool' | 'int' | 'long' | 'real' | 'decimal' | 'string' | 'datetime' | 'timespan' | 'dynamic' | 'guid';

export interface Column {
  readonly name: string;
  readonly type: ScalarType;
}

const KNOWN: ReadonlySet<string> = new Set(['bool', 'int', 'long', 'real', 'decimal', 'string', 'datetime', 'timespan', 'dynamic', 'guid']);

/** Kusto.Language's type name (`long`, `bool`, `timespan`, …) as a ScalarType, or undefined for anything else. */
export function scalarTypeOf(name: string): ScalarType | undefined {
  const normalized = name === 'boolean' ? 'bool' : name === 'double' ? 'real' : name === 'time' ? 'timespan' : name === 'date' ? 'datetime' : name;
  return KNOWN.has(normalized) ? (normalized as ScalarType) : undefined;
}

export const isNumeric = (t: ScalarType): boolean => t === 'int' || t === 'long' || t === 'real' || t === 'decimal';
export const isInteger = (t: ScalarType): boolean => t === 'int' || t === 'long';

/** Microseconds per unit: datetimes and timespans are held in microseconds (Kusto's 100 ns ticks truncated). */
export const MICROS = {
  tick: 0.1,
  microsecond: 1,
  millisecond: 1_000,
  second: 1_000_000,
  minute: 60_000_000,
  hour: 3_600_000_000,
  day: 86_400_000_000,
} as const;
