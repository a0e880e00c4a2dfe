/**
 * `sysmon-linux-syslog`: syslog lines (RFC 3164 or 5424, as in /var/log/syslog) whose message is the event XML
 * Sysmon for Linux writes. The ASIM parser selects Syslog rows whose message has both
 * `<Provider Name="Linux-Sysmon"` and `<EventID>3</EventID>`; other Sysmon events are ignored, other syslog
 * lines too. TimeGenerated is the event's `System/TimeCreated/@SystemTime` (a syslog header has no year
 * and often no zone, while the event time is exact UTC). A raw line carries no Syslog `HostIP`.
 */
import { mapLines } from '../lines.js';
import type { ContentSample, Line, ParseEvent, ParseOptions, SniffVerdict, SourceFormat, SourceInput } from '../types.js';
import { mapWindowsEvent } from './dispatch.js';
import { readEventXml } from './event-xml.js';
import { rejected, toParseEvent } from './mapped.js';

const LINUX_SYSMON_MARK = '<Provider Name="Linux-Sysmon"';
const EVENT_XML = /<Event>[\s\S]*<\/Event>/;

function parseLine(line: Line): ParseEvent | undefined {
  if (line.text.trim() === '') return undefined;
  if (!line.text.includes(LINUX_SYSMON_MARK)) return { kind: 'ignored', line: line.no, what: 'syslog line that is not a Sysmon for Linux event' };
  const xml = EVENT_XML.exec(line.text)?.[0];
  if (!xml) return toParseEvent(rejected('Sysmon for Linux line without a complete <Event>…</Event>'), line.no, line.text);
  const read = readEventXml(xml);
  if (!read.ok) return toParseEvent(rejected(read.reason), line.no, line.text);
  // Only the Linux-Sysmon provider reaches the Linux mapper; read it as a raw event.
  return toParseEvent(mapWindowsEvent({ ...read.event, table: 'Syslog' }), line.no, line.text);
}

export const sysmonLinuxSyslog: SourceFormat = {
  name: 'sysmon-linux-syslog',
  title: 'Sysmon for Linux over syslog (event XML in the message): EID 3',
  asimParser: 'vimNetworkSessionLinuxSysmon',
  detection: 'text lines whose message holds <Event> XML with <Provider Name="Linux-Sysmon"',
  lineBased: true,
  sniff(sample: ContentSample): SniffVerdict {
    const lines = sample.lines.filter((line) => line.trim() !== '');
    const sysmon = lines.filter((line) => line.includes(LINUX_SYSMON_MARK) && line.includes('<Event>'));
    if (sysmon.length === 0 || sysmon.length * 2 < lines.length || lines[0]?.trimStart().startsWith('<')) {
      return { verdict: 'no', reason: `${sysmon.length} of ${lines.length} sample lines are syslog lines with <Provider Name="Linux-Sysmon" event XML` };
    }
    const network = sysmon.filter((line) => line.includes('<EventID>3</EventID>')).length;
    return { verdict: 'match', reason: `syslog lines holding Sysmon for Linux event XML: ${sysmon.length} of ${lines.length} sample lines, ${network} with EventID 3` };
  },
  parse(input: SourceInput, _options: ParseOptions): AsyncIterable<ParseEvent[]> {
    return mapLines(input.lines(), parseLine);
  },
};
