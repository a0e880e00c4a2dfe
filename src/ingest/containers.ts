/**
 * Opening what a path holds: a plain file, a gzip stream, or a zip archive of members (which may themselves be
 * gzipped). Containers are recognised by their magic bytes, never by file name. Each logical input can be
 * re-opened from its start as often as the pipeline needs (sampling, hashing, parsing).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
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
export async function openContainer(path: string, size: number): Promise<RawInput[]> {
  const head = await readHead(path, 4);
  if (startsWith(head, ZIP_MAGIC) || startsWith(head, EMPTY_ZIP_MAGIC)) return zipMembers(path);
  if (startsWith(head, GZIP_MAGIC)) {
    return [
      {
        name: path,
        file: path,
        storedSize: size,
        container: 'gzip',
        open: async () => createReadStream(path).pipe(createGunzip()) as AsyncIterable<Buffer>,
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
      open: async () => createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>,
    },
  ];
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, zip) => (error ? reject(error) : resolve(zip))),
  );
}

function listEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', reject);
    zip.readEntry();
  });
}

function entryStream(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) => (error ? reject(error) : resolve(stream))),
  );
}

async function zipMembers(path: string): Promise<RawInput[]> {
  const listing = await openZip(path);
  const entries = (await listEntries(listing)).filter((entry) => !entry.fileName.endsWith('/'));
  listing.close();
  const members: RawInput[] = [];
  for (const entry of entries) {
    const openMember = async (): Promise<Readable> => {
      const zip = await openZip(path);
      const stream = await entryStream(zip, (await listEntries(zip)).find((e) => e.fileName === entry.fileName)!);
      stream.on('close', () => zip.close());
      return stream;
    };
    const memberHead = await firstBytes(await openMember(), 2);
    const gzipped = startsWith(memberHead, GZIP_MAGIC);
    members.push({
      name: `${path}!${entry.fileName}`,
      file: path,
      storedSize: entry.compressedSize,
      container: gzipped ? 'zip+gzip' : 'zip',
      open: async () => {
        const stream = await openMember();
        return (gzipped ? stream.pipe(createGunzip()) : stream) as AsyncIterable<Buffer>;
      },
    });
  }
  return members;
}

async function firstBytes(stream: Readable, length: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    parts.push(chunk);
    total += chunk.length;
    if (total >= length) break;
  }
  stream.destroy();
  return Buffer.concat(parts).subarray(0, length);
}
