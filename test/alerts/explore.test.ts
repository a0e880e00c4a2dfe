/**
 * Exploring without polluting the alert store: `run --dry-run` stores nothing, `alerts show ID` shows one alert
 * in full, `alerts rm` removes the alerts of an experiment (by id, rule, time range or run); and a run whose
 * window holds no records says so, with the store's time span and an --at to try. The store holds the seed
 * rule's edge-case fixture (test/run/stores.ts), whose hand-computed result at 2024-03-15T00:00:00Z is 8 rows at
 * threshold 50 and 12 at 0.5.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/types.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { seedFixtureRecords, writeStore } from '../run/stores.js';

const tempDir = useTempDir();
const T = '2024-03-15T00:00:00Z';
const SEED_ID = '8717e498-7b5d-4e23-9e7c-fa4913dbfd79';

async function seedStore(): Promise<string> {
  const db = join(tempDir(), 'seed.duckdb');
  await writeStore(db, seedFixtureRecords());
  return db;
}

async function storedCount(db: string): Promise<number> {
  const store = await openDuckDbStore(db);
  try {
    return Number((await store.query('SELECT count(*) FROM smbwatch_alerts')).rows[0]![0]);
  } finally {
    await store.close();
  }
}

const jsonl = (stdout: string): Alert[] => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Alert);

describe('run --dry-run', () => {
  it('shows the alerts and whether they are new, stores none; --no-store is the same', async () => {
    const db = await seedStore();
    const dry = runCli(['run', '--db', db, '--at', T, '--dry-run']);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain('8 result rows, 8 alerts fired (dry run, nothing stored: 8 new, 0 already stored)');
    expect(dry.stdout.split('\n').filter((line) => line.endsWith('new (not stored)'))).toHaveLength(8);
    expect(await storedCount(db)).toBe(0);
    const json = JSON.parse(runCli(['run', '--db', db, '--at', T, '--no-store', '--output', 'json']).stdout) as { dryRun: boolean; newAlerts: number };
    expect([json.dryRun, json.newAlerts]).toEqual([true, 8]);
    expect(await storedCount(db)).toBe(0);

    // Stored for real, a dry run then finds them all stored.
    runCli(['run', '--db', db, '--at', T]);
    expect(await storedCount(db)).toBe(8);
    expect(runCli(['run', '--db', db, '--at', T, '--dry-run']).stdout).toContain('(dry run, nothing stored: 0 new, 8 already stored)');
  });
});

describe('a window without records', () => {
  it('says so, with the store\'s span and an --at on the rule\'s grid that sees the latest records', async () => {
    const db = await seedStore();
    // The fixture's records lie in [2024-02-29T23:59:59Z, 2024-03-15T00:00:01Z] (its after-T edge record).
    const now = runCli(['run', '--db', db, '--at', '2025-01-01T00:00:00Z']);
    expect(now.status).toBe(0);
    expect(now.stdout).toContain('0 result rows, 0 alerts fired');
    const hint = now.stdout.trimEnd().split('\n').at(-1)!;
    expect(hint).toMatch(/^The window \[2024-12-18T00:00:00Z, 2025-01-01T00:00:00Z\] holds no records: the store's records span 2024-02-\d\dT[\d:.]+Z to 2024-03-1\dT[\d:.]+Z\. To look at the latest of them, try --at 2024-03-1\dT00:00:00Z\.$/);
    // The suggested time is one where the rule sees records.
    const suggested = /--at (\S+)\.$/.exec(hint)![1]!;
    const tried = runCli(['run', '--db', db, '--at', suggested, '--dry-run']);
    expect(tried.stdout).not.toContain('holds no records');
    // With records in the window but no result, no hint: the rule simply found nothing.
    expect(runCli(['run', '--db', db, '--at', T, '--param', 'threshold=100000']).stdout).not.toContain('holds no records');
  });
});

describe('smbwatch alerts show and rm', () => {
  it('shows one alert by a prefix of its id; unknown and ambiguous prefixes fail', async () => {
    const db = await seedStore();
    const alerts = jsonl(runCli(['run', '--db', db, '--at', T, '--output', 'jsonl']).stdout);
    const alert = alerts.find((a) => a.rows[0]!.SrcIpAddr === '10.0.0.1')!;
    const shown = runCli(['alerts', 'show', '--db', db, alert.alertId.slice(0, 8)]);
    expect(shown.status).toBe(0);
    const lines = shown.stdout.split('\n');
    expect(lines[0]).toBe(`alert        ${alert.alertId}`);
    expect(shown.stdout).toContain(`rule         Anomaly in SMB Traffic(ASIM Network Session schema) v1.0.0 (${SEED_ID})`);
    expect(shown.stdout).toContain('window       [2024-03-01T00:00:00.000Z, 2024-03-15T00:00:00.000Z]');
    expect(shown.stdout).toContain('entities     1: ip:10.0.0.1');
    expect(shown.stdout).toContain('1 result row:');
    expect(shown.stdout).toMatch(/SrcIpAddr\s+DstPortNumber\s+Deviation\s+Count\n-+\s+-+\s+-+\s+-+\n10\.0\.0\.1\s+445\s+59\s+60\n/);
    expect(JSON.parse(runCli(['alerts', 'show', '--db', db, '--output', 'json', alert.alertId]).stdout)).toEqual(alert);

    const unknown = runCli(['alerts', 'show', '--db', db, 'ffffffff']);
    expect([unknown.status, unknown.stderr]).toEqual([1, 'smbwatch alerts show: no alert with id ffffffff (see smbwatch alerts)\n']);
    // Every id is a UUID v5: the empty prefix names all 8.
    const ambiguous = runCli(['alerts', 'show', '--db', db, '']);
    expect(ambiguous.status).toBe(1);
    expect(ambiguous.stderr).toContain('8 alerts have ids starting with ; give more of the id:');
  });

  it('removes alerts by id, by run, by rule and time range; --dry-run removes none; a bare rm is refused', async () => {
    const db = await seedStore();
    const at50 = jsonl(runCli(['run', '--db', db, '--at', T, '--output', 'jsonl']).stdout);
    const at05 = jsonl(runCli(['run', '--db', db, '--at', '2024-03-14T00:00:00Z', '--param', 'threshold=0.5', '--output', 'jsonl']).stdout);
    const total = at50.length + at05.length;
    expect(await storedCount(db)).toBe(total);

    const bare = runCli(['alerts', 'rm', '--db', db]);
    expect(bare.status).toBe(2);
    expect(bare.stderr).toContain('say which alerts');

    const dry = runCli(['alerts', 'rm', '--db', db, '--run', T, '--dry-run']);
    expect(dry.stdout).toContain(`${at50.length} alerts would be removed (--dry-run: nothing removed)`);
    expect(await storedCount(db)).toBe(total);

    const one = runCli(['alerts', 'rm', '--db', db, at50[0]!.alertId.slice(0, 12)]);
    expect(one.stdout).toBe('Removed 1 alert.\n');
    expect(await storedCount(db)).toBe(total - 1);

    const run = runCli(['alerts', 'rm', '--db', db, '--run', T]);
    expect(run.stdout).toBe(`Removed ${at50.length - 1} alerts.\n`);
    expect(await storedCount(db)).toBe(at05.length);

    // The other run lies in [2024-03-13, 2024-03-14]; a range before it removes nothing.
    expect(runCli(['alerts', 'rm', '--db', db, '--rule', SEED_ID, '--until', '2024-03-13T23:59:59Z']).stdout).toBe('Removed 0 alerts.\n');
    const removed = `Removed ${at05.length} alert${at05.length === 1 ? '' : 's'}.\n`;
    expect(at05.length).toBeGreaterThan(0);
    expect(runCli(['alerts', 'rm', '--db', db, '--rule', SEED_ID, '--since', '2024-03-13', '--until', '2024-03-14']).stdout).toBe(removed);
    expect(await storedCount(db)).toBe(0);
    // The listing is the default of `smbwatch alerts`, options and all.
    expect(runCli(['alerts', '--db', db, '--since', '7d']).stdout).toBe('0 alerts\n');
  });
});
