/**
 * An ingest run over the paths a user gave: expand them, open containers, ingest each logical input, and keep
 * a per-input outcome for the summary. Problems with one input never stop the others.
 */
import type { ParseOptions, SourceFormat } from '../sources/types.js';
import type { Store } from '../store/engine.js';
import { DEFAULT_LIMITS, openContainer, type ContainerLimits, type RawInput } from './containers.js';
import { describeError, expandPaths } from './expand.js';
import { ingestInput, type InputOutcome } from './ingest-input.js';
import { diskFullMessage, isDiskFull } from '../store/disk-full.js';

export interface IngestRunOptions {
  readonly format?: SourceFormat;
  readonly parse: ParseOptions;
  readonly progress?: IngestProgress;
  /** Let the store's engine read files whose format offers a bulk path (default true). */
  readonly bulk?: boolean;
  /** Leave unterminated last lines for a later ingest (logs still being written); see IngestInputOptions. */
  readonly holdPartialLastLine?: boolean;
  /** Limits on decompressed content (default DEFAULT_LIMITS: decompression bombs are refused). */
  readonly limits?: ContainerLimits;
}

/** What a progress display needs to hear. */
export interface IngestProgress {
  start(totalStoredBytes: number, inputs: number): void;
  input(name: string): void;
  bytes(count: number): void;
  records(count: number): void;
  /** An input is done: `storedBytes` is what it occupied on disk (compressed inputs advance the bar here). */
  inputDone(outcome: InputOutcome, storedBytes: number, contentCounted: boolean): void;
  stop(): void;
}

export interface IngestRunResult {
  readonly outcomes: InputOutcome[];
  /** Paths given that lead to no file (missing, or a pattern matching nothing). */
  readonly errors: Array<{ path: string; reason: string }>;
  readonly seconds: number;
}

export async function runIngest(store: Store, paths: readonly string[], options: IngestRunOptions): Promise<IngestRunResult> {
  const started = performance.now();
  const { files, errors, skipped } = await expandPaths(paths);
  const outcomes: InputOutcome[] = skipped.map(({ path, reason }) => ({ ...failed(path, 'plain', reason), status: 'skipped' as const }));
  const progress = options.progress;
  progress?.start(
    files.reduce((sum, file) => sum + file.size, 0),
    files.length,
  );
  /** Set once the store's disk is full: the inputs after it are not read (each would fail the same way). */
  let diskFull = false;
  try {
    for (const file of files) {
      if (diskFull) {
        outcomes.push(failed(file.path, 'plain', 'not read: the store\'s disk is full'));
        continue;
      }
      let inputs: RawInput[];
      try {
        inputs = await openContainer(file.path, file.size, options.limits ?? DEFAULT_LIMITS);
      } catch (error) {
        const reason = error instanceof Error && 'code' in error ? describeError(error as NodeJS.ErrnoException) : String(error);
        outcomes.push(failed(file.path, 'plain', `cannot be read: ${reason}`));
        continue;
      }
      for (const raw of inputs) {
        if (diskFull) {
          outcomes.push(failed(raw.name, raw.container, 'not read: the store\'s disk is full'));
          continue;
        }
        progress?.input(raw.name);
        let outcome = await ingestOne(store, raw, options);
        diskFull = outcome.status === 'error' && outcome.diskFull === true;
        // A file the user named must be a log we read; files met inside directories and archives may be anything.
        const namedByUser = file.explicit && !raw.container.startsWith('zip');
        if (namedByUser && outcome.status === 'skipped' && !outcome.format) outcome = { ...outcome, status: 'error' };
        outcomes.push(outcome);
        progress?.inputDone(outcome, raw.storedSize, raw.container === 'plain');
      }
    }
  } finally {
    progress?.stop();
  }
  return { outcomes, errors, seconds: (performance.now() - started) / 1000 };
}

async function ingestOne(store: Store, raw: RawInput, options: IngestRunOptions): Promise<InputOutcome> {
  const progress = options.progress;
  try {
    return await ingestInput(store, raw, {
      format: options.format,
      parse: options.parse,
      onBytes: raw.container === 'plain' ? (count) => progress?.bytes(count) : undefined,
      onRecords: (count) => progress?.records(count),
      bulk: options.bulk !== false,
      holdPartialLastLine: options.holdPartialLastLine === true,
    });
  } catch (error) {
    if (isDiskFull(error)) {
      return { ...failed(raw.name, raw.container, diskFullMessage(store.location, error as Error, 'nothing of this input was stored')), diskFull: true };
    }
    return failed(raw.name, raw.container, error instanceof Error ? error.message : String(error));
  }
}

function failed(name: string, container: string, reason: string): InputOutcome {
  return { name, container, status: 'error', reason, records: 0, rejects: 0, ignored: 0, bytes: 0, seconds: 0 };
}
