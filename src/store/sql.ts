/**
 * Quoting for SQL text the store builds itself. Standard SQL quoting is shared by DuckDB and ClickHouse for
 * identifiers in double quotes; string literals differ (ClickHouse also treats backslash as an escape), so
 * the KQL dialects carry their own literal writers.
 */

/** A DuckDB / standard SQL identifier: always quoted, embedded quotes doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A DuckDB string literal: single quotes doubled; DuckDB gives backslash no special meaning in '…'. */
export function quoteString(value: string): string {
  if (value.includes('\0')) throw new Error('string values with NUL characters cannot be stored');
  return `'${value.replaceAll("'", "''")}'`;
}
