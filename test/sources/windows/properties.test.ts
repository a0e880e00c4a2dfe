/**
 * Property tests, one per Windows format: random bytes never make a parser throw, and well-formed events
 * mixed with mutated ones all come out as records at their own line — none is lost to a neighbour's damage.
 *
 * "Mutated" is what each container can absorb and still be delimited: for line formats any text without a
 * newline; for XML any text plus cut or corrupted events; for JSON arrays any JSON value (arrays keep
 * their brackets balanced) plus a truncated tail; for CSV rows without quotes or newlines (an unbalanced
 * quote changes the meaning of every later line, in any CSV reader).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ParseEvent, SourceFormat } from '../../../src/sources/types.js';
import { defenderNetworkEventsCsv, defenderNetworkEventsJson } from '../../../src/sources/windows/defender.js';
import { sysmonLinuxSyslog } from '../../../src/sources/windows/linux-sysmon-syslog.js';
import { windowsEventsCsv } from '../../../src/sources/windows/windows-csv.js';
import { windowsEventsJsonArray, windowsEventsJsonl } from '../../../src/sources/windows/windows-json.js';
import { windowsEventXml } from '../../../src/sources/windows/windows-xml.js';
import { collect, sniff } from './helpers.js';

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.'));
const port = fc.integer({ min: 1, max: 65535 });
const connection = fc.record({ src: ipv4, dst: ipv4, sport: port, dport: port, initiated: fc.boolean(), second: fc.nat(59) });
type Connection = typeof connection extends fc.Arbitrary<infer T> ? T : never;
/** Text that cannot end a line. */
const lineJunk = fc.string({ maxLength: 80 }).map((text) => text.replace(/[\r\n]/g, ' '));

const ALL_FORMATS: readonly SourceFormat[] = [
  windowsEventXml,
  windowsEventsJsonl,
  windowsEventsJsonArray,
  windowsEventsCsv,
  sysmonLinuxSyslog,
  defenderNetworkEventsCsv,
  defenderNetworkEventsJson,
];

describe('random input never throws', () => {
  for (const format of ALL_FORMATS) {
    it(format.name, async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.string({ maxLength: 400 }), fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes).toString('latin1'))), async (text) => {
          sniff(format, text);
          const result = await collect(format, text);
          for (const event of result.events) expect(['record', 'reject', 'ignored']).toContain(event.kind);
        }),
        { numRuns: 150 },
      );
    });
  }
});

/** Pieces of a file: a well-formed event (which must become a record) or junk (anything else). */
type Piece = { readonly good: true; readonly text: string } | { readonly good: false; readonly text: string };

/** Checks that every good piece, placed at a known line, came out as a record on that line. */
async function expectGoodOnesKept(format: SourceFormat, header: string, pieces: readonly Piece[], separator = '\n'): Promise<void> {
  let line = header.split('\n').length; // the header ends with a newline: the first piece is on its last (empty) line
  const goodLines: number[] = [];
  for (const piece of pieces) {
    if (piece.good) goodLines.push(line);
    line += piece.text.split('\n').length - 1 + separator.split('\n').length - 1;
  }
  const content = header + pieces.map((piece) => piece.text).join(separator);
  const result = await collect(format, content);
  const recordLines = new Set(result.events.filter((event: ParseEvent) => event.kind === 'record').map((event) => event.line));
  for (const good of goodLines) expect(recordLines.has(good)).toBe(true);
}

function nxlogLine(c: Connection): string {
  return JSON.stringify({
    '@timestamp': `2024-03-04T09:00:${String(c.second).padStart(2, '0')}Z`,
    EventID: 3,
    SourceName: 'Microsoft-Windows-Sysmon',
    Channel: 'Microsoft-Windows-Sysmon/Operational',
    Hostname: 'ws',
    Initiated: String(c.initiated),
    SourceIp: c.src,
    SourcePort: String(c.sport),
    DestinationIp: c.dst,
    DestinationPort: String(c.dport),
    Protocol: 'tcp',
  });
}

function eventXml(c: Connection): string {
  return `<Event><System><Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>5156</EventID><TimeCreated SystemTime="2024-03-04T09:00:${String(c.second).padStart(2, '0')}Z"/><Computer>h</Computer></System><EventData><Data Name="Direction">%%14593</Data><Data Name="SourceAddress">${c.src}</Data><Data Name="DestAddress">${c.dst}</Data><Data Name="DestPort">${c.dport}</Data></EventData></Event>`;
}

function linuxLine(c: Connection): string {
  return `Mar  4 09:00:00 h sysmon: <Event><System><Provider Name="Linux-Sysmon"/><EventID>3</EventID><TimeCreated SystemTime="2024-03-04T09:00:${String(c.second).padStart(2, '0')}Z"/><Computer>h</Computer></System><EventData><Data Name="SourceIp">${c.src}</Data><Data Name="DestinationIp">${c.dst}</Data><Data Name="DestinationPort">${c.dport}</Data></EventData></Event>`;
}

const EVENT_CSV_HEADER = 'TimeGenerated [UTC],Source,EventLog,Computer,EventID,EventData\n';
function eventCsvRow(c: Connection): string {
  const data = `<DataItem><EventData><Data Name="Initiated">${c.initiated}</Data><Data Name="SourceIp">${c.src}</Data><Data Name="DestinationIp">${c.dst}</Data><Data Name="DestinationPort">${c.dport}</Data></EventData></DataItem>`;
  return `2024-03-04T09:00:${String(c.second).padStart(2, '0')}Z,Microsoft-Windows-Sysmon,Microsoft-Windows-Sysmon/Operational,ws,3,"${data.replace(/"/g, '""')}"`;
}

const DEFENDER_CSV_HEADER = 'Timestamp,DeviceId,DeviceName,ActionType,RemoteIP,RemotePort,LocalIP,LocalPort,Protocol\n';
function defenderCsvRow(c: Connection): string {
  return `2024-03-04T09:00:${String(c.second).padStart(2, '0')}Z,d1,ws.corp,${c.initiated ? 'ConnectionSuccess' : 'InboundConnectionAccepted'},${c.dst},${c.dport},${c.src},${c.sport},Tcp`;
}
function defenderObject(c: Connection): string {
  return JSON.stringify({ Timestamp: `2024-03-04T09:00:${String(c.second).padStart(2, '0')}Z`, DeviceId: 'd1', DeviceName: 'ws', ActionType: 'ConnectionSuccess', RemoteIP: c.dst, RemotePort: c.dport, LocalIP: c.src, LocalPort: c.sport });
}

/** A mix of good pieces and junk, with at least one good piece first (so the content is recognisable). */
function mix(good: fc.Arbitrary<string>, junk: fc.Arbitrary<string>): fc.Arbitrary<Piece[]> {
  const piece = fc.oneof(good.map((text): Piece => ({ good: true, text })), junk.map((text): Piece => ({ good: false, text })));
  return fc.tuple(good, fc.array(piece, { maxLength: 12 })).map(([first, rest]) => [{ good: true, text: first }, ...rest]);
}

/** A good piece cut short or with a character replaced: what damaged logs look like. */
function damaged(good: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(good, fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([text, at, replacement]) => {
    const cut = at % Math.max(text.length, 1);
    return at % 2 === 0 ? text.slice(0, cut) : text.slice(0, cut) + replacement + text.slice(cut + 1);
  });
}

describe('well-formed events survive mutated neighbours', () => {
  it('windows-events-jsonl', async () => {
    const good = connection.map(nxlogLine);
    const junk = fc.oneof(lineJunk, damaged(good).map((text) => text.replace(/[\r\n]/g, ' ')));
    await fc.assert(fc.asyncProperty(mix(good, junk), (pieces) => expectGoodOnesKept(windowsEventsJsonl, '', pieces)), { numRuns: 100 });
  });

  it('windows-event-xml', async () => {
    const good = connection.map(eventXml);
    const junk = fc.oneof(fc.string({ maxLength: 60 }), damaged(good));
    await fc.assert(fc.asyncProperty(mix(good, junk), (pieces) => expectGoodOnesKept(windowsEventXml, '<Events>\n', pieces)), { numRuns: 100 });
  });

  it('windows-events-json (array)', async () => {
    const good = connection.map((c) => nxlogLine(c));
    const junk = fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value) ?? 'null');
    await fc.assert(
      fc.asyncProperty(mix(good, junk), async (pieces) => {
        await expectGoodOnesKept(windowsEventsJsonArray, '[\n', [...pieces, { good: false, text: ']' }], ',\n');
      }),
      { numRuns: 100 },
    );
  });

  it('windows-events-csv', async () => {
    const good = connection.map(eventCsvRow);
    const junk = lineJunk.map((text) => text.replace(/"/g, ''));
    await fc.assert(fc.asyncProperty(mix(good, junk), (pieces) => expectGoodOnesKept(windowsEventsCsv, EVENT_CSV_HEADER, pieces)), { numRuns: 100 });
  });

  it('sysmon-linux-syslog', async () => {
    const good = connection.map(linuxLine);
    const junk = fc.oneof(lineJunk, damaged(good).map((text) => text.replace(/[\r\n]/g, ' ')));
    await fc.assert(fc.asyncProperty(mix(good, junk), (pieces) => expectGoodOnesKept(sysmonLinuxSyslog, '', pieces)), { numRuns: 100 });
  });

  it('defender-network-events-csv', async () => {
    const good = connection.map(defenderCsvRow);
    const junk = lineJunk.map((text) => text.replace(/"/g, ''));
    await fc.assert(fc.asyncProperty(mix(good, junk), (pieces) => expectGoodOnesKept(defenderNetworkEventsCsv, DEFENDER_CSV_HEADER, pieces)), { numRuns: 100 });
  });

  it('defender-network-events-json (lines)', async () => {
    const good = connection.map(defenderObject);
    const junk = fc.oneof(lineJunk, damaged(good).map((text) => text.replace(/[\r\n]/g, ' ')));
    await fc.assert(fc.asyncProperty(mix(good, junk), (pieces) => expectGoodOnesKept(defenderNetworkEventsJson, '', pieces)), { numRuns: 100 });
  });
});
