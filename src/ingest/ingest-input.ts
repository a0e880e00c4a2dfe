/**
 * Ingesting one logical input into the store: detect its format from content, decide from the ledger whether
 * it is new, unchanged or grown, parse it, and apply it in one transaction — all of it or nothing.
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { AsimRecord } from '../asim/record.js';
import { makeSample, SAMPLE_BYTES } from '../sources/input.js';
import { splitLines } from '../sources/lines.js';
import type { Line, ParseOptions, SourceFormat, SourceInput } from '../sources/types.js';
import type { LedgerEntry, RejectRow, Store } from '../store/engine.js';
import type { RawInput } from './containers.js';
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
}

export interface IngestInputOptions {
  /** A format name forced by `--format`, or undefined to detect from content. */
  readonly format?: SourceFormat;
  readonly parse: ParseOptions;
  /** Called with the number of content bytes just read. */
  readonly onBytes?: (bytes: number) => void;
  /** Called with the number of records just appended. */
  readonly onRecords?: (records: number) => void;
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

  const prior = await store.lastLedgerEntry(raw.name);
  let resumeAfterLine = 0;
  if (prior) {
    const check = await comparePrefix(raw, prior);
    if (check === 'unchanged') {
      return { ...base, status: 'unchanged', format: format.name, reason: `already ingested ${prior.ingestedAt.toISOString()}`, seconds: elapsed(), detection };
    }
    if (check === 'grown') {
      if (!format.lineBased) {
        return {
          ...base,
          status: 'skipped',
          format: format.name,
          reason: `changed since it was ingested, and ${format.name} is read as a whole: move the new data to a new file`,
          seconds: elapsed(),
          detection,
        };
      }
      resumeAfterLine = prior.lineReached;
    }
  }

  const tap = new ContentTap(raw, options.onBytes);
  const tx = await store.beginIngest();
  try {
    const counts = { records: 0, rejects: 0, ignored: 0 };
    let pendingRejects: RejectRow[] = [];
    for await (const events of format.parse(tap.input, options.parse)) {
      const records: AsimRecord[] = [];
      for (const event of events) {
        if (event.line <= resumeAfterLine) continue;
        if (event.kind === 'record') records.push(event.record);
        else if (event.kind === 'ignored') counts.ignored++;
        else {
          counts.rejects++;
          pendingRejects.push({ input: raw.name, line: event.line, format: format.name, field: event.field ?? '', reason: event.reason, raw: event.raw });
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
    const content = await tap.finish();

    const sameContent = prior ? undefined : await store.ledgerEntryByHash(content.hash);
    if (sameContent && sameContent.name !== raw.name && sameContent.offsetReached === content.bytes) {
      await tx.rollback();
      return { ...base, status: 'duplicate', format: format.name, reason: `same content as ${sameContent.name}, already ingested`, bytes: content.bytes, seconds: elapsed(), detection };
    }
    const entry: LedgerEntry = {
      name: raw.name,
      format: format.name,
      size: content.bytes,
      offsetReached: content.bytes,
      lineReached: content.lines,
      contentHash: content.hash,
      ...counts,
      ingestedAt: new Date(),
    };
    await tx.commit(entry);
    return {
      ...base,
      ...counts,
      status: 'ingested',
      format: format.name,
      bytes: content.bytes,
      seconds: elapsed(),
      detection,
      ...(resumeAfterLine > 0 ? { resumedAfterLine: resumeAfterLine } : {}),
    };
  } catch (error) {
    await tx.rollback();
    throw error;
  } finally {
    await tap.cleanup();
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
  destroy(stream);
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
  destroy(stream);
  if (read < prior.offsetReached || hash.digest('hex') !== prior.contentHash) return 'different';
  return beyond ? 'grown' : 'unchanged';
}

function destroy(stream: AsyncIterable<Uint8Array>): void {
  if (stream instanceof Readable) stream.destroy();
}

/**
 * The `SourceInput` a format parses, watching the content go by: it hashes and counts the bytes and lines as
 * the parser reads them, so the ledger costs no second read. A parser that reads from a local file instead
 * (Parquet) gets the content hashed separately at the end.
 */
class ContentTap {
  readonly input: SourceInput;
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private lines = 0;
  private tapped = false;
  private tempDir: string | undefined;

  constructor(
    private readonly raw: RawInput,
    private readonly onBytes: ((bytes: number) => void) | undefined,
  ) {
    const tapBytes = () => this.tapOnce();
    this.input = {
      name: raw.name,
      bytes: tapBytes,
      lines: () => this.countLines(splitLines(tapBytes())),
      localFile: () => this.localFile(),
    };
  }

  async finish(): Promise<{ hash: string; bytes: number; lines: number }> {
    if (!this.tapped) for await (const _ of this.tapOnce()) void _;
    return { hash: this.hash.digest('hex'), bytes: this.bytes, lines: this.lines };
  }

  async cleanup(): Promise<void> {
    if (this.tempDir) await rm(this.tempDir, { recursive: true, force: true });
    this.tempDir = undefined;
  }

  private async *tapOnce(): AsyncGenerator<Uint8Array> {
    const watch = !this.tapped;
    this.tapped = true;
    for await (const chunk of await this.raw.open()) {
      if (watch) {
        this.hash.update(chunk);
        this.bytes += chunk.length;
        this.onBytes?.(chunk.length);
      }
      yield chunk;
    }
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
