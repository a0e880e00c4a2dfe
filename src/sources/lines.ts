/**
 * Splitting a byte stream into lines with their byte offsets, in batches (one async step per batch,
 * not per line, keeps the per-line cost low on multi-million-line logs).
 */
import type { Line } from './types.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const DEFAULT_BATCH = 4096;

/**
 * `holdUnterminated`: leave out a last line that has no terminator yet (a live log mid-write); it is read
 * whole once the writer has finished it.
 */
export async function* splitLines(chunks: AsyncIterable<Uint8Array>, batchSize = DEFAULT_BATCH, holdUnterminated = false): AsyncGenerator<Line[]> {
  let carry: Buffer = Buffer.alloc(0);
  let carryStart = 0; // stream offset of carry[0]
  let lineNo = 0;
  let batch: Line[] = [];
  let first = true;

  for await (const chunk of chunks) {
    const buffer: Buffer = carry.length > 0 ? Buffer.concat([carry, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    if (first && buffer.length >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) start = 3;
    first = false;
    for (let nl = buffer.indexOf(NEWLINE, start); nl !== -1; nl = buffer.indexOf(NEWLINE, start)) {
      const stop = nl > start && buffer[nl - 1] === CARRIAGE_RETURN ? nl - 1 : nl;
      batch.push({ text: buffer.toString('utf8', start, stop), no: ++lineNo, end: carryStart + nl + 1 });
      start = nl + 1;
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    carry = buffer.subarray(start);
    carryStart += start;
  }
  if (carry.length > 0 && !holdUnterminated) {
    const stop = carry[carry.length - 1] === CARRIAGE_RETURN ? carry.length - 1 : carry.length;
    batch.push({ text: carry.toString('utf8', 0, stop), no: ++lineNo, end: carryStart + carry.length });
  }
  if (batch.length > 0) yield batch;
}

/** Runs a per-line parser over an input's lines, batching its events. */
export async function* mapLines<E>(
  lines: AsyncIterable<Line[]>,
  parseLine: (line: Line) => E | readonly E[] | undefined,
): AsyncGenerator<E[]> {
  for await (const batch of lines) {
    const events: E[] = [];
    for (const line of batch) {
      const result = parseLine(line);
      if (result === undefined) continue;
      if (Array.isArray(result)) events.push(...(result as readonly E[]));
      else events.push(result as E);
    }
    if (events.length > 0) yield events;
  }
}
