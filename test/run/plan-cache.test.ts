/**
 * The compiled-plan cache: a second run of a rule in a fresh process does not load Kusto.Language (the bridge
 * defines the global `Kusto`; `run --verbose` reports it), and a different query text, parameter or compiler
 * fingerprint compiles again.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilerFingerprint, lookupPlan, PLANS_TABLE, planKey } from '../../src/rules/cache/plan-cache.js';
import { builtinRules } from '../../src/rules/load.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { seedFixtureRecords, writeStore } from './stores.js';

const tempDir = useTempDir();
const SEED_FILE = new URL('../../src/rules/builtin/anomaly-in-smb-traffic.yaml', import.meta.url);
const DAY_US = 86_400_000_000;

async function planRows(db: string): Promise<number> {
  const store = await openDuckDbStore(db);
  try {
    return Number((await store.query(`SELECT count(*) FROM ${PLANS_TABLE}`)).rows[0]![0]);
  } finally {
    await store.close();
  }
}

/** `run --verbose` in a fresh process: where the plan came from and whether Kusto.Language was loaded. */
function planReport(db: string, ...args: string[]): string {
  const result = runCli(['run', '--db', db, '--verbose', ...args]);
  expect(result.status).toBe(0);
  return result.stderr.trim();
}

describe('the plan cache through smbwatch run', () => {
  it('a built-in rule runs from its shipped plan, first time included; other parameters or query text compile once, then hit the cache; results unchanged', async () => {
    const db = join(tempDir(), 'seed.duckdb');
    await writeStore(db, seedFixtureRecords());
    // The built-in rule's plan was compiled when smbwatch was built: even the first run on a new store skips Kusto.Language.
    const first = runCli(['run', '--db', db, '--verbose', '--at', '2024-03-15T00:00:00Z', '--output', 'jsonl']);
    expect(first.stderr.trim()).toBe('plan: shipped; Kusto.Language loaded: no');
    expect(await planRows(db)).toBe(0);

    // The same rule with a parameter is another query text: compiled (50.0 gives the same result as 50).
    const compiled = runCli(['run', '--db', db, '--verbose', '--at', '2024-03-15T00:00:00Z', '--output', 'jsonl', '--param', 'threshold=50.0']);
    expect(compiled.stderr.trim()).toBe('plan: compiled; Kusto.Language loaded: yes');
    const lines = (text: string) => text.split('\n').filter(Boolean).sort();
    const resultRows = (text: string) => lines(text).map((line) => JSON.stringify((JSON.parse(line) as { rows: unknown }).rows)).sort();
    expect(resultRows(compiled.stdout)).toEqual(resultRows(first.stdout));
    expect(lines(first.stdout)).toHaveLength(8);

    // Another process, another time: the cached plan, now() substituted; Kusto.Language is never loaded.
    const second = runCli(['run', '--db', db, '--verbose', '--at', '2024-03-15T00:00:00Z', '--output', 'jsonl', '--param', 'threshold=50.0']);
    expect(second.stderr.trim()).toBe('plan: cache; Kusto.Language loaded: no');
    expect(lines(second.stdout)).toEqual(lines(compiled.stdout));
    expect(planReport(db, '--at', '2024-03-16T00:00:00Z', '--param', 'threshold=50.0')).toBe('plan: cache; Kusto.Language loaded: no');
    expect(planReport(db, '--at', '2024-03-16T00:00:00Z')).toBe('plan: shipped; Kusto.Language loaded: no');
    expect(await planRows(db)).toBe(1);

    // Parameters are part of the key (they are literals of the query text).
    expect(planReport(db, '--at', '2024-03-15T00:00:00Z', '--param', 'threshold=0.5')).toBe('plan: compiled; Kusto.Language loaded: yes');
    expect(planReport(db, '--at', '2024-03-15T00:00:00Z', '--param', 'threshold=0.5')).toBe('plan: cache; Kusto.Language loaded: no');
    expect(await planRows(db)).toBe(2);

    // A rule file whose query differs (one comment) is another plan.
    const edited = join(tempDir(), 'edited.yaml');
    writeFileSync(edited, readFileSync(SEED_FILE, 'utf8').replace('// Define the threshold for deviation', '// edited'));
    expect(planReport(db, '--rule', edited, '--at', '2024-03-15T00:00:00Z')).toBe('plan: compiled; Kusto.Language loaded: yes');
    expect(planReport(db, '--rule', edited, '--at', '2024-03-15T00:00:00Z')).toBe('plan: cache; Kusto.Language loaded: no');
    expect(await planRows(db)).toBe(3);
  });

  it('keys: query text, look-back and fingerprint all matter; rows of another fingerprint are dropped on write', async () => {
    const query = builtinRules()[0]!.query;
    expect(planKey(query, 14 * DAY_US)).toBe(planKey(query, 14 * DAY_US));
    expect(planKey(query, 14 * DAY_US)).not.toBe(planKey(query, 13 * DAY_US));
    expect(planKey(query, 14 * DAY_US)).not.toBe(planKey(`${query} `, 14 * DAY_US));
    expect(compilerFingerprint()).toMatch(/^[0-9a-f]{64}$/);

    const store = await openDuckDbStore(join(tempDir(), 'plans.duckdb'));
    try {
      const at = Date.UTC(2024, 2, 15) * 1000;
      expect((await lookupPlan(store, query, 14 * DAY_US, at)).origin).toBe('compiled');
      // Plans of an older compiler (their keys embed its fingerprint, so they are never looked up again)...
      await store.query(`INSERT INTO ${PLANS_TABLE} VALUES ('stale-key', 'old-compiler', current_timestamp::TIMESTAMP, '{}')`);
      expect((await lookupPlan(store, query, 13 * DAY_US, at)).origin).toBe('compiled');
      // ...and writing a plan drops them.
      const left = await store.query(`SELECT fingerprint FROM ${PLANS_TABLE}`);
      expect(left.rows.map((r) => r[0])).toEqual([compilerFingerprint(), compilerFingerprint()]);
      expect((await lookupPlan(store, query, 13 * DAY_US, at + DAY_US)).origin).toBe('cache');
    } finally {
      await store.close();
    }
  });
});
