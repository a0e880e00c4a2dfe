/**
 * Detection in registry order: native ASIM content reaches the ASIM formats (no earlier, more specific format
 * claims it), and the ASIM formats claim none of the real logs of other formats.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleOfBuffer } from '../../src/sources/input.js';
import { SOURCE_FORMATS } from '../../src/sources/registry.js';
import { FIXTURES, REAL_DATA } from './collect.js';

const ASIM_FORMATS = new Set(['asim-jsonl', 'asim-json-array', 'asim-csv', 'asim-parquet']);

function detect(content: Uint8Array | string): string | undefined {
  const sample = sampleOfBuffer(content);
  return SOURCE_FORMATS.find((format) => format.sniff(sample).verdict === 'match')?.name;
}

describe('ASIM formats in the registry', () => {
  it('come last, in a fixed order', () => {
    const names = SOURCE_FORMATS.map((format) => format.name);
    expect(names.slice(-4)).toEqual(['asim-jsonl', 'asim-json-array', 'asim-csv', 'asim-parquet']);
  });

  it('receive the ASIM fixtures', () => {
    const expected: Record<string, string> = {
      'sessions.jsonl': 'asim-jsonl',
      'sessions-array.json': 'asim-json-array',
      'la-export-utc.csv': 'asim-csv',
      'la-export-local.csv': 'asim-csv',
    };
    for (const [file, format] of Object.entries(expected)) {
      expect(detect(readFileSync(resolve(FIXTURES, file))), file).toBe(format);
    }
  });

  const realFiles = existsSync(REAL_DATA)
    ? readdirSync(REAL_DATA, { recursive: true, encoding: 'utf8' })
        .filter((path) => !path.endsWith('README.md'))
        .map((path) => resolve(REAL_DATA, path))
        .filter((path) => statSync(path).isFile())
    : [];

  it('claim none of the real logs of other formats', () => {
    for (const path of realFiles) {
      const sample = sampleOfBuffer(readFileSync(path).subarray(0, 64 * 1024));
      for (const format of SOURCE_FORMATS.filter((candidate) => ASIM_FORMATS.has(candidate.name))) {
        expect(format.sniff(sample).verdict, `${format.name} on ${path}`).toBe('no');
      }
    }
  });
});
