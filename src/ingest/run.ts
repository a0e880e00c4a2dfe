/**
 * An ingest run over the paths a user gave: expand them, open containers, ingest each logical input, and keep
 * a per-input outcome for the summary. Problems with one input never stop the others.
 */
import type { ParseOptions, SourceFormat } from '../sources/types.js';
import type { IngestGroup, Store } from '../store/engine.js';
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
  /** Bulk inputs commit together once this many records are staged (default GROUP_RECORDS). */
  readonly groupRecords?: number;
  /** Read every input whatever the ledger says, replacing what it added before (see IngestInputOptions). */
  readonly force?: boolean;
  /** Told which smbwatch commands got the store between two inputs (they waited for it: Store.letOthersIn). */
  readonly onLetIn?: (commands: readonly string[]) => void;
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

/**
 * Bulk inputs share a transaction until this many records are staged: a commit's fixed cost (the log write, a
 * checkpoint now and then) is then paid once per group instead of once per file, which is what made a directory of
 * hourly files several times slower than one big file. DuckDB writes full row groups out as they fill, so memory
 * stays bounded; a kill loses at most the open group, which the ledger does not know either.
 */
export const GROUP_RECORDS = 1_000_000;

/** The group size: the option, else $SMBWATCH_INGEST_GROUP_RECORDS (for tests and tuning), else GROUP_RECORDS. */
function groupRecords(options: IngestRunOptions): number {
  const fromEnv = Number(process.env.SMBWATCH_INGEST_GROUP_RECORDS);
  return options.groupRecords ?? (Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : GROUP_RECORDS);
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
  const group = await store.beginIngestGroup?.();
  const commitAt = groupRecords(options);
  /** Inputs staged in the open group: read again, alone, if the group is aborted. */
  let staged: Array<{ index: number; raw: RawInput; explicit: boolean }> = [];
  const settle = (outcome: InputOutcome, raw: RawInput, explicit: boolean): InputOutcome => {
    // A file the user named must be a log we read; files met inside directories and archives may be anything.
    const namedByUser = explicit && !raw.container.startsWith('zip');
    return namedByUser && outcome.status === 'skipped' && !outcome.format ? { ...outcome, status: 'error' } : outcome;
  };
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
        let outcome = await ingestOne(store, raw, options, group);
        if (group?.aborted) {
          // One refused bulk read ended the group's transaction: its inputs, and this one, are read again alone.
          await group.rollback();
          for (const again of staged) outcomes[again.index] = settle(await ingestOne(store, again.raw, options, undefined), again.raw, again.explicit);
          staged = [];
          outcome = await ingestOne(store, raw, options, undefined);
        }
        diskFull = outcome.status === 'error' && outcome.diskFull === true;
        outcome = settle(outcome, raw, file.explicit);
        outcomes.push(outcome);
        if (group && group.staged === 0) staged = [];
        else if (group && outcome.status === 'ingested' && outcome.reader === 'bulk') staged.push({ index: outcomes.length - 1, raw, explicit: file.explicit });
        if (group && group.staged >= commitAt) {
          diskFull = await commitGroup(store, group, staged, outcomes);
          staged = [];
        }
        progress?.inputDone(outcome, raw.storedSize, raw.container === 'plain');
        // Between inputs (never inside a transaction: not while a group holds staged inputs), commands waiting
        // for the store get their turn.
        const letIn = group && group.staged > 0 ? undefined : await store.letOthersIn?.();
        if (letIn && letIn.length > 0) options.onLetIn?.(letIn);
      }
    }
    if (group) await commitGroup(store, group, staged, outcomes);
  } catch (error) {
    await group?.rollback();
    throw error;
  } finally {
    progress?.stop();
  }
  return { outcomes, errors, seconds: (performance.now() - started) / 1000 };
}

/**
 * Commits the group's staged inputs. A full disk fails the COMMIT: none of them was stored, and each says so
 * (returns true: the run stops reading). Other failures propagate.
 */
async function commitGroup(
  store: Store,
  group: IngestGroup,
  staged: ReadonlyArray<{ index: number; raw: RawInput }>,
  outcomes: InputOutcome[],
): Promise<boolean> {
  try {
    await group.commit();
    return false;
  } catch (error) {
    if (!isDiskFull(error)) throw error;
    await group.rollback().catch(() => undefined);
    for (const { index, raw } of staged) {
      outcomes[index] = { ...failed(raw.name, raw.container, diskFullMessage(store.location, error as Error, 'nothing of this input was stored')), diskFull: true };
    }
    return true;
  }
}

async function ingestOne(store: Store, raw: RawInput, options: IngestRunOptions, group: IngestGroup | undefined): Promise<InputOutcome> {
  const progress = options.progress;
  try {
    return await ingestInput(store, raw, {
      format: options.format,
      parse: options.parse,
      onBytes: raw.container === 'plain' ? (count) => progress?.bytes(count) : undefined,
      onRecords: (count) => progress?.records(count),
      bulk: options.bulk !== false,
      holdPartialLastLine: options.holdPartialLastLine === true,
      ...(group ? { group } : {}),
      force: options.force === true,
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
