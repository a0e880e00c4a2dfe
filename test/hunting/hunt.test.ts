/**
 * Hunting queries: loading (built-in and user files, problems located) and `smbwatch hunt` over a store.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinHuntingQueries, loadHuntingQueries, parseHuntingQuery, selectHuntingQuery } from '../../src/hunting/load.js';
import { RuleLoadError } from '../../src/rules/load.js';
import { isoToMicros } from '../../src/util/time.js';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { writeStore } from '../run/stores.js';

const tempDir = useTempDir();
const MISMATCH = 'a61e9fc1-dd9e-4588-a497-2a34a1d811bf';

describe('hunting queries', () => {
  it('ships the seven Network Session Essentials hunting queries', () => {
    const queries = builtinHuntingQueries();
    expect(queries.map((q) => q.id).sort()).toEqual([
      '5dca6047-24ed-4eb7-b44e-ec7f1bf42621', '6fd69768-fdf1-4cfd-805f-b243be3f0c6d', '70e2a349-87f0-4266-809c-e92fc71e0830',
      '906c20c6-b62c-4af7-be91-d7300e3bded2', '96f9fdd1-bb5b-4d32-8790-666457dc00c0', MISMATCH, 'cbe10c58-e96b-4827-853e-5c1f22fdcc74',
    ]);
    const mismatch = selectHuntingQuery(queries, MISMATCH.toUpperCase());
    expect(mismatch.name).toBe('Mismatch between Destination App name and Destination Port (ASIM Network Session schema)');
    expect(mismatch.tactics).toEqual(['Discovery']);
    expect(mismatch.entityMappings.map((m) => m.fieldMappings[0]!.columnName)).toEqual(['SrcIpAddr', 'DstIpAddr']);
  });

  it('locates the problems of a user file', () => {
    const file = join(tempDir(), 'bad.yaml');
    writeFileSync(file, 'id: 5dca6047-24ed-4eb7-b44e-ec7f1bf42621\nname: x\ndescription: d\ntactics:\n  - Lateral\nquery: print 1\n');
    let error: RuleLoadError | undefined;
    try { loadHuntingQueries(file); } catch (e) { error = e as RuleLoadError; }
    expect(error?.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:5: tactics\\[0\\]: must be one of InitialAccess`));
    expect(() => parseHuntingQuery('name: x\n', 'f.yaml')).toThrow(/f\.yaml:1:1: id: is required/);
  });
});

describe('smbwatch hunt', () => {
  const at = (iso: string): number => isoToMicros(iso)!;
  // The mismatch query keeps dns/http/ssl/smtp sessions on a port not standard for the app, over the last day.
  const records = [
    { TimeGenerated: at('2024-03-14T10:00:00Z'), SrcIpAddr: '10.0.0.1', DstIpAddr: '203.0.113.5', DstAppName: 'ssl', DstPortNumber: 8080,
      EventStartTime: at('2024-03-14T10:00:00Z'), EventEndTime: at('2024-03-14T10:00:05Z') },
    { TimeGenerated: at('2024-03-14T11:00:00Z'), SrcIpAddr: '10.0.0.1', DstIpAddr: '203.0.113.5', DstAppName: 'ssl', DstPortNumber: 8080,
      EventStartTime: at('2024-03-14T11:00:00Z'), EventEndTime: at('2024-03-14T11:00:09Z') },
    { TimeGenerated: at('2024-03-14T12:00:00Z'), SrcIpAddr: '10.0.0.2', DstIpAddr: '203.0.113.6', DstAppName: 'ssl', DstPortNumber: 443 },
    { TimeGenerated: at('2024-03-14T12:00:00Z'), SrcIpAddr: '10.0.0.3', DstIpAddr: '203.0.113.7', DstAppName: 'dns', DstPortNumber: 80 },
    // Older than a day before --at: not seen.
    { TimeGenerated: at('2024-03-13T12:00:00Z'), SrcIpAddr: '10.0.0.4', DstIpAddr: '203.0.113.8', DstAppName: 'smtp', DstPortNumber: 443 },
  ];

  it('runs a built-in hunting query at --at and prints its rows', async () => {
    const db = join(tempDir(), 'store.duckdb');
    await writeStore(db, records);
    const result = runCli(['hunt', MISMATCH, '--db', db, '--at', '2024-03-15T00:00:00Z', '--output', 'json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const rows = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.SrcIpAddr, r.DstAppName, r.DstPortNumber, r.Instances, r.EventStartTime, r.EventEndTime]).sort()).toEqual([
      ['10.0.0.1', 'ssl', 8080, 2, '2024-03-14T10:00:00Z', '2024-03-14T11:00:09Z'],
      ['10.0.0.3', 'dns', 80, 1, null, null],
    ]);
  });

  it('lists the hunting queries without an id, and refuses an unknown one with exit status 2', () => {
    const list = runCli(['hunt']);
    expect(list.status).toBe(0);
    expect(list.stdout).toContain(MISMATCH);
    const unknown = runCli(['hunt', '00000000-0000-0000-0000-000000000000', '--db', join(tempDir(), 'none.duckdb')]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no hunting query with this id or file; known: 5dca6047');
  });
});
