/** Test helpers for the native ASIM sources: run a format over an input and gather its events. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inputFromBuffer, sampleOfBuffer } from '../../src/sources/input.js';
import type { ParseEvent, ParseOptions, SourceFormat, SourceInput } from '../../src/sources/types.js';

const HERE = dirname(fileURLToPath(import.meta.url));

export const FIXTURES = resolve(HERE, '../fixtures/asim');
export { REAL_DATA } from '../helpers/real.js';

export async function collect(format: SourceFormat, input: SourceInput, options: ParseOptions = {}): Promise<ParseEvent[]> {
  const events: ParseEvent[] = [];
  for await (const batch of format.parse(input, options)) events.push(...batch);
  return events;
}

export function fixtureInput(name: string): SourceInput {
  return inputFromBuffer(resolve(FIXTURES, name), readFileSync(resolve(FIXTURES, name)));
}

export function sniffText(format: SourceFormat, text: string | Uint8Array): string {
  return format.sniff(sampleOfBuffer(text)).verdict;
}

/** Events without raw text, for compact expectations. */
export function brief(events: readonly ParseEvent[]): unknown[] {
  return events.map((event) => {
    if (event.kind !== 'reject') return event;
    return { kind: 'reject', line: event.line, field: event.field, reason: event.reason };
  });
}
