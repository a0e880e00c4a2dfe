/**
 * From the paths a user typed to the files to read: plain files, directories (recursively) and glob patterns
 * (for shells that pass them through quoted). Files found inside directories are "discovered": if they turn out
 * not to be network-session logs they are skipped and listed, while a file named explicitly must be readable
 * and recognised.
 *
 * Only regular files are read. Symbolic links are followed (Zeek's `current` is one) but a directory is walked
 * once, so a link loop ends; FIFOs, sockets and devices are skipped with the reason, never opened (opening a
 * FIFO blocks until something writes to it).
 */
import type { Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';

export interface FoundFile {
  readonly path: string;
  readonly size: number;
  /** Named on the command line (errors are fatal for it) rather than found in a directory or by a glob. */
  readonly explicit: boolean;
}

export interface Expansion {
  readonly files: FoundFile[];
  /** Paths that could not be read at all, with the reason. */
  readonly errors: Array<{ path: string; reason: string }>;
  /** Entries met in directories that are not read (FIFOs, sockets, devices, link loops), with the reason. */
  readonly skipped: Array<{ path: string; reason: string }>;
}

export async function expandPaths(paths: readonly string[]): Promise<Expansion> {
  const files: FoundFile[] = [];
  const errors: Array<{ path: string; reason: string }> = [];
  const skipped: Array<{ path: string; reason: string }> = [];
  const walked = new Set<string>();
  const seen = new Set<string>();
  const add = (file: FoundFile): void => {
    if (seen.has(file.path)) return;
    seen.add(file.path);
    files.push(file);
  };
  for (const given of paths) {
    const absolute = resolve(given);
    const info = await stat(absolute).catch((error: NodeJS.ErrnoException) => error);
    if (!(info instanceof Error)) {
      if (info.isDirectory()) for (const file of await walk(absolute, walked, skipped)) add(file);
      else if (info.isFile()) add({ path: absolute, size: info.size, explicit: true });
      else errors.push({ path: given, reason: `not a regular file (${kindOf(info)}): not read` });
      continue;
    }
    if (isDynamicPattern(given)) {
      const matches = await glob(given, { absolute: true, onlyFiles: true, dot: false });
      if (matches.length === 0) errors.push({ path: given, reason: 'the pattern matches no file' });
      for (const match of matches.sort()) {
        const found = await stat(match);
        if (found.isFile()) add({ path: match, size: found.size, explicit: false });
        else skipped.push({ path: match, reason: `not a regular file (${kindOf(found)})` });
      }
      continue;
    }
    errors.push({ path: given, reason: describeError(info) });
  }
  return { files, errors, skipped };
}

async function walk(directory: string, walked: Set<string>, skipped: Array<{ path: string; reason: string }>): Promise<FoundFile[]> {
  const real = await realpath(directory).catch(() => directory);
  if (walked.has(real)) {
    skipped.push({ path: directory, reason: `a directory already read (${real}): a symbolic link loop or a second link to it` });
    return [];
  }
  walked.add(real);
  const entries = await readdir(directory, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const found: FoundFile[] = [];
  for (const entry of entries) {
    const path = join(directory, entry.name);
    // stat follows a symbolic link to what it points at; a dangling link or a loop of links fails here.
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => error);
    if (info instanceof Error) {
      skipped.push({ path, reason: info.code === 'ELOOP' ? 'a symbolic link loop' : info.code === 'ENOENT' ? 'a dangling symbolic link' : describeError(info) });
    } else if (info.isDirectory()) found.push(...(await walk(path, walked, skipped)));
    else if (info.isFile()) found.push({ path, size: info.size, explicit: false });
    else skipped.push({ path, reason: `not a regular file (${kindOf(info)})` });
  }
  return found;
}

function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a file';
}

export function describeError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return error.message;
  }
}
