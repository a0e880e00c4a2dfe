/**
 * A store whose disk is full (or whose files hit a size limit) fails deep inside the engine, with messages such
 * as DuckDB's `TransactionContext Error: Failed to commit: Could not write file "….wal": No space left on device`.
 * Users need to hear what happened and what state the store is in, not the engine's wording.
 */

const DISK_FULL = /no space left on device|ENOSPC|disk quota exceeded|EDQUOT|file too large|EFBIG/i;

export function isDiskFull(error: unknown): boolean {
  return error instanceof Error && DISK_FULL.test(error.message);
}

/** The engine's own words, shortened to the part that names the file and the cause. */
function cause(error: Error): string {
  const written = /Could not (?:write|truncate|create|open|sync)[^:]*?"([^"]+)"[^:]*:\s*([^\n]+)/i.exec(error.message);
  if (written) return `${written[2]!.trim()} writing ${written[1]}`;
  return error.message.split('\n')[0]!.replace(/^[A-Za-z]+ Error:\s*/, '');
}

/** The message for a write the store refused because its disk is full; `unchanged` says what was kept. */
export function diskFullMessage(location: string | undefined, error: Error, unchanged: string): string {
  const store = location ? `the store ${location}` : 'the store';
  const what = /file too large|EFBIG/i.test(error.message)
    ? `${store} cannot grow past the file size limit (${cause(error)}; see ulimit -f)`
    : `the disk holding ${store} is full (${cause(error)})`;
  return `${what}: ${unchanged}; free space (or move the store with --db) and run again`;
}
