/**
 * An ingest run over the paths a user gave: expand them, open containers, ingest each logical input, and keep
 * a per-input outcome for the summary. Problems with one input never stop the others.
 */
import type { ParseOptions, SourceFormat } from '../sources/types.js';
import type { IngestGroup, Store } from '../store/engine.js';
import { DEFAULT_LIMITS, openContainer, type ContainerLimits, type RawInput } from './containers.js';
import { resolve } from 'node:path';
import { describeError, expandPaths } from './expand.js';
import { ingestInput, type InputOutcome } from './ingest-input.js';
import { diskFullMessage, isDiskFull } from '../store/disk-full.js';
import { isOutOfMemory, outOfMemoryMessage } from '../store/out-of-memory.js';

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
  /** Bytes of a plain input read (they count towards the stored bytes of start()). */
  bytes(count: number): void;
  /** Decompressed bytes of a compressed input read (its stored bytes count when it is done). */
  contentBytes?(count: number): void;
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

/** Whether a path is one of the store's own files (a DuckDB file and its companions `<file>.wal`, `<file>.*`). */
function storeFileTest(location: string): (path: string) => boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return () => false; // a server store: no local files
  const own = resolve(location);
  return (path) => {
    const candidate = resolve(path);
    return candidate === own || candidate.startsWith(`${own}.`);
  };
}

export async function runIngest(store: Store, paths: readonly string[], options: IngestRunOptions): Promise<IngestRunResult> {
  const started = performance.now();
  const expansion = await expandPaths(paths);
  const { errors } = expansion;
  // `smbwatch ingest .` where the store lives: its file, WAL and holder note are not logs, and reading the store
  // while writing it would be wrong.
  const isOwn = storeFileTest(store.location);
  const files = expansion.files.filter((file) => !isOwn(file.path));
  const skipped = [
    ...expansion.skipped,
    ...expansion.files.filter((file) => isOwn(file.path)).map((file) => ({ path: file.path, reason: "the store's own file, not a log" })),
  ];
  const outcomes: InputOutcome[] = skipped.map(({ path, reason }) => ({ ...failed(path, 'plain', reason), status: 'skipped' as const }));
  const progress = options.progress;
  progress?.start(
    files.reduce((sum, file) => sum + file.size, 0),
    files.length,
  );
  const begun = await store.beginIngestGroup?.();
  const group = begun ? new OpenGroup(store, begun, options, outcomes) : undefined;
  const commitAt = groupRecords(options);
  /** Once the store's disk is full, the inputs after it are not read (each would fail the same way). */
  const diskFull = (): boolean => group?.diskFull === true || outcomes.some((outcome) => outcome.diskFull === true);
  try {
    for (const file of files) {
      if (diskFull()) {
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
        if (diskFull()) {
          outcomes.push(failed(raw.name, raw.container, 'not read: the store\'s disk is full'));
          continue;
        }
        progress?.input(raw.name);
        let outcome = await ingestOne(store, raw, options, group?.forInputs);
        if (group?.aborted) {
          // One refused bulk read ended the group's transaction: its inputs, and this one, are read again alone.
          await group.readStagedAlone();
          outcome = await ingestOne(store, raw, options, undefined);
        }
        outcome = settle(outcome, raw, file.explicit);
        outcomes.push(outcome);
        if (group?.holdsStaged && outcome.status === 'ingested' && (outcome.reader === 'bulk' || group.takesLineInputs)) {
          group.stage({ index: outcomes.length - 1, raw, explicit: file.explicit });
        }
        if (group && group.stagedRecords >= commitAt) await group.commit();
        progress?.inputDone(outcome, raw.storedSize, raw.container === 'plain');
        // Between inputs (never inside a transaction: not while a group holds staged inputs), commands waiting
        // for the store get their turn.
        const letIn = group?.holdsStaged ? undefined : await store.letOthersIn?.();
        if (letIn && letIn.length > 0) options.onLetIn?.(letIn);
      }
    }
    // Whatever is staged is committed, even after a full disk (the commit then fails and marks its inputs so).
    if (group) await group.commit();
  } catch (error) {
    await group?.rollback();
    throw error;
  } finally {
    progress?.stop();
  }
  return { outcomes, errors, seconds: (performance.now() - started) / 1000 };
}

/** A file the user named must be a log we read; files met inside directories and archives may be anything. */
function settle(outcome: InputOutcome, raw: RawInput, explicit: boolean): InputOutcome {
  const namedByUser = explicit && !raw.container.startsWith('zip');
  return namedByUser && outcome.status === 'skipped' && !outcome.format ? { ...outcome, status: 'error' } : outcome;
}

interface StagedInput {
  readonly index: number;
  readonly raw: RawInput;
  readonly explicit: boolean;
}

/**
 * The run's ingest group and the inputs staged in it (their outcomes say `ingested` before the group commits). Every
 * commit goes through here, also the one a line-reader input asks for before its own transaction (`forInputs`), so
 * each way a commit fails is handled once: a full disk marks the staged inputs as not stored and stops the run; a
 * refused deferred read rolls the group back and reads its inputs again alone (the refused one then by lines).
 */
class OpenGroup {
  private staged: StagedInput[] = [];
  diskFull = false;
  /** The group as ingestInput sees it: its commit is this one's. */
  readonly forInputs: IngestGroup;

  constructor(
    private readonly store: Store,
    private readonly group: IngestGroup,
    private readonly options: IngestRunOptions,
    private readonly outcomes: InputOutcome[],
  ) {
    const inner = group;
    const commit = async (): Promise<void> => {
      const error = await this.commit();
      if (error) throw error;
    };
    this.forInputs = {
      ...(inner.takesLineInputs ? { takesLineInputs: true } : {}),
      begin: (beginOptions) => inner.begin(beginOptions),
      get staged() {
        return inner.staged;
      },
      get aborted() {
        return inner.aborted;
      },
      commit,
      rollback: () => inner.rollback(),
    };
  }

  get aborted(): boolean {
    return this.group.aborted;
  }

  /** The group's transaction holds staged records. */
  get holdsStaged(): boolean {
    return this.group.staged > 0;
  }

  /** Line-reader inputs join the group too (IngestGroup.takesLineInputs). */
  get takesLineInputs(): boolean {
    return this.group.takesLineInputs === true;
  }

  get stagedRecords(): number {
    return this.group.staged;
  }

  stage(input: StagedInput): void {
    this.staged.push(input);
  }

  /** Commits the staged inputs. Returns the full disk's error when that is why none of them was stored. */
  async commit(): Promise<Error | undefined> {
    try {
      await this.group.commit();
      this.staged = [];
      return undefined;
    } catch (error) {
      if (isDiskFull(error)) {
        await this.group.rollback().catch(() => undefined);
        for (const { index, raw } of this.staged) {
          this.outcomes[index] = { ...failed(raw.name, raw.container, diskFullMessage(this.store.location, error as Error, 'nothing of this input was stored')), diskFull: true };
        }
        this.staged = [];
        this.diskFull = true;
        return error as Error;
      }
      if (!this.group.aborted) throw error;
      await this.readStagedAlone();
      return undefined;
    }
  }

  /** Rolls the group back and reads its staged inputs again, each in a transaction of its own. */
  async readStagedAlone(): Promise<void> {
    await this.group.rollback();
    const again = this.staged;
    this.staged = [];
    for (const { index, raw, explicit } of again) {
      this.outcomes[index] = settle(await ingestOne(this.store, raw, this.options, undefined), raw, explicit);
    }
  }

  async rollback(): Promise<void> {
    this.staged = [];
    await this.group.rollback();
  }
}

async function ingestOne(store: Store, raw: RawInput, options: IngestRunOptions, group: IngestGroup | undefined): Promise<InputOutcome> {
  const progress = options.progress;
  try {
    return await ingestInput(store, raw, {
      format: options.format,
      parse: options.parse,
      onBytes: raw.container === 'plain' ? (count) => progress?.bytes(count) : (count) => progress?.contentBytes?.(count),
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
    if (isOutOfMemory(error)) return failed(raw.name, raw.container, outOfMemoryMessage(error as Error, 'nothing of this input was stored'));
    return failed(raw.name, raw.container, error instanceof Error ? error.message : String(error));
  }
}

function failed(name: string, container: string, reason: string): InputOutcome {
  return { name, container, status: 'error', reason, records: 0, rejects: 0, ignored: 0, bytes: 0, seconds: 0 };
}
