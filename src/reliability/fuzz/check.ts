/**
 * What the fuzzer checks on each document:
 *  - no format's sniff throws on its sample, and the format's parser never throws (a throw fails the whole input);
 *  - every event is well formed (a line inside the document);
 *  - differential: each valid unit yields exactly the events it yields in the clean twin, so a valid line next
 *    to a mutated one is never lost or changed. Where a mutation breaks the framing itself (an unclosed CSV quote,
 *    JSON bracket or XML element runs on by the format's own grammar) only the valid units before it are compared.
 */
import { inputFromBuffer, sampleOfBuffer } from '../../sources/input.js';
import { SOURCE_FORMATS } from '../../sources/registry.js';
import type { ParseEvent, SourceFormat } from '../../sources/types.js';
import { assemble, type FuzzDocument } from './document.js';
import { keepsFraming } from './framing.js';

export type FindingKind = 'sniff-exception' | 'parse-exception' | 'bad-event' | 'lost-valid-unit';

export interface Failure {
  readonly kind: FindingKind;
  readonly message: string;
}

export interface CheckResult {
  readonly failure?: Failure;
  readonly parseMs: number;
  /** Whether the differential check covered every valid unit (no mutation broke the framing). */
  readonly differential: boolean;
  readonly bytes: number;
  readonly lines: number;
}

export async function checkDocument(document: FuzzDocument, format: SourceFormat, sniffAll: boolean): Promise<CheckResult> {
  const assembled = assemble(document);
  const bytes = assembled.bytes;
  const lines = assembled.validLines.length + assembled.mutatedLines.length;
  const sniffFailure = sniffEach(bytes, sniffAll ? SOURCE_FORMATS : [format]);
  if (sniffFailure) return { failure: sniffFailure, parseMs: 0, differential: false, bytes: bytes.length, lines };

  const started = performance.now();
  let events: ParseEvent[];
  try {
    events = await collect(format, bytes);
  } catch (error) {
    return { failure: { kind: 'parse-exception', message: describe(error) }, parseMs: performance.now() - started, differential: false, bytes: bytes.length, lines };
  }
  const parseMs = performance.now() - started;
  const lastLine = 1 + countLines(bytes);
  const bad = events.find((event) => !Number.isInteger(event.line) || event.line < 1 || event.line > lastLine);
  if (bad) return { failure: { kind: 'bad-event', message: `event at line ${bad.line} outside 1..${lastLine}` }, parseMs, differential: false, bytes: bytes.length, lines };

  // Valid units up to the first mutated unit that breaks the framing are compared (all of them, for lines).
  const firstBroken = document.mutated.findIndex((unit) => !keepsFraming(document.template.framing, unit));
  const checked = firstBroken === -1 ? document.valid.length : firstBroken + 1;
  const clean = assemble(document, false);
  const expected = groupByUnit(await collect(format, clean.bytes), clean.validLines);
  const actual = groupByUnit(events, assembled.validLines);
  for (let unit = 0; unit < checked; unit++) {
    if (expected[unit] !== actual[unit]) {
      return {
        failure: { kind: 'lost-valid-unit', message: `valid unit ${unit} (line ${assembled.validLines[unit]![0]}): expected ${shorten(expected[unit]!)} got ${shorten(actual[unit]!)}` },
        parseMs,
        differential: true,
        bytes: bytes.length,
        lines,
      };
    }
  }
  return { parseMs, differential: firstBroken === -1, bytes: bytes.length, lines };
}

function sniffEach(bytes: Buffer, formats: readonly SourceFormat[]): Failure | undefined {
  const sample = sampleOfBuffer(bytes);
  for (const format of formats) {
    try {
      format.sniff(sample);
    } catch (error) {
      return { kind: 'sniff-exception', message: `${format.name}.sniff: ${describe(error)}` };
    }
  }
  return undefined;
}

export async function collect(format: SourceFormat, bytes: Buffer): Promise<ParseEvent[]> {
  const events: ParseEvent[] = [];
  for await (const batch of format.parse(inputFromBuffer('fuzz-input', bytes), {})) events.push(...batch);
  return events;
}

/** Each valid unit's events, as comparable text (records whole; rejects and ignored lines by kind and field). */
function groupByUnit(events: readonly ParseEvent[], ranges: ReadonlyArray<readonly [number, number]>): string[] {
  const groups: string[][] = ranges.map(() => []);
  for (const event of events) {
    const unit = ranges.findIndex(([first, last]) => event.line >= first && event.line <= last);
    if (unit === -1) continue;
    groups[unit]!.push(
      event.kind === 'record' ? `record ${JSON.stringify(event.record)}` : event.kind === 'reject' ? `reject ${event.field ?? ''}` : `ignored ${event.what}`,
    );
  }
  return groups.map((group) => group.join('\n'));
}

function countLines(bytes: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) count++;
  return count;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.split('\n')[0]}`;
  return String(error);
}

function shorten(text: string): string {
  return JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}…` : text);
}
