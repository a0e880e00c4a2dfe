/**
 * Test helpers for the Windows sources: unzip archive members with yauzl, collect a format's parse events,
 * and locate the shared real data and our fixtures.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yauzl from 'yauzl';
import type { AsimRecord } from '../../../src/asim/record.js';
import { inputFromBuffer, sampleOfBuffer } from '../../../src/sources/input.js';
import type { ParseEvent, ParseOptions, SourceFormat } from '../../../src/sources/types.js';
import { REAL_DATA } from '../../helpers/real.js';

const here = dirname(fileURLToPath(import.meta.url));
export const REAL_OTRF = join(REAL_DATA, 'otrf');
export const FIXTURES = join(here, '../../fixtures/windows');

export async function fixture(name: string): Promise<Buffer> {
  return readFile(join(FIXTURES, name));
}

/** Every member of a zip archive, decompressed, by name. */
export function unzipMembers(path: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (openError, zip) => {
      if (openError || !zip) return reject(openError ?? new Error(`cannot open ${path}`));
      const members = new Map<string, Buffer>();
      zip.on('error', reject);
      zip.on('end', () => resolve(members));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error(`cannot read ${entry.fileName}`));
          const parts: Buffer[] = [];
          stream.on('data', (part: Buffer) => parts.push(part));
          stream.on('error', reject);
          stream.on('end', () => {
            members.set(entry.fileName, Buffer.concat(parts));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

export interface Collected {
  readonly events: ParseEvent[];
  readonly records: AsimRecord[];
  readonly rejects: Array<Extract<ParseEvent, { kind: 'reject' }>>;
  readonly ignored: Array<Extract<ParseEvent, { kind: 'ignored' }>>;
}

export async function collect(format: SourceFormat, content: string | Uint8Array, options: ParseOptions = {}): Promise<Collected> {
  const events: ParseEvent[] = [];
  for await (const batch of format.parse(inputFromBuffer('test-input', content), options)) events.push(...batch);
  return {
    events,
    records: events.flatMap((event) => (event.kind === 'record' ? [event.record] : [])),
    rejects: events.flatMap((event) => (event.kind === 'reject' ? [event] : [])),
    ignored: events.flatMap((event) => (event.kind === 'ignored' ? [event] : [])),
  };
}

export function sniff(format: SourceFormat, content: string | Uint8Array) {
  return format.sniff(sampleOfBuffer(content));
}

/** Microseconds since the epoch of an ISO time, for expectations. */
export function us(iso: string): number {
  return Date.parse(iso) * 1000;
}
