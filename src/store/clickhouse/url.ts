/**
 * `clickhouse://[user[:password]@]host[:port]/database[?cluster=NAME]`: a ClickHouse server (HTTP interface,
 * port 8123 by default) and the database smbwatch keeps its tables in; with `cluster`, the records are spread
 * over that cluster's shards. The password is kept apart from everything printable: `display` never holds it.
 */

export const DEFAULT_HTTP_PORT = 8123;

export interface ClickHouseAddress {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly database: string;
  readonly cluster?: string;
  /** The address without the password, for messages, `status` and logs. */
  readonly display: string;
}

export class ClickHouseUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClickHouseUrlError';
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isClickHouseUrl(text: string): boolean {
  return /^clickhouse:\/\//i.test(text);
}

/** Parses a clickhouse:// URL; errors quote the URL without its password. */
export function parseClickHouseUrl(text: string): ClickHouseAddress {
  let url: URL;
  try {
    url = new URL(text.replace(/^clickhouse:/i, 'http:'));
  } catch {
    throw new ClickHouseUrlError(`not a ClickHouse URL: ${redact(text)} (expected clickhouse://[user[:password]@]host[:port]/database[?cluster=NAME])`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!NAME.test(database)) {
    throw new ClickHouseUrlError(`${redact(text)}: give the database as the URL's path, letters, digits and _ (e.g. clickhouse://127.0.0.1:8123/smbwatch)`);
  }
  const unknown = [...url.searchParams.keys()].filter((key) => key !== 'cluster');
  if (unknown.length > 0) throw new ClickHouseUrlError(`${redact(text)}: unknown URL parameter ${unknown.join(', ')} (only cluster=NAME)`);
  const cluster = url.searchParams.get('cluster') ?? undefined;
  if (cluster !== undefined && !NAME.test(cluster)) throw new ClickHouseUrlError(`${redact(text)}: cluster names are letters, digits and _`);
  const port = url.port === '' ? DEFAULT_HTTP_PORT : Number(url.port);
  const username = decodeURIComponent(url.username) || 'default';
  const password = decodeURIComponent(url.password);
  const host = url.hostname;
  const user = url.username === '' ? '' : `${decodeURIComponent(url.username)}@`;
  const display = `clickhouse://${user}${host}:${port}/${database}${cluster ? `?cluster=${cluster}` : ''}`;
  return { host, port, username, password, database, ...(cluster ? { cluster } : {}), display };
}

/** The URL text with any password replaced by `***`. */
export function redact(text: string): string {
  return text.replace(/^(clickhouse:\/\/[^/:@]*):[^@/]*@/i, '$1:***@');
}
