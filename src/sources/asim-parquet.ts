/**
 * Native ASIM NetworkSession records in a Parquet file, read through an in-memory DuckDB (one thread: the
 * machine is shared) chunk by chunk, never all rows at once. Column names are ASIM names (Log Analytics
 * suffixes stripped as in CSV); Parquet's own types are typed again by coerce.ts, so a port stored as the
 * string "445" becomes the int 445 and a TIMESTAMP becomes exact microseconds. Rejects cite the row number
 * (1-based) as their line.
 */
import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  JsonDuckDBValueConverter,
  type DuckDBDataChunk,
  type DuckDBValue,
} from '@duckdb/node-api';
import { coerceRecord, Instant, instantText, planColumns, requireKnownTimeZone, type ColumnBinding } from '../asim/coerce.js';
import type { ContentSample, ParseEvent, ParseOptions, SniffVerdict, SourceFormat, SourceInput } from './types.js';

const PARQUET_MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1"
const MICROS_PER_DAY = 86_400_000_000;
const MAX_RAW_CHARS = 2000;

/** Nested DuckDB types: read as JSON values (then JSON text in a string or dynamic column). */
const NESTED_TYPES: ReadonlySet<DuckDBTypeId> = new Set([
  DuckDBTypeId.LIST,
  DuckDBTypeId.STRUCT,
  DuckDBTypeId.MAP,
  DuckDBTypeId.ARRAY,
  DuckDBTypeId.UNION,
]);

export const asimParquet: SourceFormat = {
  name: 'asim-parquet',
  title: 'ASIM NetworkSession records, Parquet',
  asimParser: 'vimNetworkSessionNative (records are already normalized: typed only)',
  detection: 'Parquet magic bytes "PAR1" (the schema, in the footer, is checked at parse time: TimeGenerated is required)',
  lineBased: false,
  sniff: sniffParquet,
  parse: parseParquet,
};

function sniffParquet(sample: ContentSample): SniffVerdict {
  const magic = PARQUET_MAGIC.every((byte, index) => sample.bytes[index] === byte);
  return magic ? { verdict: 'match', reason: 'Parquet magic bytes PAR1' } : { verdict: 'no' };
}

async function* parseParquet(input: SourceInput, options: ParseOptions): AsyncGenerator<ParseEvent[]> {
  requireKnownTimeZone(input.name, options.timezone);
  const path = await input.localFile();
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    // The path is a bound parameter: never part of the SQL text.
    const result = await connection.stream('SELECT * FROM read_parquet(?)', [path]);
    const names = result.columnNames();
    const types = result.columnTypes();
    const plan = planColumns(names, options.timezone);
    if (!plan.bindings.some((binding) => binding?.column === 'TimeGenerated')) {
      throw new Error(`${input.name}: the Parquet file has no TimeGenerated column, which every ASIM record needs`);
    }
    const nested = types.map((type) => NESTED_TYPES.has(type.typeId));
    let rowsBefore = 0;
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      yield eventsOfChunk(chunk, plan.bindings, nested, rowsBefore);
      rowsBefore += chunk.rowCount;
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function eventsOfChunk(
  chunk: DuckDBDataChunk,
  bindings: ReadonlyArray<ColumnBinding | undefined>,
  nested: readonly boolean[],
  rowsBefore: number,
): ParseEvent[] {
  const columns = bindings.map((binding, index) => {
    if (!binding) return undefined;
    return nested[index]
      ? chunk.convertColumnValues(index, JsonDuckDBValueConverter)
      : chunk.getColumnValues(index).map(rawOfDuckDBValue);
  });
  const events: ParseEvent[] = [];
  for (let row = 0; row < chunk.rowCount; row++) {
    const pairs: Array<readonly [ColumnBinding, unknown]> = [];
    bindings.forEach((binding, index) => {
      if (binding) pairs.push([binding, columns[index]?.[row]]);
    });
    const line = rowsBefore + row + 1;
    const outcome = coerceRecord(pairs);
    if (outcome.ok) events.push({ kind: 'record', record: outcome.record, line });
    else events.push({ kind: 'reject', line, reason: outcome.reason, field: outcome.field, raw: rowAsJson(pairs) });
  }
  return events;
}

/** DuckDB's value classes → what coerce.ts reads: JS scalars, bigint, or an exact `Instant`. */
export function rawOfDuckDBValue(value: DuckDBValue): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) return instantOf(value.micros, 1n);
  if (value instanceof DuckDBTimestampMillisecondsValue) return instantOf(value.millis * 1000n, 1n);
  if (value instanceof DuckDBTimestampSecondsValue) return instantOf(value.seconds * 1_000_000n, 1n);
  if (value instanceof DuckDBTimestampNanosecondsValue) return instantOf(value.nanos, 1000n);
  if (value instanceof DuckDBDateValue) return new Instant(value.days * MICROS_PER_DAY);
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  return value.toString();
}

/** Floor division, so a time before 1970 rounds down to its microsecond like every other source. */
function instantOf(units: bigint, perMicro: bigint): Instant {
  let micros = units / perMicro;
  if (units % perMicro !== 0n && units < 0n) micros -= 1n;
  return new Instant(Number(micros));
}

function rowAsJson(pairs: ReadonlyArray<readonly [ColumnBinding, unknown]>): string {
  const row: Record<string, unknown> = {};
  for (const [binding, raw] of pairs) row[binding.source] = raw instanceof Instant ? instantText(raw) : raw;
  const text = JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  return text.length > MAX_RAW_CHARS ? text.slice(0, MAX_RAW_CHARS) : text;
}
