/**
 * The public real Zeek logs in test/fixtures/real (README there). Expected counts were computed from the
 * files with grep/awk, e.g. for the Stratosphere TSV:
 *   grep -vc '^#' FILE                                  → 5663 data lines
 *   awk -F'\t' '!/^#/ && $6==445' FILE | wc -l          → 168 (id.resp_p is column 6)
 *   awk -F'\t' '!/^#/{print $12}' FILE | sort | uniq -c → conn_state histogram
 * and for the JSON files: grep -c '"id.resp_p":445,' / grep -o '"conn_state":"[A-Z0-9]*"' | sort | uniq -c.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AsimRecord } from '../../src/asim/record.js';
import { inputFromFile, sampleOfBuffer } from '../../src/sources/input.js';
import type { ParseEvent, SourceFormat } from '../../src/sources/types.js';
import { epochSecondsToMicros } from '../../src/util/time.js';
import { zeekJsonFormat } from '../../src/sources/zeek-json.js';
import { zeekTsvFormat } from '../../src/sources/zeek-tsv.js';
import { REAL_DATA } from '../helpers/real.js';

const REAL = REAL_DATA;

interface Parsed {
  readonly records: Array<{ line: number; record: AsimRecord }>;
  readonly others: ParseEvent[];
}

async function parseFile(format: SourceFormat, path: string): Promise<Parsed> {
  const records: Parsed['records'] = [];
  const others: ParseEvent[] = [];
  for await (const batch of format.parse(inputFromFile(path), {})) {
    for (const event of batch) {
      if (event.kind === 'record') records.push({ line: event.line, record: event.record });
      else others.push(event);
    }
  }
  return { records, others };
}

function countBy(records: Parsed['records'], column: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { record } of records) {
    const key = String(record[column]);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function sniffBoth(path: string) {
  const sample = sampleOfBuffer(readFileSync(path));
  return { tsv: zeekTsvFormat.sniff(sample).verdict, json: zeekJsonFormat.sniff(sample).verdict };
}

/** The `ts` text of a JSON line, read exactly (not through a double). */
function tsTextOf(line: string): string {
  const match = /"ts":([0-9.]+)[,}]/.exec(line);
  if (!match?.[1]) throw new Error(`no numeric ts in ${line}`);
  return match[1];
}

describe('Stratosphere 008-zeek-mixed conn.log.labeled (TSV with label, detailedlabel)', () => {
  const path = join(REAL, 'stratosphere/008-zeek-mixed_conn.log.labeled');

  it('is recognised by zeek-tsv only', () => {
    expect(sniffBoth(path)).toEqual({ tsv: 'match', json: 'no' });
  });

  it('parses every data line, with the counts computed by awk', async () => {
    const { records, others } = await parseFile(zeekTsvFormat, path);
    expect(others).toEqual([]);
    expect(records).toHaveLength(5663);
    expect(records.filter(({ record }) => record.DstPortNumber === 445)).toHaveLength(168);
    // S0 4080 + S1 62 + SF 691 + OTH 494; REJ 5 + RSTO 44 + RSTOS0 19 + RSTR 89 + RSTRH 24 + S2 63 + S3 48 + SH 27 + SHR 17
    expect(countBy(records, 'EventResult')).toEqual({ Success: 5327, Failure: 336 });
    // local_orig/local_resp: F,T 4201 rows; T,F 1462 rows
    expect(countBy(records, 'NetworkDirection')).toEqual({ Inbound: 4201, Outbound: 1462 });
    // rows with orig_bytes or resp_bytes unset
    expect(records.filter(({ record }) => record.NetworkBytes === null)).toHaveLength(155);
  });

  it('maps the first line as read by hand', async () => {
    // 1655071198.444458 CHLXQF2OBY4onAR0Ug 147.32.81.167 62771 40.74.108.123 443 tcp ssl 1.135424 1596 4039 SF T F 5138 ShADdaFf 14 1016 16 1226 (empty) Benign Microsoft
    const { records } = await parseFile(zeekTsvFormat, path);
    expect(records[0]).toEqual({
      line: 9,
      record: expect.objectContaining({
        TimeGenerated: 1655071198444458,
        EventOriginalUid: 'CHLXQF2OBY4onAR0Ug',
        SrcIpAddr: '147.32.81.167',
        SrcPortNumber: 62771,
        DstIpAddr: '40.74.108.123',
        DstPortNumber: 443,
        NetworkProtocol: 'TCP',
        NetworkApplicationProtocol: 'ssl',
        NetworkDuration: 1,
        SrcBytes: 1596,
        DstBytes: 4039,
        NetworkBytes: 5635,
        SrcPackets: 14,
        DstPackets: 16,
        NetworkPackets: 30,
        EventResult: 'Success',
        NetworkDirection: 'Outbound',
        NetworkConnectionHistory: 'ShADdaFf',
      }),
    });
  });
});

describe('Stratosphere 002-port-scanning conn.log (Zeek JSON, dotted keys — despite the README saying TSV)', () => {
  const path = join(REAL, 'stratosphere/002-port-scanning_conn.log');

  it('is recognised by zeek-json only', () => {
    expect(sniffBoth(path)).toEqual({ tsv: 'no', json: 'match' });
  });

  it('parses every line, with the counts computed by grep', async () => {
    const { records, others } = await parseFile(zeekJsonFormat, path);
    expect(others).toEqual([]);
    expect(records).toHaveLength(4504);
    expect(records.filter(({ record }) => record.DstPortNumber === 445)).toHaveLength(36);
    expect(records.filter(({ record }) => record.DstPortNumber === 139)).toHaveLength(37);
    // OTH 652 + S0 2409; REJ 1273 + RSTO 95 + RSTRH 32 + SHR 43
    expect(countBy(records, 'EventResult')).toEqual({ Success: 3061, Failure: 1443 });
  });

  it('reads every JSON-number ts to the exact microsecond of its text', async () => {
    const { records } = await parseFile(zeekJsonFormat, path);
    const lines = readFileSync(path, 'utf8').split('\n');
    const mismatches = records.filter(
      ({ line, record }) => record.TimeGenerated !== epochSecondsToMicros(tsTextOf(lines[line - 1] as string)),
    );
    expect(mismatches).toEqual([]);
    expect(records[0]?.record).toMatchObject({
      TimeGenerated: 1664462456755299,
      DstIpAddr: '8.8.8.8',
      DstPortNumber: 53,
      EventResult: 'Failure', // SHR
      NetworkDirection: 'Outbound', // true, false
      NetworkBytes: 111,
    });
  });
});

describe('OTRF APT29 day 1 conn logs (JSON, underscore keys, @stream, @system)', () => {
  const cases = [
    { host: 'NASHUA', records: 479, smb445: 19, dvc: 'bobs.bigwheel.local', results: { Success: 61, Failure: 418 } },
    { host: 'SCRANTON', records: 134, smb445: 26, dvc: 'simplerockbuild.simplerock.lan', results: { Success: 77, Failure: 57 } },
  ];
  it.each(cases)('$host: zero rejects and the grep counts', async ({ host, records: expectedRecords, smb445, dvc, results }) => {
    const path = join(REAL, `otrf/apt29-day1-${host}_conn.log`);
    expect(sniffBoth(path)).toEqual({ tsv: 'no', json: 'match' });
    const { records, others } = await parseFile(zeekJsonFormat, path);
    expect(others).toEqual([]);
    expect(records).toHaveLength(expectedRecords);
    expect(records.filter(({ record }) => record.DstPortNumber === 445)).toHaveLength(smb445);
    expect(countBy(records, 'Dvc')).toEqual({ [dvc]: expectedRecords });
    expect(countBy(records, 'EventResult')).toEqual(results);
    expect(countBy(records, 'NetworkDirection')).toEqual({ '': expectedRecords }); // no local_orig/local_resp
    const lines = readFileSync(path, 'utf8').split('\n');
    for (const { line, record } of records) {
      expect(record.TimeGenerated).toBe(epochSecondsToMicros(tsTextOf(lines[line - 1] as string)));
    }
  });

  it('SCRANTON first line as read by hand', async () => {
    const { records } = await parseFile(zeekJsonFormat, join(REAL, 'otrf/apt29-day1-SCRANTON_conn.log'));
    expect(records[0]?.record).toMatchObject({
      TimeGenerated: 1588205198899710,
      EventOriginalUid: 'Cw1Hz43UWS4qXFei8f',
      SrcIpAddr: '10.0.1.4',
      SrcPortNumber: 64842,
      DstIpAddr: '10.0.0.4',
      DstPortNumber: 53,
      NetworkProtocol: 'UDP',
      NetworkApplicationProtocol: 'dns',
      NetworkDuration: 0,
      NetworkBytes: 94,
      NetworkPackets: 2,
      EventResult: 'Success',
      SrcMacAddr: '00:0d:3a:4d:42:f2',
      DstMacAddr: '12:34:56:78:9a:bc',
    });
  });
});
