/**
 * A command that needs more memory than the store's limit allows fails inside the engine, with advice in the
 * engine's own terms (DuckDB: `Out of Memory Error: failed to allocate data of size 16.0 KiB (1.8 MiB/1.9 MiB
 * used)` and a list of `SET threads=X`-style statements a user of smbwatch cannot run; ClickHouse:
 * `MEMORY_LIMIT_EXCEEDED`). Users need to hear which limit was reached and which option raises it.
 */

const OUT_OF_MEMORY = /Out of Memory Error|MEMORY_LIMIT_EXCEEDED|Memory limit \([^)]*\) exceeded/i;

export function isOutOfMemory(error: unknown): boolean {
  return error instanceof Error && OUT_OF_MEMORY.test(error.message);
}

/** The limit the engine names ("1.8 MiB/1.9 MiB used": the second figure), if it names one. */
function limitNamed(message: string): string | undefined {
  return /\(([\d.]+ ?[KMGT]?i?B)\/([\d.]+ ?[KMGT]?i?B) used\)/i.exec(message)?.[2] ?? /maximum: ([\d.]+ ?[KMGT]?i?B)/i.exec(message)?.[1];
}

/**
 * The message for a command stopped by the memory limit; `unchanged` says what the store kept, `otherwise` what
 * else helps (a query: a shorter time range).
 */
export function outOfMemoryMessage(error: Error, unchanged: string, otherwise?: string): string {
  const limit = limitNamed(error.message);
  return (
    `the store's memory limit${limit ? ` (${limit})` : ''} was reached: ${unchanged}; ` +
    `raise it with --memory-limit (e.g. --memory-limit 4GB; the default is 80% of RAM)${otherwise ? ` or ${otherwise}` : ''}`
  );
}
