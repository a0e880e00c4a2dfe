/**
 * From the paths a user typed to the files to read: plain files, directories (recursively) and glob patterns
 * (for shells that pass them through quoted). Files found inside directories are "discovered": if they turn out
 * not to be network-session logs they are skipped and listed, while a file named explicitly must be readable
 * and recognised.
 */
import { stat } from 'node:fs/promises';
import { readdir } from 'node:fs/promises';
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
}

export async function expandPaths(paths: readonly string[]): Promise<Expansion> {
  const files: FoundFile[] = [];
  const errors: Array<{ path: string; reason: string }> = [];
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
      if (info.isDirectory()) for (const file of await walk(absolute)) add(file);
      else add({ path: absolute, size: info.size, explicit: true });
      continue;
    }
    if (isDynamicPattern(given)) {
      const matches = await glob(given, { absolute: true, onlyFiles: true, dot: false });
      if (matches.length === 0) errors.push({ path: given, reason: 'the pattern matches no file' });
      for (const match of matches.sort()) add({ path: match, size: (await stat(match)).size, explicit: false });
      continue;
    }
    errors.push({ path: given, reason: describeError(info) });
  }
  return { files, errors };
}

async function walk(directory: string): Promise<FoundFile[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const found: FoundFile[] = [];
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(path)));
    else if (entry.isFile()) found.push({ path, size: (await stat(path)).size, explicit: false });
  }
  return found;
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
