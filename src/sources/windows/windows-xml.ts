/**
 * `windows-event-xml`: Windows event XML — one `<Event>`, or many, optionally inside `<Events>` — as written by
 * `wevtutil qe /f:xml`, `Get-WinEvent | % ToXml`, or a WEF subscription dump. TimeGenerated is each event's
 * `System/TimeCreated/@SystemTime`. Each event goes to the mapper its provider and ID call for (dispatch.ts).
 */
import type { ContentSample, ParseEvent, ParseOptions, SniffVerdict, SourceFormat, SourceInput } from '../types.js';
import { mapWindowsEvent } from './dispatch.js';
import { readEventXml, splitXmlEvents, type XmlPiece } from './event-xml.js';
import { rejected, toParseEvent } from './mapped.js';
import { describeSample, type SampleTally, tallyEvent } from './sniffing.js';
import { windowsEventsJsonl } from './windows-json.js';

const EVENT_NAMESPACE = 'http://schemas.microsoft.com/win/2004/08/events/event';

function pieceToEvent(piece: XmlPiece): ParseEvent {
  if (piece.kind === 'stray') return toParseEvent(rejected(piece.reason), piece.line, piece.text);
  const read = readEventXml(piece.xml);
  return toParseEvent(read.ok ? mapWindowsEvent(read.event) : rejected(read.reason), piece.line, piece.xml);
}

export const windowsEventXml: SourceFormat = {
  name: 'windows-event-xml',
  title: 'Windows event XML (<Event> elements, optionally in <Events>): Sysmon EID 3, Security 5150–5159',
  asimParser: windowsEventsJsonl.asimParser,
  detection: 'starts (after any XML declaration, comments and <Events>) with an <Event> element holding <System><Provider …>',
  lineBased: false,
  sniff(sample: ContentSample): SniffVerdict {
    const head = sample.text.replace(/^(?:\s+|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<(?:\w+:)?Events(?:\s[^>]*)?>)*/, '');
    if (!/^<(?:\w+:)?Event[\s>]/.test(head)) return { verdict: 'no', reason: 'does not start with an <Event> element' };
    if (!/<System>\s*<Provider\s/.test(head)) return { verdict: 'no', reason: '<Event> without <System><Provider>' };
    const tally: SampleTally = { events: 0, network: 0, other: 0, dialects: new Set(['Windows event XML']) };
    for (const match of sample.text.matchAll(/<(?:\w+:)?Event[\s>][\s\S]*?<\/(?:\w+:)?Event\s*>/g)) {
      const read = readEventXml(match[0]);
      if (read.ok) tallyEvent(tally, mapWindowsEvent(read.event));
      else tally.other++;
      if (tally.events + tally.other >= 200) break;
    }
    const namespace = sample.text.includes(EVENT_NAMESPACE) ? ' in the Windows event namespace' : '';
    if (tally.events === 0) return { verdict: 'match', reason: `XML opening with a Windows <Event>${namespace} (no complete event in the sample)` };
    return { verdict: 'match', reason: `${describeSample(tally)}${namespace}` };
  },
  async *parse(input: SourceInput, _options: ParseOptions): AsyncIterable<ParseEvent[]> {
    let batch: ParseEvent[] = [];
    for await (const piece of splitXmlEvents(input.bytes())) {
      batch.push(pieceToEvent(piece));
      if (batch.length >= 1024) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  },
};
