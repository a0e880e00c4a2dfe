/**
 * Ingesting one logical input into the store: detect its format from content, decide from the ledger whether
 * it is new, unchanged or grown, parse it, and apply it in one transaction — all of it or nothing.
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { AsimRecord } from '../asim/record.js';
import { makeSample, SAMPLE_BYTES } from '../sources/input.js';
import { splitLines } from '../sources/lines.js';
import type { Line, ParseOptions, SourceFormat, SourceInput } from '../sources/types.js';
import { HEAD_BYTES, type IngestTransaction, type LedgerEntry, type RejectRow, type Store } from '../store/engine.js';
import { quietDestroy, type RawInput } from './containers.js';
import { detectFormat, type Detection } from './detect.js';

export type InputStatus = 'ingested' | 'unchanged' | 'duplicate' | 'skipped' | 'error';

export interface InputOutcome {
  readonly name: string;
  readonly container: string;
  readonly status: InputStatus;
  readonly format?: string;
  /** Why it was skipped, found unchanged, a duplicate, or failed. */
  readonly reason?: string;
  readonly records: number;
  readonly rejects: number;
  readonly ignored: number;
  /** Content bytes read (decompressed). */
  readonly bytes: number;
  readonly seconds: number;
  /** When a grown file was resumed: the line after which new records were taken. */
  readonly resumedAfterLine?: number;
  readonly detection?: Detection;
  /** The earlier input this one continues (a rotated copy of a partly ingested live log). */
  readonly continues?: string;
  /** Who read the records: the store's engine (`bulk`) or the format's line reader. */
  readonly reader?: 'bulk' | 'lines';
  /** Why a format with a bulk path was read by lines. */
  readonly bulkRefusal?: string;
  /** The input failed because the store's disk is full (the run stops there). */
  readonly diskFull?: boolean;
}

export interface IngestInputOptions {
  /** A format name forced by `--format`, or undefined to detect from content. */
  readonly format?: SourceFormat;
  readonly parse: ParseOptions;
  /** Called with the number of content bytes just read. */
  readonly onBytes?: (bytes: number) => void;
  /** Called with the number of records just appended. */
  readonly onRecords?: (records: number) => void;
  /** Let the store's engine read formats that offer a bulk path (default true). */
  readonly bulk?: boolean;
  /**
   * Leave an unterminated last line for later (line formats): for logs still being written. The ledger then
   * records the content up to the last line end, and the next ingest reads the finished line.
   */
  readonly holdPartialLastLine?: boolean;
}

const REJECT_BATCH = 1000;

export async function ingestInput(store: Store, raw: RawInput, options: IngestInputOptions): Promise<InputOutcome> {
  const started = performance.now();
  const base = { name: raw.name, container: raw.container, records: 0, rejects: 0, ignored: 0, bytes: 0 };
  const elapsed = (): number => (performance.now() - started) / 1000;

  const sample = await readSample(raw);
  if (sample.bytes.length === 0) return { ...base, status: 'skipped', reason: 'empty', seconds: elapsed() };
  const detection = options.format
    ? { format: options.format, verdicts: [], reason: `forced with --format ${options.format.name}` }
    : detectFormat(sample);
  if (!detection.format) {
    return { ...base, status: 'skipped', reason: detection.reason, seconds: elapsed(), detection };
  }
  const format = detection.format;

  const headHash = sample.bytes.length >= HEAD_BYTES ? createHash('sha256').update(sample.bytes.subarray(0, HEAD_BYTES)).digest('hex') : '';
  const known = await priorContent(store, raw, format, headHash);
  let resumeAfterLine = 0;
  if (known) {
    const { entry, check } = known;
    const ownName = entry.name === raw.name;
    if (check === 'unchanged') {
      return ownName
        ? { ...base, status: 'unchanged', format: format.name, reason: `already ingested ${entry.ingestedAt.toISOString()}`, seconds: elapsed(), detection }
        : { ...base, status: 'duplicate', format: format.name, reason: `same content as ${entry.name}, already ingested`, seconds: elapsed(), detection };
    }
    if (check === 'grown') {
      if (!format.lineBased) {
        return {
          ...base,
          status: 'skipped',
          format: format.name,
          reason: `${ownName ? 'changed since it was ingested' : `continues ${entry.name}`}, and ${format.name} is read as a whole: move the new data to a new file`,
          seconds: elapsed(),
          detection,
        };
      }
      resumeAfterLine = entry.lineReached;
    }
  }
  const continues = known && known.check === 'grown' && known.entry.name !== raw.name ? known.entry.name : undefined;

  if (options.holdPartialLastLine && !format.lineBased && raw.plainPath && !(await endsWithNewline(raw.plainPath))) {
    return { ...base, status: 'skipped', format: format.name, reason: `still being written, and ${format.name} is read as a whole`, seconds: elapsed(), detection };
  }
  const tap = new ContentTap(raw, options.onBytes, options.holdPartialLastLine === true && format.lineBased);
  let tx = await store.beginIngest();
  try {
    const bulk = options.bulk === false ? undefined : await tryBulk(format, raw, tap, tx, resumeAfterLine);
    let counts: Counts;
    if (bulk?.records !== undefined) {
      counts = { records: bulk.records, rejects: 0, ignored: 0 };
      options.onRecords?.(bulk.records);
    } else {
      if (bulk?.aborted) {
        await tx.rollback();
        tx = await store.beginIngest();
      }
      counts = await parseLines(format, raw.name, tap.input, tx, resumeAfterLine, options);
    }
    const reader = bulk?.records !== undefined ? ('bulk' as const) : ('lines' as const);
    const content = await tap.finish();

    const sameContent = known ? undefined : await store.ledgerEntryByHash(content.hash);
    if (sameContent && sameContent.name !== raw.name && sameContent.offsetReached === content.consumed) {
      await tx.rollback();
      return { ...base, status: 'duplicate', format: format.name, reason: `same content as ${sameContent.name}, already ingested`, bytes: content.bytes, seconds: elapsed(), detection };
    }
    const entry: LedgerEntry = {
      name: raw.name,
      format: format.name,
      size: content.bytes,
      offsetReached: content.consumed,
      lineReached: content.lines,
      contentHash: content.hash,
      headHash: content.bytes >= HEAD_BYTES ? headHash : '',
      resumedAfterLine: resumeAfterLine,
      ...counts,
      ingestedAt: new Date(),
    };
    await tx.commit(entry);
    return {
      ...base,
      ...counts,
      reader,
      ...(bulk?.refusal ? { bulkRefusal: bulk.refusal } : {}),
      status: 'ingested',
      format: format.name,
      bytes: content.bytes,
      seconds: elapsed(),
      detection,
      ...(resumeAfterLine > 0 ? { resumedAfterLine: resumeAfterLine } : {}),
      ...(continues ? { continues } : {}),
    };
  } catch (error) {
    // The failure is what the user must hear: a rollback that fails too (DuckDB has already ended a transaction
    // whose COMMIT failed) must not replace it.
    await tx.rollback().catch(() => undefined);
    throw error;
  } finally {
    await tap.cleanup();
  }
}

interface Counts {
  records: number;
  rejects: number;
  ignored: number;
}

/** The line reader: every event becomes a record, a kept reject or a counted ignored line. */
async function parseLines(
  format: SourceFormat,
  name: string,
  input: SourceInput,
  tx: IngestTransaction,
  resumeAfterLine: number,
  options: IngestInputOptions,
): Promise<Counts> {
  const counts = { records: 0, rejects: 0, ignored: 0 };
  let pendingRejects: RejectRow[] = [];
  for await (const events of format.parse(input, options.parse)) {
    const records: AsimRecord[] = [];
    for (const event of events) {
      if (event.line <= resumeAfterLine) continue;
      if (event.kind === 'record') records.push(event.record);
      else if (event.kind === 'ignored') counts.ignored++;
      else {
        counts.rejects++;
        pendingRejects.push({ input: name, line: event.line, format: format.name, field: event.field ?? '', reason: event.reason, raw: event.raw });
      }
    }
    if (records.length > 0) {
      await tx.appendRecords(records);
      counts.records += records.length;
      options.onRecords?.(records.length);
    }
    if (pendingRejects.length >= REJECT_BATCH) {
      await tx.appendRejects(pendingRejects);
      pendingRejects = [];
    }
  }
  await tx.appendRejects(pendingRejects);
  return counts;
}

interface BulkAttempt {
  /** Records added by the engine's own reader, when the bulk read went through. */
  readonly records?: number;
  /** Why the bulk read was not used (the line reader reads the input). */
  readonly refusal?: string;
  /** The engine started and failed: the transaction must be rolled back. */
  readonly aborted?: boolean;
}

/**
 * The bulk path, when the format offers one and the content is a file the engine can open itself: the
 * format's plan is made in one pass over the content (which the tap also hashes), then the engine reads the
 * file. Any value that does not fit aborts it, and the line reader takes over.
 */
async function tryBulk(format: SourceFormat, raw: RawInput, tap: ContentTap, tx: IngestTransaction, resumeAfterLine: number): Promise<BulkAttempt | undefined> {
  if (!format.planBulk || !tx.appendBulk) return undefined;
  const file = raw.plainPath ?? (raw.container === 'gzip' ? raw.file : undefined);
  if (!file) return { refusal: `${raw.container} members are read by the line reader` };
  const verdict = await format.planBulk(tap.input.bytes(), resumeAfterLine);
  if (!verdict.plan) return { refusal: verdict.reason };
  if (tap.holdsPartialLine()) return { refusal: 'its last line is still being written' };
  try {
    const records = await tx.appendBulk(verdict.plan, { path: file, gzip: raw.container === 'gzip' });
    tap.setLines(verdict.plan.lines);
    return { records };
  } catch (error) {
    return { refusal: error instanceof Error ? error.message.split('\n')[0] : String(error), aborted: true };
  }
}

/**
 * What the ledger knows of this content: the input's own latest entry, or else an earlier input whose content
 * this one begins with (Zeek rotates `conn.log` into `conn.<time>.log.gz`: the live file's ingested lines must
 * not count twice). A candidate counts only if its whole recorded prefix matches, byte for byte.
 */
async function priorContent(
  store: Store,
  raw: RawInput,
  format: SourceFormat,
  headHash: string,
): Promise<{ entry: LedgerEntry; check: 'unchanged' | 'grown' } | undefined> {
  const own = await store.lastLedgerEntry(raw.name);
  if (own) {
    const check = await comparePrefix(raw, own);
    return check === 'different' ? undefined : { entry: own, check };
  }
  for (const candidate of await store.ledgerEntriesByHeadHash(headHash)) {
    if (candidate.format !== format.name) continue;
    const check = await comparePrefix(raw, candidate);
    if (check !== 'different') return { entry: candidate, check };
  }
  return undefined;
}

async function endsWithNewline(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

async function readSample(raw: RawInput) {
  const parts: Buffer[] = [];
  let total = 0;
  const stream = await raw.open();
  for await (const chunk of stream) {
    parts.push(Buffer.from(chunk));
    total += chunk.length;
    if (total > SAMPLE_BYTES) break;
  }
  quietDestroy(stream);
  const head = Buffer.concat(parts);
  return makeSample(head.subarray(0, SAMPLE_BYTES), head.length > SAMPLE_BYTES);
}

/** Whether the content still begins with what the ledger recorded, and whether anything follows it. */
async function comparePrefix(raw: RawInput, prior: LedgerEntry): Promise<'unchanged' | 'grown' | 'different'> {
  const hash = createHash('sha256');
  let read = 0;
  let beyond = false;
  const stream = await raw.open();
  for await (const chunk of stream) {
    const take = Math.min(chunk.length, prior.offsetReached - read);
    if (take > 0) hash.update(chunk.subarray(0, take));
    read += take;
    if (take < chunk.length) {
      beyond = true;
      break;
    }
  }
  quietDestroy(stream);
  if (read < prior.offsetReached || hash.digest('hex') !== prior.contentHash) return 'different';
  return beyond ? 'grown' : 'unchanged';
}


/**
 * The `SourceInput` a format parses, watching the content go by: it hashes and counts the bytes and lines as
 * the parser reads them, so the ledger costs no second read. A parser that reads from a local file instead
 * (Parquet) gets the content hashed separately at the end.
 */
class ContentTap {
  readonly input: SourceInput;
  private hash: Hash = createHash('sha256');
  private bytes = 0;
  private lines = 0;
  private tapped = false;
  /** The tapped read reached the end of the content. */
  private complete = false;
  /** When holding back a partial last line: the hash and byte count at the last line end seen. */
  private atLineEnd: { hash: Hash; bytes: number } | undefined;
  private tempDir: string | undefined;

  constructor(
    private readonly raw: RawInput,
    private readonly onBytes: ((bytes: number) => void) | undefined,
    private readonly holdPartial = false,
  ) {
    const tapBytes = () => this.tapOnce();
    this.input = {
      name: raw.name,
      bytes: tapBytes,
      lines: () => this.countLines(splitLines(tapBytes(), undefined, this.holdPartial)),
      localFile: () => this.localFile(),
    };
    this.startAtLineEnd();
  }

  /** True when the content read so far ends inside a line that is being held back. */
  holdsPartialLine(): boolean {
    return this.holdPartial && this.atLineEnd !== undefined && this.atLineEnd.bytes < this.bytes;
  }

  /** The line count when something other than `lines()` read the content (a bulk read). */
  setLines(lines: number): void {
    this.lines = lines;
  }

  /** The content's size, and the hash and size of the part consumed (all of it, unless a partial line is held back). */
  async finish(): Promise<{ hash: string; bytes: number; consumed: number; lines: number }> {
    if (!this.complete) {
      // Nothing read the content to its end through the tap (a Parquet reader, a refused bulk plan): hash it now.
      this.tapped = false;
      this.hash = createHash('sha256');
      this.bytes = 0;
      this.startAtLineEnd();
      for await (const _ of this.tapOnce(false)) void _;
    }
    if (this.holdsPartialLine()) {
      const { hash, bytes } = this.atLineEnd!;
      return { hash: hash.digest('hex'), bytes: this.bytes, consumed: bytes, lines: this.lines };
    }
    return { hash: this.hash.digest('hex'), bytes: this.bytes, consumed: this.bytes, lines: this.lines };
  }

  async cleanup(): Promise<void> {
    if (this.tempDir) await rm(this.tempDir, { recursive: true, force: true });
    this.tempDir = undefined;
  }

  private async *tapOnce(report = true): AsyncGenerator<Uint8Array> {
    const watch = !this.tapped;
    this.tapped = true;
    for await (const chunk of await this.raw.open()) {
      if (watch) {
        this.hashChunk(chunk);
        if (report) this.onBytes?.(chunk.length);
      }
      yield chunk;
    }
    if (watch) this.complete = true;
  }

  private hashChunk(chunk: Uint8Array): void {
    const lastNewline = this.holdPartial ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).lastIndexOf(0x0a) : -1;
    if (lastNewline === -1) {
      this.hash.update(chunk);
    } else {
      this.hash.update(chunk.subarray(0, lastNewline + 1));
      this.atLineEnd = { hash: this.hash.copy(), bytes: this.bytes + lastNewline + 1 };
      this.hash.update(chunk.subarray(lastNewline + 1));
    }
    this.bytes += chunk.length;
  }

  /** Where consumption stands before anything is read: at a line end, offset 0. */
  private startAtLineEnd(): void {
    this.atLineEnd = this.holdPartial ? { hash: createHash('sha256'), bytes: 0 } : undefined;
  }

  private async *countLines(batches: AsyncIterable<Line[]>): AsyncGenerator<Line[]> {
    for await (const batch of batches) {
      const last = batch[batch.length - 1];
      if (last) this.lines = last.no;
      yield batch;
    }
  }

  private async localFile(): Promise<string> {
    if (this.raw.plainPath) return this.raw.plainPath;
    this.tempDir ??= await mkdtemp(join(tmpdir(), 'smbwatch-'));
    const path = join(this.tempDir, 'content');
    await pipeline(Readable.from(await this.raw.open()), createWriteStream(path));
    return path;
  }
}
