/**
 * NetFlow / IPFIX / sFlow records printed by `nfdump -o csv` (one flow per line, read by the header).
 *
 * Sentinel has no ASIM parser for nfdump; the mapping is smbwatch's own, following the schema's guidance for
 * NetFlow sources: EventType `Flow`, one record per flow line, EventCount = the flow count (`fl` when the
 * output is aggregated, else 1). `ts`/`te` are wall-clock times of the machine that ran nfdump, with no zone:
 * they are read in the `timezone` parse option (IANA name), UTC by default. nfdump 1.6 appends a `Summary`
 * block after the flows: from the `Summary` line on, lines are `ignored`.
 */
import type { AsimRecord, Micros } from '../../asim/record.js';
import { isoToMicros } from '../../util/time.js';
import { mapLines } from '../lines.js';
import type { ContentSample, Line, ParseEvent, SniffVerdict, SourceFormat } from '../types.js';
import { FieldError, ignored, ipAddress, ipVersion, portNumber, recordEvent, reject, sumOrNull, wholeNumber } from './common.js';
import { wallTimeToUtc } from './zoned-time.js';

const HEADER_START = /^ts,te,td,sa,da,sp,dp,pr(,|$)/;

/** `flg` letters → ASIM TCP flag fields (nfdump prints `.` for an unset flag, 6 or 8 positions). */
const TCP_FLAG_LETTERS: ReadonlyArray<readonly [string, string]> = [
  ['C', 'TcpFlagsCwr'],
  ['E', 'TcpFlagsEce'],
  ['U', 'TcpFlagsUrg'],
  ['A', 'TcpFlagsAck'],
  ['P', 'TcpFlagsPsh'],
  ['R', 'TcpFlagsRst'],
  ['S', 'TcpFlagsSyn'],
  ['F', 'TcpFlagsFin'],
];

/** `0:0:0:0:0:0` / `00:00:00:00:00:00` is nfdump's "no MAC". */
function mac(value: string): string {
  return /^[0:]*$/.test(value) ? '' : value;
}

function localTime(value: string, field: string, timezone: string | undefined): Micros {
  const wall = isoToMicros(value.trim());
  if (wall === null || /[zZ]|[+-]\d{2}:?\d{2}$/.test(value.trim())) throw new FieldError(field, `${field} is not a "YYYY-MM-DD HH:MM:SS" time: ${JSON.stringify(value)}`);
  return wallTimeToUtc(wall, timezone);
}

function tcpFlags(flags: string): AsimRecord {
  const record: AsimRecord = {};
  for (const [letter, column] of TCP_FLAG_LETTERS) record[column] = flags.includes(letter);
  return record;
}

/** ICMP flows carry `type.code` in `dp` ("8.0"). */
function destinationPortOrIcmp(value: string): { port: number | null; icmpType: string; icmpCode: number | null } {
  const icmp = /^(\d+)\.(\d+)$/.exec(value.trim());
  if (icmp) return { port: null, icmpType: icmp[1] ?? '', icmpCode: Number(icmp[2]) };
  return { port: portNumber(value, 'dp'), icmpType: '', icmpCode: null };
}

function toRecord(cells: ReadonlyMap<string, string>, timezone: string | undefined): AsimRecord {
  const get = (name: string): string => cells.get(name) ?? '';
  const start = localTime(get('ts'), 'ts', timezone);
  const end = get('te') === '' ? null : localTime(get('te'), 'te', timezone);
  const protocol = get('pr').trim().toUpperCase();
  const srcIp = ipAddress(get('sa'), 'sa');
  const dstIp = ipAddress(get('da'), 'da');
  const srcPackets = wholeNumber(get('ipkt'), 'ipkt');
  const srcBytes = wholeNumber(get('ibyt'), 'ibyt');
  const dstPackets = wholeNumber(get('opkt'), 'opkt');
  const dstBytes = wholeNumber(get('obyt'), 'obyt');
  const durationSeconds = get('td') === '' ? null : Number(get('td'));
  if (durationSeconds !== null && !Number.isFinite(durationSeconds)) throw new FieldError('td', `td is not a duration in seconds: ${JSON.stringify(get('td'))}`);
  const destination = destinationPortOrIcmp(get('dp'));
  const router = get('ra');
  const flows = cells.has('fl') ? wholeNumber(get('fl'), 'fl') : 1;
  return {
    TimeGenerated: start,
    EventStartTime: start,
    EventEndTime: end,
    EventVendor: 'nfdump',
    EventProduct: 'nfdump',
    EventType: 'Flow',
    EventCount: flows ?? 1,
    EventSchema: 'NetworkSession',
    EventSchemaVersion: '0.2.4',
    EventSeverity: 'Informational',
    Dvc: router,
    DvcIpAddr: router !== '' && router !== '0.0.0.0' ? router : '',
    DvcInboundInterface: get('in'),
    DvcOutboundInterface: get('out'),
    NetworkProtocol: protocol,
    NetworkProtocolVersion: ipVersion(srcIp),
    NetworkDuration: durationSeconds === null ? null : Math.round(durationSeconds * 1000),
    NetworkIcmpType: destination.icmpType,
    NetworkIcmpCode: destination.icmpCode,
    SrcIpAddr: srcIp,
    DstIpAddr: dstIp,
    SrcPortNumber: portNumber(get('sp'), 'sp'),
    DstPortNumber: destination.port,
    Src: srcIp,
    Dst: dstIp,
    IpAddr: srcIp,
    SrcPackets: srcPackets,
    SrcBytes: srcBytes,
    DstPackets: dstPackets,
    DstBytes: dstBytes,
    NetworkPackets: sumOrNull(srcPackets, dstPackets),
    NetworkBytes: sumOrNull(srcBytes, dstBytes),
    SrcVlanId: get('svln') === '0' ? '' : get('svln'),
    DstVlanId: get('dvln') === '0' ? '' : get('dvln'),
    SrcMacAddr: mac(get('ismc')),
    DstMacAddr: mac(get('idmc')),
    ...(protocol === 'TCP' ? tcpFlags(get('flg')) : {}),
  };
}

/**
 * nfdump ends its CSV with `Summary`, a `flows,bytes,packets,…` header and one line of totals. Only that shape is
 * ignored: any other line after `Summary` is read as a flow again, so a stray `Summary` line (a damaged or
 * concatenated file) never hides the flows after it.
 */
class SummaryBlock {
  private state: 'outside' | 'after-summary' | 'after-header' = 'outside';
  private width = 0;

  takes(line: string): boolean {
    if (/^Summary\b/.test(line)) {
      this.state = 'after-summary';
      return true;
    }
    if (this.state === 'after-summary' && /^flows,/.test(line)) {
      this.state = 'after-header';
      this.width = line.split(',').length;
      return true;
    }
    if (this.state === 'after-header' && line.split(',').length === this.width && /^[\d.,\s]+$/.test(line)) return true;
    this.state = 'outside';
    return false;
  }
}

function sniff(sample: ContentSample): SniffVerdict {
  const first = sample.lines.find((line) => line.trim() !== '');
  if (first !== undefined && HEADER_START.test(first.trim())) return { verdict: 'match', reason: 'CSV header of nfdump -o csv (ts,te,td,sa,da,sp,dp,pr,…)' };
  return { verdict: 'no', reason: 'no nfdump CSV header' };
}

export const nfdumpCsvFormat: SourceFormat = {
  name: 'nfdump-csv',
  title: 'NetFlow/IPFIX via nfdump -o csv',
  asimParser: 'none upstream; smbwatch mapping for Flow sources (docs/sources/network.md)',
  detection: 'first line is the nfdump CSV header ts,te,td,sa,da,sp,dp,pr,…',
  // Read by the header at the top: resuming mid-file would lose it.
  lineBased: false,
  zonelessTimes: 'nfdump writes first-seen/last-seen in the collector\'s local time',
  sniff,
  parse(input, options) {
    let header: string[] | undefined;
    const summary = new SummaryBlock();
    return mapLines(input.lines(), (line: Line): ParseEvent | undefined => {
      const trimmed = line.text.trim();
      if (trimmed === '') return undefined;
      if (summary.takes(trimmed)) return ignored(line.no, 'nfdump summary block');
      if (HEADER_START.test(trimmed)) {
        header = trimmed.split(',');
        return undefined;
      }
      if (header === undefined) return reject(line.no, line.text, 'no nfdump CSV header (ts,te,td,sa,da,…) before this line', 'ts');
      const values = trimmed.split(',');
      if (values.length !== header.length) {
        return reject(line.no, line.text, `expected ${header.length} comma-separated columns as the header names, found ${values.length}`, header[Math.min(values.length, header.length - 1)]);
      }
      const cells = new Map(header.map((name, index) => [name, values[index] ?? '']));
      try {
        return recordEvent(line.no, toRecord(cells, options.timezone));
      } catch (error) {
        if (error instanceof FieldError) return reject(line.no, line.text, error.message, error.field);
        if (error instanceof RangeError) return reject(line.no, line.text, error.message, 'timezone');
        throw error;
      }
    });
  },
};
