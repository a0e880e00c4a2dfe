/**
 * Which ledger inputs a user's pattern names (`smbwatch inputs rm PATTERN`). Input names are absolute paths, or
 * `archive.zip!member` for a zip member. A pattern names:
 *   - an input exactly, given as it was ingested (a relative path is taken from the current directory);
 *   - every input under a directory (an existing one, or a pattern ending in `/`), and every member of an archive;
 *   - the inputs a glob matches (`*`, `?`, `[...]`, `{a,b}`, `**`): against the whole name when the pattern holds a
 *     `/`, else against the file name alone (`'conn.*.log.gz'`).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import picomatch from 'picomatch';

const GLOB = /[*?[\]{}]/;

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** A predicate over input names for one pattern. */
export function inputMatcher(pattern: string, cwd: string = process.cwd()): (name: string) => boolean {
  if (GLOB.test(pattern)) {
    if (!pattern.includes('/')) {
      const matches = picomatch(pattern, { dot: true });
      return (name) => matches(baseName(name));
    }
    const matches = picomatch(pattern.startsWith('/') ? pattern : resolve(cwd, pattern), { dot: true });
    return (name) => matches(name) || matches(archiveOf(name));
  }
  const absolute = resolve(cwd, pattern);
  if (pattern.endsWith('/') || isDirectory(absolute)) {
    const prefix = absolute.endsWith(sep) ? absolute : `${absolute}${sep}`;
    return (name) => name.startsWith(prefix);
  }
  return (name) => name === pattern || name === absolute || archiveOf(name) === absolute;
}

/** The inputs any of the patterns names, and the patterns that name none. */
export function matchInputs(names: readonly string[], patterns: readonly string[], cwd?: string): { matched: string[]; unmatched: string[] } {
  const matched = new Set<string>();
  const unmatched: string[] = [];
  for (const pattern of patterns) {
    const matches = inputMatcher(pattern, cwd);
    const found = names.filter(matches);
    if (found.length === 0) unmatched.push(pattern);
    for (const name of found) matched.add(name);
  }
  return { matched: names.filter((name) => matched.has(name)), unmatched };
}

/** The archive a zip member's name belongs to (the name itself for other inputs). */
function archiveOf(name: string): string {
  const bang = name.indexOf('!');
  return bang === -1 ? name : name.slice(0, bang);
}

/** The file name: a zip member's own name, else the path's last part. */
function baseName(name: string): string {
  const member = name.slice(name.lastIndexOf('!') + 1);
  return member.slice(member.lastIndexOf('/') + 1);
}
