/**
 * A seeded slice of `npm run torture`: one kill -9 per operation, on a fifth of its data, at a seeded instant;
 * after the rerun the store equals a clean run's (records; alerts once; JSON-lines once; webhook at least once;
 * outbox empty). The full program runs 50 trials per operation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/demo/random.js';
import { OPERATIONS } from '../../src/reliability/torture/operations.js';

const work = mkdtempSync(join(tmpdir(), 'smbwatch-torture-slice-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const random = new Random(20261203);

describe('torture slice (seeded kill -9)', () => {
  it.each(OPERATIONS.map((operation) => [operation.name, operation] as const))(
    '%s survives a kill -9 at a random instant',
    async (name, operation) => {
      const prepared = await operation.prepare(join(work, name), 0.2);
      try {
        const outcome = await prepared.trial(0, random.next());
        expect(outcome.problems).toEqual([]);
        expect(outcome.storeOpened).toBe(true);
      } finally {
        await prepared.close();
      }
    },
    180_000,
  );
});
