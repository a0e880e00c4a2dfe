/**
 * Opening what a path holds: a plain file, a gzip stream, or a zip archive of members (which may themselves be
 * gzipped). Containers are recognised by their magic bytes, never by file name. Each logical input can be
 * re-opened from its start as often as the pipeline needs (sampling, hashing, parsing).
 *
 * Hostile containers: decompressed content is limited in size and in expansion over its compressed size (gzip
 * and zip bombs end as that input's error while other inputs go on); a damaged or truncated stream is an error
 * naming the input; every stream error reaches the reader (never an unhandled 'error' event, never a reader
 * waiting forever). Member names are only ever shown, never used as paths: nothing is written where an archive
 * says (`../` and absolute names are harmless).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import yauzl from 'yauzl';

/** A logical input before its format is known: a name and a way to read its content from the start. */
export interface RawInput {
  /** Absolute path, `archive.zip!member`, or `file.gz` (decompressed content carries the file's name). */
  readonly name: string;
  /** The physical file it lives in. */
  readonly file: string;
  /** Compressed or plain size on disk of this input (for progress). */
  readonly storedSize: number;
  /** How it is wrapped, for messages: `plain`, `gzip`, `zip`, `zip+gzip`. */
  readonly container: string;
  open(): Promise<AsyncIterable<Uint8Array>>;
  /** A plain file on disk with exactly this content, when there is one (lets DuckDB read Parquet in place). */
  readonly plainPath?: string;
}

/** Limits on decompressed content (`smbwatch ingest --max-expansion`, `--max-decompressed`). */
export interface ContainerLimits {
  /** Decompressed bytes per input, at most. */
  readonly maxDecompressedBytes: number;
  /** Decompressed content may be at most this many times its compressed size (past the first `expansionGraceBytes`). */
  readonly maxExpansion: number;
  /** Below this many decompressed bytes the expansion ratio is not judged (tiny files have large headers). */
  readonly expansionGraceBytes: number;
}

/**
 * Real logs compress 5–30× (Zeek conn logs ~10×; even highly repetitive firewall logs stay under 100×); DEFLATE
 * cannot exceed ~1032× in one layer, so 250× stops single-layer bombs early and gzip-inside-zip (two layers)
 * long before it fills anything. 1 TiB per input is far beyond any one log file.
 */
export const DEFAULT_LIMITS: ContainerLimits = {
  maxDecompressedBytes: 1024 ** 4,
  maxExpansion: 250,
  expansionGraceBytes: 64 * 1024 * 1024,
};

const GZIP_MAGIC = [0x1f, 0x8b];
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const EMPTY_ZIP_MAGIC = [0x50, 0x4b, 0x05, 0x06];

function startsWith(head: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((byte, index) => head[index] === byte);
}

async function readHead(path: string, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The logical inputs a file holds. Throws (with the path) when the file cannot be read. */
export async function openContainer(path: string, size: number, limits: ContainerLimits = DEFAULT_LIMITS): Promise<RawInput[]> {
  const head = await readHead(path, 4);
  if (startsWith(head, ZIP_MAGIC) || startsWith(head, EMPTY_ZIP_MAGIC)) return zipMembers(path, limits);
  if (startsWith(head, GZIP_MAGIC)) {
    return [
      {
        name: path,
        file: path,
        storedSize: size,
        container: 'gzip',
        open: async () => gunzip(createReadStream(path), path, size, limits),
      },
    ];
  }
  return [
    {
      name: path,
      file: path,
      storedSize: size,
      container: 'plain',
      plainPath: path,
      open: async () => createReadStream(path, { highWaterMark: readSize(size) }) as AsyncIterable<Buffer>,
    },
  ];
}

/**
 * Reads of up to 1 MiB, but no larger than the file: each read allocates its whole buffer outside the JS heap, and
 * a megabyte for each of thousands of small files made the garbage collector run full collections over and over.
 */
function readSize(size: number): number {
  return Math.min(1 << 20, Math.max(64 * 1024, size));
}

/**
 * Decompresses `source`, forwarding its errors (a plain pipe() would leave the reader waiting forever when the
 * source fails) and naming the input in zlib's errors; the output is held to the limits.
 */
function gunzip(source: Readable, name: string, compressedSize: number, limits: ContainerLimits): AsyncIterable<Buffer> {
  const inflater = createGunzip();
  const limited = new ExpansionLimit(name, compressedSize, limits);
  source.on('error', (error) => limited.destroy(new Error(`${name}: damaged or truncated (${error.message})`)));
  inflater.on('error', (error: NodeJS.ErrnoException) => limited.destroy(describeInflateError(name, error)));
  limited.on('close', () => {
    source.destroy();
    inflater.destroy();
  });
  source.pipe(inflater).pipe(limited);
  return limited as AsyncIterable<Buffer>;
}

function describeInflateError(name: string, error: NodeJS.ErrnoException): Error {
  if (error.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(error.message)) {
    return new Error(`${name}: the gzip stream ends early (a truncated or still-growing file)`);
  }
  if (error.code?.startsWith('Z_')) return new Error(`${name}: damaged gzip data (${error.message})`);
  return error;
}

/** Passes bytes through, failing the stream once it exceeds the size or expansion limit. */
class ExpansionLimit extends Transform {
  private seen = 0;

  constructor(
    private readonly name: string,
    private readonly compressedSize: number,
    private readonly limits: ContainerLimits,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    const { maxDecompressedBytes, maxExpansion, expansionGraceBytes } = this.limits;
    if (this.seen > maxDecompressedBytes) {
      callback(
        new Error(`${this.name}: refused, decompresses to more than ${maxDecompressedBytes} bytes (\`smbwatch ingest --max-decompressed\` raises the limit)`),
      );
    } else if (this.seen > expansionGraceBytes && this.seen > maxExpansion * Math.max(1, this.compressedSize)) {
      callback(
        new Error(
          `${this.name}: refused as a decompression bomb: ${this.compressedSize} compressed bytes expand past ${this.seen} ` +
            `(more than ${maxExpansion}× their size; \`smbwatch ingest --max-expansion\` raises the limit)`,
        ),
      );
    } else callback(null, chunk);
  }
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true }, (error, zip) =>
      error ? reject(new Error(`${path}: not a readable zip archive (${error.message})`)) : resolve(zip),
    ),
  );
}

function listEntries(zip: yauzl.ZipFile, path: string): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', (error: Error) => reject(new Error(`${path}: damaged zip archive (${error.message})`)));
    zip.readEntry();
  });
}

function entryStream(zip: yauzl.ZipFile, entry: yauzl.Entry, name: string): Promise<Readable> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) => (error ? reject(new Error(`${name}: unreadable zip member (${error.message})`)) : resolve(stream))),
  );
}

async function zipMembers(path: string, limits: ContainerLimits): Promise<RawInput[]> {
  const listing = await openZip(path);
  let entries: yauzl.Entry[];
  try {
    entries = (await listEntries(listing, path)).filter((entry) => !memberName(entry).endsWith('/'));
  } finally {
    listing.close();
  }
  const members: RawInput[] = [];
  for (const entry of entries) {
    const name = `${path}!${memberName(entry)}`;
    const openMember = async (): Promise<Readable> => {
      const zip = await openZip(path);
      try {
        const again = (await listEntries(zip, path)).find((e) => e.relativeOffsetOfLocalHeader === entry.relativeOffsetOfLocalHeader);
        if (!again) throw new Error(`${name}: the member is gone from the archive`);
        const stream = await entryStream(zip, again, name);
        stream.on('close', () => zip.close());
        return stream;
      } catch (error) {
        zip.close();
        throw error;
      }
    };
    const memberHead = await firstBytes(await openMember(), 2);
    const gzipped = startsWith(memberHead, GZIP_MAGIC);
    members.push({
      name,
      file: path,
      storedSize: entry.compressedSize,
      container: gzipped ? 'zip+gzip' : 'zip',
      open: async () => {
        const stream = await openMember();
        if (gzipped) return gunzip(stream, name, entry.compressedSize, limits);
        const limited = new ExpansionLimit(name, entry.compressedSize, limits);
        stream.on('error', (error) => limited.destroy(new Error(`${name}: damaged zip member (${error.message})`)));
        limited.on('close', () => stream.destroy());
        return stream.pipe(limited) as AsyncIterable<Buffer>;
      },
    });
  }
  return members;
}

/**
 * A member's name as text, decoded here rather than by yauzl: yauzl refuses a whole archive when one name is
 * absolute or climbs out with `../`, while smbwatch only reads members and shows their names, so such a
 * member is read like any other.
 */
function memberName(entry: yauzl.Entry): string {
  const raw = entry.fileName as unknown as Buffer | string;
  if (typeof raw === 'string') return raw;
  const utf8 = (entry.generalPurposeBitFlag & 0x800) !== 0 || !raw.some((byte) => byte >= 0x80);
  return new TextDecoder(utf8 ? 'utf-8' : 'latin1').decode(raw);
}

async function firstBytes(stream: Readable, length: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      parts.push(chunk);
      total += chunk.length;
      if (total >= length) break;
    }
  } catch {
    // A member that cannot even be started is reported when it is read; here it is simply not gzip.
  } finally {
    quietDestroy(stream);
  }
  return Buffer.concat(parts).subarray(0, length);
}

/** Stops a stream read only in part; an error it raises while closing (a size check on the rest) is moot. */
export function quietDestroy(stream: unknown): void {
  if (stream && typeof stream === 'object' && 'destroy' in stream && typeof stream.destroy === 'function') {
    const emitter = stream as Readable;
    emitter.on('error', () => undefined);
    emitter.destroy();
  }
}
