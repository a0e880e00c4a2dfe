import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AsimRecord } from '../../src/asim/record.js';
import { ASIM_COLUMNS, type AsimType } from '../../src/asim/schema.js';
import { asimCsv } from '../../src/sources/asim-csv.js';
import { asimJsonArray, asimJsonLines } from '../../src/sources/asim-json.js';
import { asimParquet } from '../../src/sources/asim-parquet.js';
import { inputFromBuffer } from '../../src/sources/input.js';
import { microsToIso } from '../../src/util/time.js';
import { brief, collect, fixtureInput, REAL_DATA, sniffText } from '../asim/collect.js';

// Epoch seconds from `date -u -d "<time> UTC" +%s`.
const T_141644 = 1_688_566_604_000_000; // 2023-07-05 14:16:44 UTC, in µs
const T_121644 = 1_688_559_404_000_000; // 2023-07-05 12:16:44 UTC, in µs

describe('asim-jsonl', () => {
  it('types records, skips blank lines, and rejects what cannot be typed, by line', async () => {
    const events = await collect(asimJsonLines, fixtureInput('sessions.jsonl'));
    const notJson = events[3];
    expect(notJson?.kind === 'reject' && notJson.reason.startsWith('not valid JSON: ')).toBe(true);
    expect(brief(events)).toEqual([
      {
        kind: 'record',
        line: 1,
        record: {
          TimeGenerated: T_141644 + 756_000,
          EventSchema: 'NetworkSession',
          EventSchemaVersion: '0.2.6',
          SrcIpAddr: '10.0.0.5',
          DstIpAddr: '10.0.0.9',
          DstPortNumber: 445,
          SrcBytes: 1200,
          TcpFlagsSyn: true,
        },
      },
      {
        kind: 'record',
        line: 3,
        record: { TimeGenerated: T_141644 + 756_123, SrcIpAddr: '10.0.0.6', DstPortNumber: 445, NetworkDuration: 0, DstGeoLatitude: 47.5 },
      },
      { kind: 'record', line: 4, record: { TimeGenerated: T_121644, DstIpAddr: '10.0.0.9', DstPortNumber: 139, EventCount: 1 } },
      { kind: 'reject', line: 5, field: undefined, reason: notJson?.kind === 'reject' ? notJson.reason : '' },
      { kind: 'reject', line: 6, field: 'TimeGenerated', reason: 'TimeGenerated is missing or empty: every record needs its time' },
      { kind: 'reject', line: 7, field: 'DstPortNumber', reason: 'DstPortNumber: "smb" is not an int (32-bit)' },
      { kind: 'reject', line: 8, field: undefined, reason: 'not a JSON object' },
      {
        kind: 'record',
        line: 9,
        record: {
          TimeGenerated: T_141644 + 756_000,
          EventSchema: 'NetworkSession',
          AdditionalFields: '{"share":"ADMIN$","n":[1,2]}',
          TcpFlagsAck: false,
        },
      },
    ]);
  });

  it('keeps the offending line as raw text of a reject', async () => {
    const events = await collect(asimJsonLines, fixtureInput('sessions.jsonl'));
    const reject = events.find((event) => event.kind === 'reject' && event.line === 7);
    expect(reject?.kind === 'reject' && reject.raw).toBe('{"TimeGenerated":"2023-07-05T14:16:44Z","SrcIpAddr":"10.0.0.8","DstPortNumber":"smb"}');
  });
});

describe('asim-json: [Local Time] keys', () => {
  const line = '{"TimeGenerated [Local Time]":"7/5/2023, 2:16:44.756 PM","SrcIpAddr":"10.0.0.5"}\n';

  it('reads them in the zone of the timezone option, as in a CSV export', async () => {
    expect(brief(await collect(asimJsonLines, inputFromBuffer('local.jsonl', line), { timezone: 'Europe/Berlin' }))).toEqual([
      { kind: 'record', line: 1, record: { TimeGenerated: T_121644 + 756_000, SrcIpAddr: '10.0.0.5' } },
    ]);
    expect(brief(await collect(asimJsonArray, inputFromBuffer('local.json', `[${line}]`), { timezone: 'UTC' }))).toEqual([
      { kind: 'record', line: 1, record: { TimeGenerated: T_141644 + 756_000, SrcIpAddr: '10.0.0.5' } },
    ]);
  });

  it('rejects them without a zone, and refuses an unknown zone before reading', async () => {
    const events = await collect(asimJsonLines, inputFromBuffer('local.jsonl', line));
    expect(events[0]?.kind === 'reject' && events[0].field).toBe('TimeGenerated [Local Time]');
    await expect(collect(asimJsonLines, inputFromBuffer('local.jsonl', line), { timezone: 'Nowhere/Else' })).rejects.toThrow(
      'unknown time zone "Nowhere/Else"',
    );
  });
});

describe('asim-json-array', () => {
  it('splits a pretty-printed array into elements and reports each at its first line', async () => {
    const events = await collect(asimJsonArray, fixtureInput('sessions-array.json'));
    const trailingComma = events[5];
    expect(trailingComma?.kind === 'reject' && trailingComma.reason.startsWith('not valid JSON: ')).toBe(true);
    expect(trailingComma?.kind === 'reject' && trailingComma.raw).toBe('{\n    "TimeGenerated": "2023-07-05T14:16:44Z",\n    "SrcIpAddr": "10.0.0.9",\n  }');
    expect(brief(events)).toEqual([
      {
        kind: 'record',
        line: 2,
        record: {
          TimeGenerated: T_141644 + 756_000,
          EventSchema: 'NetworkSession',
          SrcIpAddr: '10.0.0.5',
          DstIpAddr: '10.0.0.9',
          DstPortNumber: 445,
          EventMessage: 'a, b ] and } inside a "string"',
          _ResourceId: '',
        },
      },
      { kind: 'reject', line: 11, field: 'TcpFlagsRst', reason: 'TcpFlagsRst: "maybe" is not a bool (true/false/1/0)' },
      { kind: 'record', line: 16, record: { TimeGenerated: T_141644, SrcIpAddr: '10.0.0.7', AdditionalFields: '{"k":[1,{"x":"]"}]}' } },
      { kind: 'reject', line: 17, field: 'TimeGenerated', reason: 'TimeGenerated is missing or empty: every record needs its time' },
      { kind: 'reject', line: 18, field: undefined, reason: 'not a JSON object' },
      { kind: 'reject', line: 19, field: undefined, reason: trailingComma?.kind === 'reject' ? trailingComma.reason : '' },
    ]);
  });

  it('reads a one-line array, and reports content after it and an array never closed', async () => {
    const oneLine = '[{"TimeGenerated":"2023-07-05T14:16:44Z","SrcIpAddr":"a"},{"TimeGenerated":"2023-07-05T14:16:44Z","SrcIpAddr":"b"}]\n';
    expect(brief(await collect(asimJsonArray, inputFromBuffer('one.json', oneLine + 'junk\n\n')))).toEqual([
      { kind: 'record', line: 1, record: { TimeGenerated: T_141644, SrcIpAddr: 'a' } },
      { kind: 'record', line: 1, record: { TimeGenerated: T_141644, SrcIpAddr: 'b' } },
      { kind: 'reject', line: 2, field: undefined, reason: 'content after the end of the JSON array' },
    ]);
    const truncated = '[\n{"TimeGenerated":"2023-07-05T14:16:44Z","SrcIpAddr":"a"},\n{"TimeGenerated":"2023-07-05T14:16:44Z",\n';
    expect(brief(await collect(asimJsonArray, inputFromBuffer('cut.json', truncated)))).toEqual([
      { kind: 'record', line: 2, record: { TimeGenerated: T_141644, SrcIpAddr: 'a' } },
      {
        kind: 'reject',
        line: 3,
        field: undefined,
        reason: 'element not terminated: the JSON array ends inside it (brackets unbalanced or file truncated)',
      },
    ]);
    expect(brief(await collect(asimJsonArray, inputFromBuffer('open.json', '[\n{"TimeGenerated":"2023-07-05T14:16:44Z"},\n')))).toEqual([
      { kind: 'record', line: 2, record: { TimeGenerated: T_141644 } },
      { kind: 'reject', line: 1, field: undefined, reason: 'the JSON array is never closed (no final ]): file truncated?' },
    ]);
  });
});

describe('sniffing', () => {
  const asimLine = '{"TimeGenerated":"2023-07-05T14:16:44Z","SrcIpAddr":"10.0.0.5","DstPortNumber":445}\n';

  it('claims ASIM JSON lines and arrays, each in its own format', () => {
    expect(sniffText(asimJsonLines, asimLine)).toBe('match');
    expect(sniffText(asimJsonLines, '{"TimeGenerated":"2023-07-05T14:16:44Z","EventSchema":"NetworkSession"}\n')).toBe('match');
    expect(sniffText(asimJsonArray, asimLine)).toBe('no');
    expect(sniffText(asimJsonArray, readFileSync(fixtureInput('sessions-array.json').name))).toBe('match');
    expect(sniffText(asimJsonLines, readFileSync(fixtureInput('sessions-array.json').name))).toBe('no');
  });

  it('does not claim other JSON logs, nor other ASIM encodings', () => {
    const others = [
      '{"ts":1709542801.1,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":50000,"id.resp_h":"10.0.0.9","id.resp_p":445,"proto":"tcp"}',
      '{"timestamp":"2023-07-05T14:16:44.756+0000","event_type":"flow","src_ip":"10.0.0.5","dest_ip":"10.0.0.9","dest_port":445}',
      '{"EventID":3,"SourceName":"Microsoft-Windows-Sysmon","SourceIp":"10.0.0.5","DestinationPort":"445","UtcTime":"2023-07-05 14:16:44.756"}',
      '{"TimeGenerated":"2023-07-05T14:16:44Z","ActionType":"ConnectionSuccess","LocalIP":"10.0.0.5","RemoteIP":"10.0.0.9","RemotePort":445}',
      '{"TimeGenerated":"2023-07-05T14:16:44Z","EventSchema":"Dns","SrcIpAddr2":"10.0.0.5"}',
    ];
    for (const line of others) {
      expect(sniffText(asimJsonLines, line + '\n'), line).toBe('no');
      expect(sniffText(asimJsonArray, `[${line}]`), line).toBe('no');
    }
    expect(sniffText(asimJsonLines, 'TimeGenerated,SrcIpAddr,DstIpAddr\n')).toBe('no');
    expect(sniffText(asimCsv, asimLine)).toBe('no');
    expect(sniffText(asimParquet, asimLine)).toBe('no');
  });

  const zeekJson = resolve(REAL_DATA, 'otrf/apt29-day1-NASHUA_conn.log');
  it('does not claim a real Zeek JSON conn.log (OTRF apt29)', () => {
    const head = readFileSync(zeekJson).subarray(0, 64 * 1024);
    expect(sniffText(asimJsonLines, head)).toBe('no');
    expect(sniffText(asimJsonArray, head)).toBe('no');
    expect(sniffText(asimCsv, head)).toBe('no');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties: typed records survive JSON lines; damaged lines become rejects, never exceptions.

const COLUMNS_BY_TYPE = new Map<AsimType, string[]>();
for (const column of ASIM_COLUMNS) {
  if (column.name === 'TimeGenerated') continue;
  COLUMNS_BY_TYPE.set(column.type, [...(COLUMNS_BY_TYPE.get(column.type) ?? []), column.name]);
}

/** A typed value and one of the ways a JSON producer may write it. */
type Field = readonly [column: string, value: AsimRecord[string], written: unknown];

/** Characters that break naive JSON or line handling: whitespace, quotes, escapes, separators, line ends. */
const TRICKY_CHARACTER = fc.constantFrom(' ', '\t', '\n', '\r', '\u2028', '"', '\\', ',', '{', ']', 'é', 'a', '0');

const MIN_MICROS = 0; // 1970
const MAX_MICROS = 4_102_444_800_000_000; // 2100-01-01

function datetimeField(column: string): fc.Arbitrary<Field> {
  return fc
    .tuple(fc.integer({ min: MIN_MICROS, max: MAX_MICROS }), fc.integer({ min: -14 * 60, max: 14 * 60 }), fc.integer({ min: 0, max: 9 }), fc.boolean())
    .map(([micros, offsetMinutes, seventhDigit, withOffset]): Field => {
      if (!withOffset) return [column, micros, microsToIso(micros).replace('Z', `${seventhDigit}Z`)];
      const wall = microsToIso(micros + offsetMinutes * 60_000_000).slice(0, -1);
      const sign = offsetMinutes < 0 ? '-' : '+';
      const hh = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0');
      const mm = String(Math.abs(offsetMinutes) % 60).padStart(2, '0');
      return [column, micros, `${wall}${sign}${hh}:${mm}`];
    });
}

function fieldOf(type: AsimType, column: string): fc.Arbitrary<Field> {
  const maybeText = <T extends number | boolean>(value: T, text: string) => fc.constantFrom<Field>([column, value, value], [column, value, text]);
  switch (type) {
    case 'string':
      return fc
        .oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: TRICKY_CHARACTER, maxLength: 8 }))
        .map((text): Field => [column, text, text]);
    case 'int':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).chain((n) => maybeText(n, String(n)));
    case 'long':
      return fc.maxSafeInteger().chain((n) => maybeText(n, String(n)));
    case 'real':
      return fc
        .double({ noNaN: true, noDefaultInfinity: true })
        .filter((n) => !Object.is(n, -0))
        .chain((n) => maybeText(n, String(n)));
    case 'bool':
      return fc.boolean().chain((b) => maybeText(b, b ? 'True' : 'false'));
    case 'datetime':
      return datetimeField(column);
    case 'dynamic':
      return fc.jsonValue({ maxDepth: 2 }).chain((json) => {
        const text = JSON.stringify(json);
        // A JSON string in a dynamic column is read as JSON text, and null as no value: write those as text.
        if (typeof json === 'string' || json === null) return fc.constant<Field>([column, text, text]);
        return fc.constantFrom<Field>([column, text, json], [column, text, text]);
      });
  }
}

const nullableField = (type: AsimType, column: string): fc.Arbitrary<Field> =>
  type === 'string' ? fieldOf(type, column) : fc.oneof({ weight: 5, arbitrary: fieldOf(type, column) }, { weight: 1, arbitrary: fc.constant<Field>([column, null, null]) });

const anyField: fc.Arbitrary<Field> = fc
  .constantFrom(...COLUMNS_BY_TYPE.entries())
  .chain(([type, columns]) => fc.constantFrom(...columns).chain((column) => nullableField(type, column)));

const recordArbitrary = fc
  .tuple(datetimeField('TimeGenerated'), fc.uniqueArray(anyField, { selector: ([column]) => column, maxLength: 12 }))
  .map((fields) => [fields[0], ...fields[1]]);

function expectedRecord(fields: readonly Field[]): AsimRecord {
  return Object.fromEntries(fields.map(([column, value]) => [column, value]));
}

function writtenObject(fields: readonly Field[]): Record<string, unknown> {
  return Object.fromEntries(fields.map(([column, , written]) => [column, written]));
}

describe('properties', () => {
  it('random records written as JSON lines read back identical, at their line', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordArbitrary, { minLength: 1, maxLength: 8 }), async (records) => {
        const text = records.map((fields) => JSON.stringify(writtenObject(fields))).join('\n') + '\n';
        const events = await collect(asimJsonLines, inputFromBuffer('random.jsonl', text));
        expect(events).toEqual(records.map((fields, index) => ({ kind: 'record', line: index + 1, record: expectedRecord(fields) })));
      }),
      { numRuns: 200 },
    );
  });

  it('the same records read back identical from a pretty-printed JSON array', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordArbitrary, { minLength: 1, maxLength: 5 }), async (records) => {
        const text = JSON.stringify(records.map(writtenObject), null, 2);
        const events = await collect(asimJsonArray, inputFromBuffer('random.json', text));
        expect(events.map((event) => (event.kind === 'record' ? event.record : event))).toEqual(records.map(expectedRecord));
      }),
      { numRuns: 100 },
    );
  });

  const mutation = fc.record({
    at: fc.nat(),
    cut: fc.nat({ max: 12 }),
    insert: fc.string({ maxLength: 4, unit: fc.constantFrom('{', '}', '[', ']', '"', '\\', ',', ':', 'x', '1', ' ', '\u0000', 'é') }),
  });

  it('damaged JSON lines never throw: each non-blank line is one record or one reject', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(recordArbitrary, fc.option(mutation)), { minLength: 1, maxLength: 6 }), async (rows) => {
        const lines = rows.map(([fields, damage]) => {
          const line = JSON.stringify(writtenObject(fields));
          if (!damage) return line;
          const at = damage.at % (line.length + 1);
          return line.slice(0, at) + damage.insert + line.slice(at + damage.cut);
        });
        const events = await collect(asimJsonLines, inputFromBuffer('damaged.jsonl', lines.join('\n')));
        const expectedLines = lines.flatMap((line, index) => (line.trim() === '' ? [] : [index + 1]));
        expect(events.map((event) => event.line)).toEqual(expectedLines);
        for (const event of events) expect(['record', 'reject']).toContain(event.kind);
      }),
      { numRuns: 300 },
    );
  });

  it('damaged JSON arrays never throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordArbitrary, { minLength: 1, maxLength: 4 }), mutation, async (records, damage) => {
        const text = JSON.stringify(records.map(writtenObject), null, 1);
        const at = damage.at % (text.length + 1);
        const damaged = text.slice(0, at) + damage.insert + text.slice(at + damage.cut);
        const events = await collect(asimJsonArray, inputFromBuffer('damaged.json', damaged));
        for (const event of events) expect(['record', 'reject']).toContain(event.kind);
      }),
      { numRuns: 300 },
    );
  });
});
