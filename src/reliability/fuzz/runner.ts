/**
 * Fuzzing one format over a range of document numbers: make each document, check it, and on a failure reduce
 * it (drop mutated units, then bytes) to a small reproducer written to the findings directory. Every so often
 * a document also goes through the real ingest into an in-memory store, so what parsers emit is proven
 * storable, and Zeek TSV files are ingested by both readers (bulk and lines) whose stores must agree.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawInput } from '../../ingest/containers.js';
import { ingestInput } from '../../ingest/ingest-input.js';
import { formatByName } from '../../sources/registry.js';
import type { SourceFormat } from '../../sources/types.js';
import { openDuckDbStore } from '../../store/duckdb.js';
import type { Template } from './corpus.js';
import { checkDocument, collect, type Failure } from './check.js';
import { assemble, documentRandom, makeDocument, type FuzzDocument } from './document.js';

export interface Finding {
  readonly kind: string;
  readonly format: string;
  readonly seed: number;
  readonly document: number;
  readonly message: string;
  readonly mutators: readonly string[];
  /** The reduced document, when one was written. */
  readonly reproducer?: string;
}

export interface FormatStats {
  readonly format: string;
  documents: number;
  mutatedInputs: number;
  differentialDocuments: number;
  ingestChecks: number;
  bytes: number;
  totalParseMs: number;
  /** The slowest document's parse time per line (mutated and valid lines together). */
  maxMsPerLine: number;
  maxDocumentMs: number;
  findings: Finding[];
}

export interface FuzzRange {
  readonly format: string;
  readonly templates: readonly Template[];
  readonly seed: number;
  readonly from: number;
  readonly to: number;
  readonly unitsPerDocument: number;
  /** Every n-th document also goes through the real ingest (0: never). */
  readonly ingestEvery: number;
  readonly findingsDir?: string;
  /** Called before each document (with its size) and during a reduction, so a watchdog can tell work from a hang. */
  readonly onDocument?: (number: number, bytes: number) => void;
}

export function emptyStats(format: string): FormatStats {
  return { format, documents: 0, mutatedInputs: 0, differentialDocuments: 0, ingestChecks: 0, bytes: 0, totalParseMs: 0, maxMsPerLine: 0, maxDocumentMs: 0, findings: [] };
}

export function fuzzDocument(range: Pick<FuzzRange, 'templates' | 'seed' | 'format' | 'unitsPerDocument'>, number: number): FuzzDocument {
  return makeDocument(range.templates, documentRandom(range.seed, range.format, number), range.unitsPerDocument);
}

export async function fuzzRange(range: FuzzRange): Promise<FormatStats> {
  const format = formatByName(range.format);
  if (!format) throw new Error(`unknown format ${range.format}`);
  const stats = emptyStats(range.format);
  const seenFailures = new Set<string>();
  for (let number = range.from; number < range.to; number++) {
    const document = fuzzDocument(range, number);
    range.onDocument?.(number, assemble(document).bytes.length);
    const result = await checkDocument(document, format, number % 16 === 0);
    stats.documents++;
    stats.mutatedInputs += document.mutated.length;
    stats.bytes += result.bytes;
    stats.totalParseMs += result.parseMs;
    stats.maxDocumentMs = Math.max(stats.maxDocumentMs, result.parseMs);
    stats.maxMsPerLine = Math.max(stats.maxMsPerLine, result.parseMs / Math.max(1, result.lines));
    if (result.differential) stats.differentialDocuments++;
    let failure = result.failure;
    const throughIngest = !failure && range.ingestEvery > 0 && number % range.ingestEvery === 0;
    if (throughIngest) {
      stats.ingestChecks++;
      failure = await ingestCheck(format, assemble(document).bytes, number);
    }
    if (!failure) continue;
    const signature = `${failure.kind}:${failure.message.replace(/\d+/g, 'N')}`;
    if (seenFailures.has(signature)) continue; // one reproducer per distinct failure
    seenFailures.add(signature);
    const reduced = await reduce(document, format, failure, throughIngest, () => range.onDocument?.(number, 0));
    const reproducer = range.findingsDir ? writeReproducer(range.findingsDir, range, number, failure, reduced) : undefined;
    stats.findings.push({
      kind: failure.kind,
      format: range.format,
      seed: range.seed,
      document: number,
      message: failure.message,
      mutators: [...new Set(document.applied)],
      ...(reproducer ? { reproducer } : {}),
    });
  }
  return stats;
}

/** The document through the real ingest: nothing may throw, and the store must hold what the parser emitted. */
async function ingestCheck(format: SourceFormat, bytes: Buffer, number: number): Promise<Failure | undefined> {
  const expected = (await collect(format, bytes)).filter((event) => event.kind === 'record').length;
  const useFile = format.planBulk !== undefined;
  const dir = useFile ? mkdtempSync(join(tmpdir(), 'smbwatch-fuzz-')) : undefined;
  try {
    const path = dir ? join(dir, `doc-${number}.log`) : undefined;
    if (path) writeFileSync(path, bytes);
    const counts: number[] = [];
    for (const bulk of useFile ? [true, false] : [false]) {
      const store = await openDuckDbStore(':memory:');
      try {
        const raw: RawInput = {
          name: `fuzz-${number}`,
          file: path ?? 'memory',
          storedSize: bytes.length,
          container: 'plain',
          ...(path ? { plainPath: path } : {}),
          open: async () => oneChunk(bytes),
        };
        const outcome = await ingestInput(store, raw, { format, parse: {}, bulk });
        const stored = Number((await store.query('SELECT count(*) FROM smbwatch_sessions')).rows[0]?.[0]);
        if (outcome.status !== 'ingested' || outcome.records !== stored) {
          return { kind: 'bad-event', message: `ingest (${bulk ? 'bulk' : 'lines'}): ${outcome.status} ${outcome.reason ?? ''} records ${outcome.records}, stored ${stored}` };
        }
        counts.push(stored);
        if (bulk) continue;
        if (stored !== expected) return { kind: 'bad-event', message: `ingest stored ${stored} records, the parser emitted ${expected}` };
      } catch (error) {
        return { kind: 'parse-exception', message: `ingest (${bulk ? 'bulk' : 'lines'}): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
      } finally {
        await store.close();
      }
    }
    if (counts.length === 2 && counts[0] !== counts[1]) return { kind: 'lost-valid-unit', message: `bulk reader stored ${counts[0]} records, line reader ${counts[1]}` };
    return undefined;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

async function* oneChunk(bytes: Buffer): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Delta debugging, bounded: fewer units first, then fewer bytes in each mutated unit, keeping the failure kind. */
async function reduce(document: FuzzDocument, format: SourceFormat, failure: Failure, throughIngest: boolean, beat: () => void): Promise<FuzzDocument> {
  let budget = throughIngest ? 150 : 400;
  const fails = async (candidate: FuzzDocument): Promise<boolean> => {
    if (budget-- <= 0) return false;
    beat();
    const result = await checkDocument(candidate, format, failure.kind === 'sniff-exception');
    const found = result.failure ?? (throughIngest ? await ingestCheck(format, assemble(candidate).bytes, 0) : undefined);
    return found?.kind === failure.kind;
  };
  let current = document;
  for (let i = current.mutated.length - 1; i >= 0 && current.mutated.length > 1; i--) {
    const candidate = { ...current, mutated: current.mutated.filter((_, k) => k !== i), valid: current.valid.filter((_, k) => k !== i + 1) };
    if (await fails(candidate)) current = candidate;
  }
  for (let index = 0; index < current.mutated.length; index++) {
    let unit = current.mutated[index]!;
    for (let chunk = Math.ceil(unit.length / 2); chunk >= 1 && budget > 0; chunk = chunk === 1 ? 0 : Math.ceil(chunk / 2)) {
      for (let at = 0; at < unit.length && budget > 0; ) {
        const smaller = Buffer.concat([unit.subarray(0, at), unit.subarray(at + chunk)]);
        const mutated = current.mutated.map((value, k) => (k === index ? smaller : value));
        if (await fails({ ...current, mutated })) {
          unit = smaller;
          current = { ...current, mutated };
        } else at += chunk;
      }
    }
  }
  return current;
}

function writeReproducer(dir: string, range: FuzzRange, number: number, failure: Failure, document: FuzzDocument): string {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${range.format}-${failure.kind}-seed${range.seed}-doc${number}`);
  writeFileSync(`${base}.bin`, assemble(document).bytes);
  writeFileSync(`${base}.json`, `${JSON.stringify({ format: range.format, seed: range.seed, document: number, ...failure }, null, 2)}\n`);
  return `${base}.bin`;
}
