/**
 * Auto-detection through the whole registry: every Windows fixture is read by the format written for it,
 * whatever else is registered before or after, and the reason names what was seen.
 */
import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../../src/ingest/detect.js';
import { sampleOfBuffer } from '../../../src/sources/input.js';
import { fixture } from './helpers.js';

const EXPECTED: ReadonlyArray<[string, string, RegExp]> = [
  ['events.xml', 'windows-event-xml', /Windows event XML; the sample holds 8 event/],
  ['nxlog-winlogbeat.jsonl', 'windows-events-jsonl', /NXLog-flattened/],
  ['windowsevent-table.json', 'windows-events-json', /Log Analytics Event\/WindowsEvent\/SecurityEvent rows/],
  ['event-table.csv', 'windows-events-csv', /Log Analytics Event table CSV export/],
  ['securityevent-table.csv', 'windows-events-csv', /Log Analytics SecurityEvent table CSV export/],
  ['sysmon-linux.log', 'sysmon-linux-syslog', /Sysmon for Linux/],
  ['defender-networkevents.csv', 'defender-network-events-csv', /DeviceNetworkEvents columns/],
  ['defender-networkevents.json', 'defender-network-events-json', /JSON array of DeviceNetworkEvents rows/],
];

describe('detection of the Windows fixtures through the registry', () => {
  for (const [file, format, reason] of EXPECTED) {
    it(`${file} → ${format}`, async () => {
      const detection = detectFormat(sampleOfBuffer(await fixture(file)));
      expect(detection.format?.name).toBe(format);
      expect(detection.reason).toMatch(reason);
    });
  }
});

describe('a format that does not fit says which field is missing (for a wrong --format)', () => {
  it('names the missing columns or fields', async () => {
    const { windowsEventsCsv } = await import('../../../src/sources/windows/windows-csv.js');
    const { defenderNetworkEventsCsv, defenderNetworkEventsJson } = await import('../../../src/sources/windows/defender.js');
    const { windowsEventsJsonl } = await import('../../../src/sources/windows/windows-json.js');
    const defenderCsv = sampleOfBuffer(await fixture('defender-networkevents.csv'));
    expect(windowsEventsCsv.sniff(defenderCsv)).toEqual({ verdict: 'no', reason: 'no EventID, EventData, TimeGenerated column' });
    const eventCsv = sampleOfBuffer(await fixture('event-table.csv'));
    expect(defenderNetworkEventsCsv.sniff(eventCsv)).toEqual({ verdict: 'no', reason: 'no ActionType, RemoteIP or LocalIP, DeviceId or DeviceName column' });
    const nxlog = sampleOfBuffer(await fixture('nxlog-winlogbeat.jsonl'));
    expect(defenderNetworkEventsJson.sniff(nxlog)).toMatchObject({ verdict: 'no', reason: expect.stringMatching(/^the first object has no Timestamp or TimeGenerated, ActionType/) });
    expect(windowsEventsJsonl.sniff(sampleOfBuffer('{"a":1}\n{"b":2}\n'))).toMatchObject({ verdict: 'no', reason: expect.stringMatching(/^0 of 2 sample objects are Windows events/) });
  });
});
