/**
 * A seeded slice of `npm run fuzz` (a few documents of every format, a few hundred mutated containers and Parquet
 * files): no exception, no lost valid line, nothing the store refuses. The full run is `npm run fuzz`.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplates } from '../../src/reliability/fuzz/corpus.js';
import { fuzzContainers } from '../../src/reliability/fuzz/containers.js';
import { fuzzParquet } from '../../src/reliability/fuzz/parquet.js';
import { fuzzRange } from '../../src/reliability/fuzz/runner.js';
import { useTempDir } from '../helpers/tmp.js';

const FIXTURES = join(import.meta.dirname, '../fixtures');
const SEED = 20261203;
const templates = loadTemplates(FIXTURES);
const formats = [...new Set(templates.map((template) => template.format))];
const tempDir = useTempDir();

describe('fuzz slice (seeded)', () => {
  it('covers all 20 formats (19 text formats here, Parquet below)', () => {
    expect(formats).toHaveLength(19);
  });

  it.each(formats)('%s: 4 documents of 16 mutated units each, one through the real ingest', async (format) => {
    const stats = await fuzzRange({
      format,
      templates: templates.filter((template) => template.format === format),
      seed: SEED,
      from: 0,
      to: 4,
      unitsPerDocument: 16,
      ingestEvery: 4,
    });
    expect(stats.findings).toEqual([]);
    expect(stats.mutatedInputs).toBe(64);
    expect(stats.ingestChecks).toBe(1);
  });

  it('containers: 150 mutated gzip and zip files end as errors or records, never an exception or a hang', async () => {
    const stats = await fuzzContainers({ seed: SEED, inputs: 150, findingsDir: tempDir() });
    expect(stats.findings).toEqual([]);
    expect(stats.errors).toBeGreaterThan(0); // the mutations do break containers
  });

  it('asim-parquet: 30 mutated files fail with an Error or read, never crash', async () => {
    const stats = await fuzzParquet({ seed: SEED, inputs: 30, fixtures: FIXTURES, findingsDir: tempDir() });
    expect(stats.findings).toEqual([]);
    expect(stats.mutatedInputs).toBe(30);
  });
});
