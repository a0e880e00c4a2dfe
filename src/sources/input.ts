/**
 * Building `SourceInput`s and `ContentSample`s from files and buffers.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';
import { splitLines } from './lines.js';
import type { ContentSample, SourceInput } from './types.js';

export const SAMPLE_BYTES = 64 * 1024;

/** A sample of the first bytes of some content; `truncated` says whether there was more. */
export function makeSample(head: Uint8Array, truncated: boolean): ContentSample {
  let bytes = head;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const lines = text.split(/\r?\n/);
  if (truncated || lines[lines.length - 1] === '') lines.pop();
  return { text, lines, bytes: head };
}

/** An input over bytes held in memory (tests, small archive members). */
export function inputFromBuffer(name: string, content: Uint8Array | string): SourceInput {
  const buffer = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
  return {
    name,
    lines: () => splitLines(once(buffer)),
    bytes: () => once(buffer),
    localFile: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'smbwatch-'));
      const path = join(dir, basename(name.replace(/[!:]/g, '_')) || 'input');
      await writeFile(path, buffer);
      return path;
    },
  };
}

/** An input over a plain (uncompressed) file on disk. */
export function inputFromFile(path: string, name = path): SourceInput {
  const bytes = () => createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
  return { name, lines: () => splitLines(bytes()), bytes, localFile: async () => path };
}

export function sampleOfBuffer(content: Uint8Array | string): ContentSample {
  const buffer = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return makeSample(buffer.subarray(0, SAMPLE_BYTES), buffer.length > SAMPLE_BYTES);
}

async function* once(buffer: Uint8Array): AsyncGenerator<Uint8Array> {
  yield buffer;
}
