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
import { integerOutOfRange, type AsimRecord } from '../asim/record.js';
import { makeSample, SAMPLE_BYTES } from '../sources/input.js';
import { splitLines } from '../sources/lines.js';
import type { BulkPlan, Line, ParseOptions, SourceFormat, SourceInput } from '../sources/types.js';
import { HEAD_BYTES, type IngestGroup, type IngestOptions, type IngestTransaction, type LedgerEntry, type RejectRow, type Store } from '../store/engine.js';
import { quietDestroy, type RawInput } from './containers.js';
import { detectFormat, type Detection } from './detect.js';
import { isDiskFull } from '../store/disk-full.js';
import { isOutOfMemory } from '../store/out-of-memory.js';

/** `rejected`: read and kept, but every record was rejected — a failure (the wrong format, most likely). */
export type InputStatus = 'ingested' | 'rejected' | 'unchanged' | 'duplicate' | 'skipped' | 'error';

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
  /** Why an input the ledger knew was read again from the start, replacing what it had added. */
  readonly reread?: string;
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
  /** Read the input whatever the ledger says, replacing its earlier records and rejects (`ingest --force`). */
  readonly force?: boolean;
  /**
   * A group the bulk reads join (engine.ts IngestGroup): their ledger rows are staged, and the caller commits the
   * group. A line-reader input commits the group first, then runs in a transaction of its own (unless the group
   * takes line-reader inputs too: IngestGroup.takesLineInputs).
   */
  readonly group?: IngestGroup;
}

/** The engine refused a value of an input read in a group: the group is over, its inputs must be read again alone. */
export class GroupAbortedError extends Error {
  constructor(
    readonly input: string,
    readonly refusal: string,
  ) {
    super(`the bulk read of ${input} was refused (${refusal}); the group it was in is rolled back`);
    this.name = 'GroupAbortedError';
  }
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
  const reread = await rereadReason(store, raw.name, format, options.force === true);
  if (reread && !store.removeInputs) {
    return { ...base, status: 'error', format: format.name, reason: `cannot be read again (${reread}): the ${store.engine} store cannot replace an input's records`, seconds: elapsed(), detection };
  }
  const known = reread ? undefined : await priorContent(store, raw, format, headHash);
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
  const holdPartial = options.holdPartialLastLine === true && format.lineBased;
  const context = { base, format, detection, headHash, resumeAfterLine, continues, known, started, reread };
  let tap = new ContentTap(raw, options.onBytes, holdPartial);
  let refusal: string | undefined;
  try {
    const bulk = options.bulk === false || !store.bulkReads ? undefined : await planBulkRead(format, raw, tap, resumeAfterLine);
    if (bulk?.plan) {
      const outcome = await ingestInBulk(store, raw, tap, bulk.plan, bulk.file, context, options);
      if (outcome.status !== 'refused') return outcome;
      // The engine refused a value: the line reader reads the input (and keeps the rejects with their lines).
      refusal = outcome.reason;
      await tap.cleanup();
      tap = new ContentTap(raw, undefined, holdPartial);
    } else {
      refusal = bulk?.refusal;
    }
    return await ingestByLines(store, raw, tap, context, refusal, options);
  } finally {
    await tap.cleanup();
  }
}

/** What ingestInput decided before reading: the outcome's base, the format, and where the ledger says to start. */
interface InputContext {
  readonly base: Pick<InputOutcome, 'name' | 'container' | 'records' | 'rejects' | 'ignored' | 'bytes'>;
  readonly format: SourceFormat;
  readonly detection: Detection;
  readonly headHash: string;
  readonly resumeAfterLine: number;
  readonly continues: string | undefined;
  readonly known: { entry: LedgerEntry; check: 'unchanged' | 'grown' } | undefined;
  readonly started: number;
  /** Why the input is read again in place of what it added (rereadReason), if it is. */
  readonly reread: string | undefined;
}

/**
 * A bulk read, in the caller's group when there is one: the content was planned and hashed already, so a duplicate
 * is found before anything is written. `refused`: the engine refused a value (outside a group; in a group that
 * ends the group: GroupAbortedError).
 */
async function ingestInBulk(
  store: Store,
  raw: RawInput,
  tap: ContentTap,
  plan: BulkPlan,
  file: string,
  context: InputContext,
  options: IngestInputOptions,
): Promise<InputOutcome | { status: 'refused'; reason: string }> {
  tap.setLines(plan.lines);
  const content = await tap.finish();
  const duplicate = await duplicateOutcome(store, raw, content, context);
  if (duplicate) return duplicate;
  const tx = options.group ? await options.group.begin(ingestOptions(raw, context)) : await store.beginIngest(ingestOptions(raw, context));
  let records: number;
  try {
    records = await tx.appendBulk!(plan, { path: file, gzip: raw.container === 'gzip' });
  } catch (error) {
    await tx.rollback().catch(() => undefined);
    // A full disk or the memory limit is no refused value: the line reader would meet it too, and then only
    // "transaction aborted". The caller says what happened.
    if (isOutOfMemory(error) || isDiskFull(error)) throw error;
    const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    if (options.group) throw new GroupAbortedError(raw.name, reason);
    return { status: 'refused', reason };
  }
  try {
    options.onRecords?.(records);
    return await commitInput(tx, raw, content, { records, rejects: 0, ignored: 0 }, 'bulk', undefined, context);
  } catch (error) {
    // The failure is what the user must hear: a rollback that fails too (DuckDB has already ended a transaction
    // whose COMMIT failed) must not replace it.
    await tx.rollback().catch(() => undefined);
    throw error;
  }
}

/**
 * The line reader, in a transaction of the input's own (a group's staged inputs are committed first), or in the
 * group when it takes line-reader inputs.
 */
async function ingestByLines(
  store: Store,
  raw: RawInput,
  tap: ContentTap,
  context: InputContext,
  refusal: string | undefined,
  options: IngestInputOptions,
): Promise<InputOutcome> {
  const group = options.group?.takesLineInputs ? options.group : undefined;
  if (!group) await options.group?.commit();
  const tx = group ? await group.begin(ingestOptions(raw, context)) : await store.beginIngest(ingestOptions(raw, context));
  try {
    const counts = await parseLines(context.format, raw.name, tap.input, tx, context.resumeAfterLine, options);
    const content = await tap.finish();
    const duplicate = await duplicateOutcome(store, raw, content, context);
    if (duplicate) {
      await tx.rollback();
      return duplicate;
    }
    return await commitInput(tx, raw, content, counts, 'lines', refusal, context);
  } catch (error) {
    // The failure is what the user must hear: a rollback that fails too (DuckDB has already ended a transaction
    // whose COMMIT failed) must not replace it.
    await tx.rollback().catch(() => undefined);
    throw error;
  }
}

interface Content {
  hash: string;
  bytes: number;
  consumed: number;
  lines: number;
}

/** The transaction's options: the records are marked as the input's, and replace what it added if it is read again. */
function ingestOptions(raw: RawInput, context: InputContext): IngestOptions {
  return { input: raw.name, ...(context.reread ? { replace: true } : {}) };
}

/** A new input whose content another input already brought, whole: a duplicate, nothing to add. */
async function duplicateOutcome(store: Store, raw: RawInput, content: Content, context: InputContext): Promise<InputOutcome | undefined> {
  if (context.known || context.reread) return undefined;
  const sameContent = await store.ledgerEntryByHash(content.hash);
  if (!sameContent || sameContent.name === raw.name || sameContent.offsetReached !== content.consumed) return undefined;
  return {
    ...context.base,
    status: 'duplicate',
    format: context.format.name,
    reason: `same content as ${sameContent.name}, already ingested`,
    bytes: content.bytes,
    seconds: (performance.now() - context.started) / 1000,
    detection: context.detection,
  };
}

/** Writes the ledger entry with the records (commit, or staging in a group) and says what was ingested. */
async function commitInput(
  tx: IngestTransaction,
  raw: RawInput,
  content: Content,
  counts: Counts,
  reader: 'bulk' | 'lines',
  refusal: string | undefined,
  context: InputContext,
): Promise<InputOutcome> {
  const { format, headHash, resumeAfterLine, continues } = context;
  const entry: LedgerEntry = {
    name: raw.name,
    format: format.name,
    size: content.bytes,
    offsetReached: content.consumed,
    lineReached: content.lines,
    contentHash: content.hash,
    headHash: content.bytes >= HEAD_BYTES ? headHash : '',
    resumedAfterLine: resumeAfterLine,
    records: counts.records,
    rejects: counts.rejects,
    ignored: counts.ignored,
    ingestedAt: new Date(),
  };
  await tx.commit(entry);
  // Every record rejected: kept (smbwatch rejects shows them), but a failure — the format is most likely wrong.
  const allRejected = counts.records === 0 && counts.rejects > 0;
  const first = counts.firstReject;
  return {
    ...context.base,
    records: counts.records,
    rejects: counts.rejects,
    ignored: counts.ignored,
    reader,
    ...(refusal ? { bulkRefusal: refusal } : {}),
    ...(context.reread ? { reread: context.reread } : {}),
    ...(allRejected && first
      ? { reason: `every record was rejected (first: line ${first.line}${first.field ? `, ${first.field}` : ''}: ${first.reason}); is --format right? It was read as ${format.name}` }
      : {}),
    status: allRejected ? 'rejected' : 'ingested',
    format: format.name,
    bytes: content.bytes,
    seconds: (performance.now() - context.started) / 1000,
    detection: context.detection,
    ...(resumeAfterLine > 0 ? { resumedAfterLine: resumeAfterLine } : {}),
    ...(continues ? { continues } : {}),
  };
}

interface Counts {
  records: number;
  rejects: number;
  ignored: number;
  /** The first reject, for saying why when every record was rejected. */
  firstReject?: RejectRow;
}

/** A record kept as a reject's text: its fields as JSON (the line it came from is not at hand), shortened. */
function recordText(record: AsimRecord): string {
  const text = JSON.stringify(record);
  return text.length > 4096 ? `${text.slice(0, 4095)}…` : text;
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
  const counts: Counts = { records: 0, rejects: 0, ignored: 0 };
  let pendingRejects: RejectRow[] = [];
  for await (const events of format.parse(input, options.parse)) {
    const records: AsimRecord[] = [];
    for (const event of events) {
      if (event.line <= resumeAfterLine) continue;
      const unfit = event.kind === 'record' ? integerOutOfRange(event.record) : undefined;
      if (event.kind === 'record' && !unfit) records.push(event.record);
      else if (event.kind === 'ignored') counts.ignored++;
      else {
        counts.rejects++;
        const problem = event.kind === 'record' ? { field: unfit!.field, reason: unfit!.reason, raw: recordText(event.record) } : { field: event.field ?? '', reason: event.reason, raw: event.raw };
        const reject = { input: name, line: event.line, format: format.name, ...problem };
        counts.firstReject ??= reject;
        pendingRejects.push(reject);
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

/**
 * The bulk path's plan, when the format offers one and the content is a file the engine can open itself: made in
 * one pass over the content, which the tap hashes on the way. Otherwise why the line reader reads it.
 */
async function planBulkRead(
  format: SourceFormat,
  raw: RawInput,
  tap: ContentTap,
  resumeAfterLine: number,
): Promise<{ plan: BulkPlan; file: string; refusal?: undefined } | { plan?: undefined; refusal: string } | undefined> {
  if (!format.planBulk) return undefined;
  const file = raw.plainPath ?? (raw.container === 'gzip' ? raw.file : undefined);
  if (!file) return { refusal: `${raw.container} members are read by the line reader` };
  const verdict = await format.planBulk(tap.input.bytes(), resumeAfterLine);
  if (!verdict.plan) return { refusal: verdict.reason };
  if (tap.holdsPartialLine()) return { refusal: 'its last line is still being written' };
  return { plan: verdict.plan, file };
}

/**
 * Why an input the ledger knows is read again from the start, replacing what it added: `--force`, or a format
 * other than the one it was read as (a wrong --format the first time; the fix must not meet "unchanged").
 */
async function rereadReason(store: Store, name: string, format: SourceFormat, force: boolean): Promise<string | undefined> {
  const own = await store.lastLedgerEntry(name);
  if (!own) return undefined;
  if (force) return '--force';
  return own.format === format.name ? undefined : `it was read as ${own.format} before`;
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
