/**
 * `smbwatch rules` and `smbwatch alerts` as a user runs them (the built CLI; `npm test` builds first).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildAlerts } from '../../src/alerts/build.js';
import { storeAlerts } from '../../src/alerts/store.js';
import type { TypedResult } from '../../src/alerts/types.js';
import { parseSince } from '../../src/cli/alerts.js';
import { builtinRules } from '../../src/rules/load.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();
const FIXTURES = fileURLToPath(new URL('../fixtures/rules/', import.meta.url));

describe('smbwatch rules', () => {
  it('lists the built-in rules with schedule, trigger and parameters, then the hunting queries', () => {
    const result = runCli(['rules']);
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id\s+kind\s+name\s+severity\s+schedule\s+trigger\s+grouping\s+parameters$/);
    expect(lines[2]).toContain('8717e498-7b5d-4e23-9e7c-fa4913dbfd79 *');
    expect(lines[2]).toContain('Anomaly in SMB Traffic(ASIM Network Session schema) (v1.0.0)');
    expect(lines[2]).toContain('every 1d, look back 14d');
    expect(lines[2]).toContain('rows gt 0');
    expect(lines[2]).toContain('threshold:long=50, starttime:timespan=14d, endtime:timespan=1d, SMBPorts:dynamic=dynamic(["139", "445"])');
    expect(lines[3]).toMatch(/^332f0f21-4ae7-4075-9fc6-c228b4fa3555\s+Scheduled\s+SMB lateral movement \(smbwatch\) \(v1\.0\.0\)/);
    expect(lines[3]).toContain('baselineStart:timespan=14d, sharedServerClients:long=3');
    const hunting = lines.filter((line) => /^\S+\s+Hunting\s/.test(line));
    expect(hunting).toHaveLength(7);
    expect(hunting.join('\n')).toMatch(/5dca6047-24ed-4eb7-b44e-ec7f1bf42621\s+Hunting\s+Detect Outbound LDAP Traffic\(ASIM Network Session schema\) \(v1\.0\.0\)/);
    expect(hunting[0]).toContain('on demand (smbwatch hunt)');
    expect(lines.at(-1)).toMatch(/^\d+ analytic rules? \(\* the default rule\), 7 hunting queries$/);
  });

  it('adds the rules of --rules; --output json', () => {
    const result = runCli(['rules', '--rules', join(FIXTURES, 'dir'), '--output', 'json']);
    expect(result.status).toBe(0);
    const listed = JSON.parse(result.stdout) as Array<{ kind: string; source: string; name: string; schedule: string; trigger: string; suppression: string | null }>;
    const rules = listed.filter((r) => r.kind === 'Scheduled' && !r.source.startsWith('builtin:essentials/'));
    expect(listed.filter((r) => r.kind === 'Hunting')).toHaveLength(7);
    expect(rules.map((r) => [r.name, r.schedule, r.trigger, r.suppression])).toEqual([
      ['Anomaly in SMB Traffic(ASIM Network Session schema)', 'every 1d, look back 14d', 'rows gt 0', null],
      ['SMB lateral movement (smbwatch)', 'every 1d, look back 14d', 'rows gt 0', null],
      ['SMB fan-out from one host', 'every 1h, look back 1d', 'rows gt 1', '2h'],
      ['Any SMB server contacted', 'every 5h, look back 5h', 'rows ne 0', null],
    ]);
  });

  it('an invalid rule file fails with its problems', () => {
    const bad = join(tempDir(), 'bad.yaml');
    writeFileSync(bad, 'id: x\n');
    const result = runCli(['rules', '--rules', bad]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${bad}:1:5: id: must be a GUID`);
    expect(result.stderr).toContain(`${bad}:1:1: query: is required (the KQL text)`);
  });
});

describe('smbwatch alerts', () => {
  const result: TypedResult = {
    columns: [
      { name: 'SrcIpAddr', type: 'string' },
      { name: 'DstPortNumber', type: 'int' },
      { name: 'Deviation', type: 'real' },
      { name: 'Count', type: 'long' },
    ],
    rows: [['10.0.0.6', 139, 59, 60]],
  };

  it('lists stored alerts as a table, JSON lines, filtered by --since and --rule', async () => {
    const db = join(tempDir(), 'alerts.duckdb');
    const seed = builtinRules()[0]!;
    const at = (iso: string) => buildAlerts(seed, result, { start: new Date(Date.parse(iso) - seed.queryPeriodMs), end: new Date(iso) });
    const stored = [...at('2024-03-14T00:00:00Z'), ...at('2024-03-15T00:00:00Z')];
    const store = await openDuckDbStore(db);
    await storeAlerts(store, stored);
    await store.close();

    const table = runCli(['alerts', '--db', db]);
    expect(table.status).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^run time\s+severity\s+alert\s+entities\s+result\s+id$/);
    expect(lines[2]).toMatch(/^2024-03-14T00:00:00.000Z\s+Medium\s+Anomaly in SMB Traffic\(ASIM Network Session schema\)\s+ip:10.0.0.6\s+SrcIpAddr=10.0.0.6 DstPortNumber=139 Deviation=59 Count=60\s+[0-9a-f]{8}$/);
    expect(lines.at(-1)).toBe('2 alerts');

    const jsonl = runCli(['alerts', '--db', db, '--since', '2024-03-15T00:00:00Z', '--output', 'jsonl']);
    expect(jsonl.status).toBe(0);
    expect(jsonl.stdout.trimEnd().split('\n').map((line) => JSON.parse(line))).toEqual([stored[1]]);

    expect(runCli(['alerts', '--db', db, '--rule', '11111111-2222-4333-8444-555555555555']).stdout).toBe('0 alerts\n');
    const bad = runCli(['alerts', '--db', db, '--since', 'last week']);
    expect([bad.status, bad.stderr]).toEqual([2, 'smbwatch alerts: --since must be an ISO 8601 time or a duration like 7d; got "last week"\n']);
  });

  it('a missing store is an error', () => {
    const result = runCli(['alerts', '--db', join(tempDir(), 'none.duckdb')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/no store at/);
  });

  it('--since takes a time or a duration back from now', () => {
    const now = new Date('2024-03-15T12:00:00Z');
    expect(parseSince('7d', now)).toEqual(new Date('2024-03-08T12:00:00Z'));
    expect(parseSince('12h', now)).toEqual(new Date('2024-03-15T00:00:00Z'));
    expect(parseSince('2024-03-01T00:00:00+01:00', now)).toEqual(new Date('2024-02-29T23:00:00Z'));
    expect(parseSince('soon', now)).toBeUndefined();
  });
});
