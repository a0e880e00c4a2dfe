/**
 * Fuzzing the container layer: gzip files, zip archives and gzipped zip members, mutated (bit flips, truncation,
 * overwritten header fields, spliced bytes) and read by the real ingest into an in-memory store. A broken
 * container must end as that input's error with a reason — never an exception out of the ingest run, an
 * unhandled stream error, or a hang.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Random } from '../../demo/random.js';
import { runIngest } from '../../ingest/run.js';
import { openDuckDbStore } from '../../store/duckdb.js';
import { zipArchive } from '../zip-writer.js';
import type { Finding } from './runner.js';

export interface ContainerStats {
  inputs: number;
  bytes: number;
  errors: number;
  findings: Finding[];
}

const CONN = [
  '#separator \\x09',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring',
  ...Array.from({ length: 40 }, (_, i) => `1709542800.${String(i).padStart(6, '0')}\tC${i}\t10.0.5.${i}\t${49152 + i}\t10.0.1.10\t445\ttcp\tSF`),
  '',
].join('\n');
const JSONL = Array.from({ length: 20 }, (_, i) => JSON.stringify({ ts: 1709542800 + i, uid: `C${i}`, 'id.orig_h': '10.0.5.1', 'id.orig_p': 50000 + i, 'id.resp_h': '10.0.1.10', 'id.resp_p': 445, proto: 'tcp' })).join('\n');

function baseContainers(): Buffer[] {
  return [
    gzipSync(CONN),
    zipArchive([{ name: 'conn.log', content: CONN }, { name: 'dir/conn.json', content: JSONL }]),
    zipArchive([{ name: 'conn.log.gz', content: gzipSync(CONN) }, { name: 'notes.txt', content: 'not a log' }]),
    Buffer.concat([gzipSync(CONN.slice(0, 400)), gzipSync(CONN.slice(400))]), // a multi-member gzip
  ];
}

function mutateContainer(base: Buffer, random: Random): Buffer {
  const copy = Buffer.from(base);
  switch (random.int(0, 5)) {
    case 0:
      for (let i = random.int(1, 16); i > 0; i--) {
        const at = random.int(0, copy.length - 1);
        copy[at] = copy[at]! ^ (1 << random.int(0, 7));
      }
      return copy;
    case 1:
      return copy.subarray(0, random.int(0, copy.length));
    case 2: {
      // a header field (sizes, offsets, counts, name lengths) set to an extreme
      const at = random.int(0, Math.max(0, copy.length - 4));
      copy.writeUInt32LE(random.pick([0, 0xffffffff, 0x7fffffff, 0x10000, copy.length * 2]), at);
      return copy;
    }
    case 3: {
      const at = random.int(0, copy.length);
      return Buffer.concat([copy.subarray(0, at), Buffer.from(random.pick(['\x1f\x8b\x08\x00', 'PK\x03\x04', 'PK\x01\x02', 'PK\x05\x06', '\0\0\0\0']), 'latin1'), copy.subarray(at)]);
    }
    case 4: {
      const start = random.int(0, copy.length);
      return Buffer.concat([copy.subarray(0, start), copy.subarray(Math.min(copy.length, start + random.int(1, 64)))]);
    }
    default: {
      const at = random.int(0, copy.length);
      return Buffer.concat([copy.subarray(0, at), copy.subarray(random.int(0, copy.length))]);
    }
  }
}

export async function fuzzContainers(options: { seed: number; inputs: number; findingsDir: string; hangMs?: number }): Promise<ContainerStats> {
  const random = new Random(options.seed ^ 0xc0ffee);
  const bases = baseContainers();
  const dir = mkdtempSync(join(process.platform === 'linux' ? '/dev/shm' : tmpdir(), 'smbwatch-fuzz-containers-'));
  const stats: ContainerStats = { inputs: 0, bytes: 0, errors: 0, findings: [] };
  const store = await openDuckDbStore(':memory:');
  let current = -1;
  const record = (kind: string, message: string, bytes: Buffer): void => {
    mkdirSync(options.findingsDir, { recursive: true });
    const reproducer = join(options.findingsDir, `container-${kind}-seed${options.seed}-input${current}.bin`);
    writeFileSync(reproducer, bytes);
    stats.findings.push({ kind, format: 'container', seed: options.seed, document: current, message, mutators: [], reproducer });
  };
  let currentBytes: Buffer = Buffer.alloc(0);
  const onUncaught = (error: Error): void => record('uncaught-exception', error.message, currentBytes);
  process.on('uncaughtException', onUncaught);
  try {
    for (let i = 0; i < options.inputs; i++) {
      current = i;
      const bytes = mutateContainer(random.pick(bases), random);
      currentBytes = bytes;
      const path = join(dir, `input-${i % 8}`);
      writeFileSync(path, bytes);
      stats.inputs++;
      stats.bytes += bytes.length;
      let timer: NodeJS.Timeout | undefined;
      try {
        const hang = new Promise<'hang'>((resolve) => {
          timer = setTimeout(() => resolve('hang'), options.hangMs ?? 10_000);
        });
        const result = await Promise.race([runIngest(store, [path], { parse: {} }), hang]);
        if (result === 'hang') record('hang', `ingest took longer than ${options.hangMs ?? 10_000} ms`, bytes);
        else stats.errors += result.outcomes.filter((outcome) => outcome.status === 'error').length;
      } catch (error) {
        record('exception', error instanceof Error ? error.message : String(error), bytes);
      } finally {
        clearTimeout(timer);
      }
    }
  } finally {
    process.off('uncaughtException', onUncaught);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return stats;
}
