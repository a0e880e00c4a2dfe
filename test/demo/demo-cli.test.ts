/**
 * `smbwatch demo` through the built CLI, as `npm start` runs it: generate, ingest, tell the story; reuse on a
 * second run; never overwrite what is not the demo's.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runIngest } from '../../src/ingest/run.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { zeekConnTsv } from '../helpers/zeek.js';

const tempDir = useTempDir();
const SMALL = ['--workstations', '20', '--progress', 'none'];

describe('smbwatch demo (CLI)', () => {
  it('generates, ingests, runs the seed rule at T with the expected alert, tells where everything is; a rerun reuses it all', { timeout: 240_000 }, () => {
    const dir = join(tempDir(), 'demo');
    const first = runCli(['demo', '--dir', dir, '--seed', '5', ...SMALL]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/smbwatch demo: a simulated office network \(seed 5\)/);
    expect(first.stdout).toMatch(/Lateral movement: at Tue 2025-02-18 1\d:\d\d, WS-\d{4} \(10\.10\.\d+\.\d+\)/);
    expect(first.stdout).toMatch(/T = 2025-02-19T00:00:00Z/);
    // The rule ran and raised what the manifest expects: one alert on the compromised host's SMB to port 445.
    expect(first.stdout).toMatch(/Ran it: 1 result row, 1 alert \(1 new in the store, 0 already there\)\. This is the expected result\./);
    expect(first.stdout).toMatch(/Medium\s+Anomaly in SMB Traffic\(ASIM Network Session schema\)\s+ip:10\.10\.\d+\.\d+\s+SrcIpAddr=10\.10\.\d+\.\d+ DstPortNumber=445/);
    expect(first.stdout).toContain(`Logs:  ${join(dir, 'logs')}/`);
    expect(first.stdout).toContain(`Store: ${join(dir, 'demo.duckdb')}`);
    expect(first.stdout).toMatch(/generated in [\d.]+ s/);
    const ingested = /\(([\d,]+) records; ([\d,]+) ingested in/.exec(first.stdout);
    expect(ingested?.[1]).toBe(ingested?.[2]);
    expect(existsSync(join(dir, 'manifest.json'))).toBe(true);
    // It ends by pointing at the commands that explain the alert and show it.
    // Written as they run after `npm ci` (npx), every line of them.
    expect(first.stdout).toMatch(/ {2}npx smbwatch explain [0-9a-f]{8} --db /);
    expect(first.stdout).toMatch(/ {2}npx smbwatch report --db \S+ -o smbwatch-report\.html/);
    expect(first.stdout).toMatch(/ {2}npx smbwatch ui --db \S+ /);
    expect(first.stdout).not.toMatch(/^ +smbwatch /m);
    // What it cites is in the repository: docs/rules.md, not the project's private notes.
    expect(first.stdout).toContain('docs/rules.md ("The seed rule\'s known weaknesses")');
    expect(first.stdout).not.toContain('seed-rule.md');
    expect(first.stdout).toContain('For the other Network Session Essentials rules and hunting queries (docs/essentials.md), each seen by its run at T: syn-flood, port-scan, port-sweep, rdp-brute-force, rdp-anomaly, tor, beaconing, outbound-ldap, cleartext, outbound-rdp.');
    expect(first.stdout).toMatch(/ {2}npx smbwatch run --db \S+ --rule 1da9853f-3dea-4ea9-b7e5-26730da3d537 --at 2025-02-19T00:00:00Z/);

    const second = runCli(['demo', '--dir', dir, '--seed', '5', ...SMALL]);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/seed 5 data already there, reused/);
    expect(second.stdout).toContain(`(${ingested?.[1]} records; nothing new to ingest)`);
    // The same run again stores nothing twice.
    expect(second.stdout).toMatch(/1 alert \(0 new in the store, 1 already there\)/);

    // Another seed in the same directory: new data, and the demo's own store is started afresh.
    const third = runCli(['demo', '--dir', dir, '--seed', '6', ...SMALL]);
    expect(third.status).toBe(0);
    expect(third.stdout).toMatch(/generated in/);
    expect(third.stdout).toMatch(/an older demo store was replaced/);
    const records = /\(([\d,]+) records; ([\d,]+) ingested in/.exec(third.stdout);
    expect(records?.[1]).toBe(records?.[2]);
  });

  it('refuses a --db that holds other data, and a --dir whose logs it did not write', { timeout: 120_000 }, async () => {
    const root = tempDir();
    const db = join(root, 'mine.duckdb');
    // A store of the user's own: one ingested Zeek file.
    writeFileSync(join(root, 'conn.log'), zeekConnTsv(1));
    const store = await openDuckDbStore(db);
    await runIngest(store, [join(root, 'conn.log')], { parse: {} });
    await store.close();
    const refused = runCli(['demo', '--dir', join(root, 'demo'), '--db', db, ...SMALL]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/mine\.duckdb holds 1 records that are not the demo's; pass another --db/);

    const foreign = join(root, 'foreign');
    const logs = join(foreign, 'logs');
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, 'keep.txt'), 'mine\n');
    const notOurs = runCli(['demo', '--dir', foreign, ...SMALL]);
    expect(notOurs.status).toBe(1);
    expect(notOurs.stderr).toMatch(/was not written by smbwatch demo; choose another --dir/);
    expect(existsSync(join(logs, 'keep.txt'))).toBe(true);
  });

  it('rejects a network too small for the scenario', () => {
    const result = runCli(['demo', '--workstations', '3']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/an integer from 16 to 960/);
  });
});
