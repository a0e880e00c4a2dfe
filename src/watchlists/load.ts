/**
 * Loading watchlists: the built-in ones shipped with smbwatch, and a user's directory (`--watchlists DIR`).
 *
 * A directory holds
 * - `ALIAS.csv`: a header row, then one item per row; the search key is the first column;
 * - `*.json`: a watchlist as Sentinel exports and solutions ship it (an ARM template whose resource has
 *   `watchlistAlias`, `itemsSearchKey`, `numberOfLinesToSkip` and the CSV as `rawContent`).
 * A user watchlist with a built-in alias replaces it (that is how the Network Session Essentials rules are tuned).
 * Problems name the file, the line and what is wrong; all problems of a directory are reported together.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Watchlist, WatchlistSet } from './watchlist.js';

export class WatchlistError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'WatchlistError';
  }
}

/** Sentinel watchlist aliases: letters, digits, `_` and `-`. */
const ALIAS = /^[A-Za-z0-9_-]{1,64}$/;

export interface CsvOptions {
  readonly alias: string;
  /** The search key column; the first column when absent. */
  readonly searchKey?: string;
  readonly linesToSkip?: number;
  readonly source: string;
  readonly updatedMicros: number | null;
}

/** One watchlist from its CSV text. `where` prefixes every problem (a file name, or `file: rawContent`). */
export function parseWatchlistCsv(text: string, options: CsvOptions, where: string = options.source): Watchlist {
  if (!ALIAS.test(options.alias)) throw new WatchlistError([`${where}: watchlist alias "${options.alias}" must be 1-64 letters, digits, _ or -`]);
  const body = text.replace(/^\uFEFF/, '');
  let records: string[][];
  try {
    records = parseCsv(body, {
      from_line: (options.linesToSkip ?? 0) + 1,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as string[][];
  } catch (error) {
    const e = error as { lines?: number; message: string };
    throw new WatchlistError([`${where}${e.lines ? `:${e.lines}` : ''}: not valid CSV: ${e.message}`]);
  }
  const [header, ...rows] = records;
  if (!header || header.length === 0) throw new WatchlistError([`${where}: no header row`]);
  const problems: string[] = [];
  const line = (index: number): number => index + 2 + (options.linesToSkip ?? 0);
  const columns = header.map((c) => c.trim());
  columns.forEach((column, i) => {
    if (column === '') problems.push(`${where}:${line(-1)}: column ${i + 1} has no name`);
    else if (columns.indexOf(column) !== i) problems.push(`${where}:${line(-1)}: column "${column}" appears twice`);
  });
  rows.forEach((row, i) => {
    if (row.length !== columns.length) {
      problems.push(`${where}:${line(i)}: ${row.length} fields, but the header has ${columns.length} (${columns.join(', ')})`);
    }
  });
  const searchKey = options.searchKey ?? columns[0]!;
  if (!columns.includes(searchKey)) problems.push(`${where}: search key "${searchKey}" is not a column (columns: ${columns.join(', ')})`);
  if (problems.length > 0) throw new WatchlistError(problems);
  return { alias: options.alias, searchKey, columns, rows, source: options.source, updatedMicros: options.updatedMicros };
}

interface WatchlistResource {
  properties?: {
    watchlistAlias?: unknown;
    itemsSearchKey?: unknown;
    rawContent?: unknown;
    numberOfLinesToSkip?: unknown;
    contentType?: unknown;
  };
}

/** The watchlists of a Sentinel watchlist JSON (one or more `resources`). */
export function parseWatchlistJson(text: string, source: string, updatedMicros: number | null): Watchlist[] {
  let document: { resources?: WatchlistResource[] } & WatchlistResource;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, '')) as typeof document;
  } catch (error) {
    throw new WatchlistError([`${source}: not valid JSON: ${(error as Error).message}`]);
  }
  const resources = Array.isArray(document.resources) ? document.resources : [document];
  const problems: string[] = [];
  const watchlists: Watchlist[] = [];
  resources.forEach((resource, i) => {
    const where = `${source}: resources[${i}].properties`;
    const p = resource.properties;
    if (!p || typeof p.watchlistAlias !== 'string' || typeof p.rawContent !== 'string') {
      problems.push(`${where}: needs watchlistAlias and rawContent (a Sentinel watchlist resource)`);
      return;
    }
    if (p.contentType !== undefined && p.contentType !== 'text/csv') {
      problems.push(`${where}.contentType: only text/csv watchlists are supported; got ${String(p.contentType)}`);
      return;
    }
    try {
      watchlists.push(
        parseWatchlistCsv(p.rawContent, {
          alias: p.watchlistAlias,
          ...(typeof p.itemsSearchKey === 'string' ? { searchKey: p.itemsSearchKey } : {}),
          linesToSkip: typeof p.numberOfLinesToSkip === 'number' ? p.numberOfLinesToSkip : 0,
          source,
          updatedMicros,
        }, `${where}.rawContent`),
      );
    } catch (error) {
      if (!(error instanceof WatchlistError)) throw error;
      problems.push(...error.problems);
    }
  });
  if (problems.length > 0) throw new WatchlistError(problems);
  return watchlists;
}

function builtinDirectory(): string {
  const beside = fileURLToPath(new URL('./builtin/', import.meta.url));
  if (existsSync(beside)) return beside;
  return fileURLToPath(new URL('../../src/watchlists/builtin/', import.meta.url));
}

/** The watchlists smbwatch ships: the Network Session Essentials monitor configuration. */
export function builtinWatchlists(): Watchlist[] {
  const directory = builtinDirectory();
  return readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .flatMap((name) => parseWatchlistJson(readFileSync(join(directory, name), 'utf8'), `builtin:${name}`, null));
}

/** Every watchlist in a directory (`*.csv`, `*.json`), or in one such file. */
export function loadWatchlists(path: string): Watchlist[] {
  if (!existsSync(path)) throw new WatchlistError([`${path}: no such file or directory`]);
  const files = statSync(path).isDirectory()
    ? readdirSync(path).filter((name) => /\.(csv|json)$/i.test(name)).sort().map((name) => join(path, name))
    : [path];
  const problems: string[] = [];
  const watchlists: Watchlist[] = [];
  for (const file of files) {
    try {
      const text = readFileSync(file, 'utf8');
      const updated = Math.round(statSync(file).mtimeMs * 1000);
      if (/\.json$/i.test(file)) watchlists.push(...parseWatchlistJson(text, file, updated));
      else if (/\.csv$/i.test(file)) watchlists.push(parseWatchlistCsv(text, { alias: basename(file).replace(/\.csv$/i, ''), source: file, updatedMicros: updated }));
      else problems.push(`${file}: a watchlist is a .csv or .json file`);
    } catch (error) {
      if (!(error instanceof WatchlistError)) throw error;
      problems.push(...error.problems);
    }
  }
  const seen = new Map<string, string>();
  for (const w of watchlists) {
    const first = seen.get(w.alias);
    if (first) problems.push(`${w.source}: watchlist alias "${w.alias}" is also defined by ${first}`);
    else seen.set(w.alias, w.source);
  }
  if (problems.length > 0) throw new WatchlistError(problems);
  return watchlists;
}

/** The built-in watchlists, replaced or extended by those in `path` (when given). */
export function watchlistSet(path?: string): WatchlistSet {
  const set = new Map(builtinWatchlists().map((w) => [w.alias, w] as const));
  if (path !== undefined) for (const w of loadWatchlists(path)) set.set(w.alias, w);
  return set;
}
