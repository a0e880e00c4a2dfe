/**
 * Splitting a byte stream into lines with their byte offsets, in batches (one async step per batch,
 * not per line, keeps the per-line cost low on multi-million-line logs).
 */
import type { Line, ParseEvent } from './types.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const DEFAULT_BATCH = 4096;
/**
 * Longest line held in memory. Longer lines (a 1 GB line of garbage, a file that is not text) are not
 * buffered: their bytes are skipped up to the next newline and the line comes out as `overlong`, with its first
 * bytes, for the caller to reject. No log line smbwatch reads comes near it (Zeek conn lines are < 1 KiB,
 * Windows events as JSON a few KiB).
 */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;
const OVERLONG_SHOWN_BYTES = 256;

/**
 * `holdUnterminated`: leave out a last line that has no terminator yet (a live log mid-write); it is read
 * whole once the writer has finished it.
 */
export async function* splitLines(
  chunks: AsyncIterable<Uint8Array>,
  batchSize = DEFAULT_BATCH,
  holdUnterminated = false,
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<Line[]> {
  let carry: Buffer = Buffer.alloc(0);
  let carryStart = 0; // stream offset of carry[0]
  let lineNo = 0;
  let batch: Line[] = [];
  let first = true;
  /** While skipping an overlong line: its first bytes and its length so far. */
  let overlong: { head: Buffer; bytes: number } | undefined;

  for await (const chunk of chunks) {
    const buffer: Buffer = carry.length > 0 ? Buffer.concat([carry, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    if (first && buffer.length >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) start = 3;
    first = false;
    if (overlong) {
      const nl = buffer.indexOf(NEWLINE);
      if (nl === -1) {
        overlong.bytes += buffer.length;
        carryStart += buffer.length;
        carry = Buffer.alloc(0);
        continue;
      }
      overlong.bytes += nl;
      batch.push(overlongLine(overlong, ++lineNo, carryStart + nl + 1));
      overlong = undefined;
      start = nl + 1;
    }
    for (let nl = buffer.indexOf(NEWLINE, start); nl !== -1; nl = buffer.indexOf(NEWLINE, start)) {
      const stop = nl > start && buffer[nl - 1] === CARRIAGE_RETURN ? nl - 1 : nl;
      batch.push(
        nl - start > maxLineBytes
          ? overlongLine({ head: buffer.subarray(start, start + OVERLONG_SHOWN_BYTES), bytes: nl - start }, ++lineNo, carryStart + nl + 1)
          : { text: buffer.toString('utf8', start, stop), no: ++lineNo, end: carryStart + nl + 1 },
      );
      start = nl + 1;
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    carry = buffer.subarray(start);
    carryStart += start;
    if (carry.length > maxLineBytes) {
      overlong = { head: Buffer.from(carry.subarray(0, OVERLONG_SHOWN_BYTES)), bytes: carry.length };
      carryStart += carry.length;
      carry = Buffer.alloc(0);
    }
  }
  if (overlong) {
    if (!holdUnterminated) batch.push(overlongLine(overlong, ++lineNo, carryStart));
  } else if (carry.length > 0 && !holdUnterminated) {
    const stop = carry[carry.length - 1] === CARRIAGE_RETURN ? carry.length - 1 : carry.length;
    batch.push({ text: carry.toString('utf8', 0, stop), no: ++lineNo, end: carryStart + carry.length });
  }
  if (batch.length > 0) yield batch;
}

function overlongLine(overlong: { head: Buffer; bytes: number }, no: number, end: number): Line {
  return { text: overlong.head.toString('utf8'), no, end, overlongBytes: overlong.bytes };
}

/** Runs a per-line parser over an input's lines, batching its events. */
export async function* mapLines<E>(
  lines: AsyncIterable<Line[]>,
  parseLine: (line: Line) => E | readonly E[] | undefined,
  /** An overlong line (see MAX_LINE_BYTES) never reaches `parseLine`; by default it becomes this event. */
  onOverlong: ((line: Line) => E | undefined) | undefined = overlongReject as unknown as (line: Line) => E,
): AsyncGenerator<E[]> {
  for await (const batch of lines) {
    const events: E[] = [];
    for (const line of batch) {
      if (line.overlongBytes !== undefined) {
        const event = onOverlong?.(line);
        if (event !== undefined) events.push(event);
        continue;
      }
      const result = parseLine(line);
      if (result === undefined) continue;
      if (Array.isArray(result)) events.push(...(result as readonly E[]));
      else events.push(result as E);
    }
    if (events.length > 0) yield events;
  }
}

/** The reject of a line too long to read: its first bytes, its length, where it is. */
export function overlongReject(line: Line): ParseEvent {
  return {
    kind: 'reject',
    line: line.no,
    reason: `line of ${line.overlongBytes} bytes, longer than the ${MAX_LINE_BYTES} smbwatch reads: not read`,
    raw: line.text,
  };
}
