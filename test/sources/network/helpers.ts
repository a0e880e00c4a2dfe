/** Running a network format over a fixture and sorting what it emits. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AsimRecord } from '../../../src/asim/record.js';
import { inputFromBuffer, sampleOfBuffer } from '../../../src/sources/input.js';
import type { ParseEvent, ParseOptions, SourceFormat } from '../../../src/sources/types.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/network');

export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

export interface Outcome {
  readonly records: AsimRecord[];
  readonly recordLines: number[];
  readonly rejects: Array<Extract<ParseEvent, { kind: 'reject' }>>;
  readonly ignored: Array<Extract<ParseEvent, { kind: 'ignored' }>>;
}

export async function run(format: SourceFormat, content: string | Uint8Array, options: ParseOptions = {}): Promise<Outcome> {
  const outcome: Outcome = { records: [], recordLines: [], rejects: [], ignored: [] };
  for await (const batch of format.parse(inputFromBuffer('fixture', content), options)) {
    for (const event of batch) {
      if (event.kind === 'record') {
        outcome.records.push(event.record);
        outcome.recordLines.push(event.line);
      } else if (event.kind === 'reject') outcome.rejects.push(event);
      else outcome.ignored.push(event);
    }
  }
  return outcome;
}

export function sniff(format: SourceFormat, content: string): string {
  return format.sniff(sampleOfBuffer(content)).verdict;
}

/** Microseconds of an ISO time, for expectations. */
export function us(iso: string): number {
  return Date.parse(iso) * 1000;
}
