/**
 * What to say when a run or a query finds nothing because of *when* it looked: the look-back window holds no
 * records at all (logs from 2020–2023, a run at today's date). The store's time span and an --at that would see
 * its latest records turn a silent `0 result rows` into a next step.
 */
import type { Store } from '../store/engine.js';
import { gridCeil } from '../watch/schedule.js';
import { microsToIso } from '../util/time.js';

export interface Window {
  readonly start: Date;
  readonly end: Date;
}

const seconds = (date: Date): string => date.toISOString().replace('.000Z', 'Z');

/**
 * A hint when the window [start, end] and the store's records do not overlap, else undefined. `frequencyMs` puts
 * the suggested --at on the rule's schedule grid (the first scheduled time at or after the latest record), so the
 * suggestion is a time `backtest` and `watch` would run at.
 */
export async function emptyWindowHint(store: Store, window: Window, frequencyMs?: number): Promise<string | undefined> {
  const summary = await store.summary();
  if (summary.records === 0 || summary.firstMicros === undefined) return 'The store holds no records yet: ingest logs first (smbwatch ingest PATH).';
  const first = summary.firstMicros;
  const last = summary.lastMicros ?? first;
  const start = window.start.getTime() * 1000;
  const end = window.end.getTime() * 1000;
  if (last >= start && first <= end) return undefined;
  const lastMs = Math.ceil(last / 1000);
  const at = new Date(frequencyMs === undefined ? lastMs : gridCeil({ anchor: new Date(0), frequencyMs }, lastMs));
  return (
    `The window [${seconds(window.start)}, ${seconds(window.end)}] holds no records: the store's records span ` +
    `${microsToIso(first)} to ${microsToIso(last)}. To look at the latest of them, try --at ${seconds(at)}.`
  );
}
