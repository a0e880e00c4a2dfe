/**
 * What a format's sniff says about a sample of Windows events. A file of Windows events matches even when
 * its sample holds no network event: Sysmon and Security logs interleave many event types (the OTRF zips
 * open with Sysmon 12/13), and a file that turns out to hold none is ingested with 0 records and its events
 * counted as ignored, which tells the user more than a skip would.
 */
import type { Mapped } from './mapped.js';

export interface SampleTally {
  events: number;
  network: number;
  /** Lines or elements that are not Windows events (or not valid). */
  other: number;
  readonly dialects: Set<string>;
}

export function tallyEvent(tally: SampleTally, mapped: Mapped): void {
  tally.events++;
  if (mapped.kind === 'record') tally.network++;
}

export function describeSample(tally: SampleTally): string {
  const what = [...tally.dialects].join(' and ') || 'Windows events';
  return `${what}; the sample holds ${tally.events} event(s), ${tally.network} of them network sessions (Sysmon EID 3 / WFP 5150–5159)`;
}
