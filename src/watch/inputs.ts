/**
 * Which watched files to (re)ingest on a tick. runIngest already knows, from its ledger, whether a file is new,
 * unchanged or grown — but finding out means reading it, and a Zeek log directory holds thousands of rotated
 * files. So the watcher remembers each file's size and modification time after a successful pass and hands
 * runIngest only files that are new or changed since. After a restart every file is checked once (cheaply: the
 * ledger makes unchanged files a hash comparison, not an ingest).
 */
import { open, stat } from 'node:fs/promises';
import { expandPaths } from '../ingest/expand.js';

export interface FileState {
  readonly size: number;
  readonly mtimeMs: number;
}

export interface Candidate extends FileState {
  readonly path: string;
}

export interface Scan {
  readonly changed: Candidate[];
  /** Files skipped this tick because they look half-written (see looksMidWrite). */
  readonly deferred: Candidate[];
  readonly errors: ReadonlyArray<{ path: string; reason: string }>;
}

/** A plain file modified this recently whose last byte is not a newline is probably being written. */
export const MID_WRITE_QUIET_MS = 60_000;
const COMPRESSED = /\.(gz|zip)$/i;

export class InputTracker {
  private readonly seen = new Map<string, FileState>();

  constructor(private readonly patterns: readonly string[]) {}

  async scan(fileSystemNow: number = Date.now()): Promise<Scan> {
    const { files, errors } = await expandPaths(this.patterns);
    const changed: Candidate[] = [];
    const deferred: Candidate[] = [];
    for (const file of files) {
      const info = await stat(file.path).catch(() => undefined);
      if (!info) continue; // gone since the directory was listed (rotated away)
      const candidate = { path: file.path, size: info.size, mtimeMs: info.mtimeMs };
      const known = this.seen.get(file.path);
      if (known && known.size === candidate.size && known.mtimeMs === candidate.mtimeMs) continue;
      if (await looksMidWrite(candidate, fileSystemNow)) deferred.push(candidate);
      else changed.push(candidate);
    }
    // A glob that matches nothing yet is normal for a watched directory (no rotated file so far).
    return { changed, deferred, errors: errors.filter((error) => error.reason !== 'the pattern matches no file') };
  }

  /** The file was handled as it was at scan time: skip it until it changes. */
  settled(candidate: Candidate): void {
    this.seen.set(candidate.path, { size: candidate.size, mtimeMs: candidate.mtimeMs });
  }
}

/**
 * Ingest treats an unterminated last line as a whole line, so a live log caught between two writes would lose
 * its last record as a reject. A plain text file that ends without a newline and was modified within the last
 * minute is left for a later tick; after a quiet minute it is taken as it is (some files legitimately end
 * without a newline).
 */
async function looksMidWrite(file: Candidate, fileSystemNow: number): Promise<boolean> {
  if (file.size === 0 || COMPRESSED.test(file.path) || fileSystemNow - file.mtimeMs >= MID_WRITE_QUIET_MS) return false;
  const handle = await open(file.path, 'r').catch(() => undefined);
  if (!handle) return false;
  try {
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, file.size - 1);
    return last[0] !== 0x0a;
  } finally {
    await handle.close();
  }
}
