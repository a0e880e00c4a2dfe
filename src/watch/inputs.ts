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
  /** Probably still being written (see looksMidWrite): ingest holds back its unterminated last line. */
  readonly live?: boolean;
}

export interface Scan {
  readonly changed: Candidate[];
  readonly errors: ReadonlyArray<{ path: string; reason: string }>;
}

/** A plain file modified this recently whose last byte is not a newline is probably being written. */
export const MID_WRITE_QUIET_MS = 60_000;
const COMPRESSED = /\.(gz|zip)$/i;

export class InputTracker {
  private readonly seen = new Map<string, FileState>();

  constructor(private readonly patterns: readonly string[]) {}

  async scan(fileSystemNow: number = Date.now()): Promise<Scan> {
    const { files, errors, skipped } = await expandPaths(this.patterns);
    const changed: Candidate[] = [];
    for (const file of files) {
      const info = await stat(file.path).catch(() => undefined);
      if (!info) continue; // gone since the directory was listed (rotated away)
      const candidate = { path: file.path, size: info.size, mtimeMs: info.mtimeMs };
      const known = this.seen.get(file.path);
      if (known && known.size === candidate.size && known.mtimeMs === candidate.mtimeMs) continue;
      changed.push((await looksMidWrite(candidate, fileSystemNow)) ? { ...candidate, live: true } : candidate);
    }
    // A glob that matches nothing yet is normal for a watched directory (no rotated file so far).
    return { changed, errors: [...errors.filter((error) => error.reason !== 'the pattern matches no file'), ...skipped] };
  }

  /** The file was handled as it was at scan time: skip it until it changes. */
  settled(candidate: Candidate): void {
    this.seen.set(candidate.path, { size: candidate.size, mtimeMs: candidate.mtimeMs });
  }
}

/**
 * A plain text file that ends without a newline and was modified within the last minute is probably caught
 * between two writes: ingest then holds back its unterminated last line (and a whole-file format waits), so a
 * live log is never cut in the middle of a line. After a quiet minute the file is taken as it is (some files
 * legitimately end without a newline).
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
