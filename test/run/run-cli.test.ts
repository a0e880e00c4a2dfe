/**
 * `smbwatch run` as a user runs it (the built CLI; `npm test` builds first), over a store ingested through the
 * store's API with the seed rule's edge-case fixture (test/kql/cases/seed-rule.yaml: every edge of seed-rule.md,
 * with the result rows worked out by hand for threshold 50 and 0.5).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/types.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { seedExpectedRows, seedFixtureRecords, writeStore } from './stores.js';

const tempDir = useTempDir();
const T = '2024-03-15T00:00:00Z';
const SEED_ID = '8717e498-7b5d-4e23-9e7c-fa4913dbfd79';
const SEED_FILE = new URL('../../src/rules/builtin/anomaly-in-smb-traffic.yaml', import.meta.url);

/** A fresh store with the edge-case fixture. */
async function seedStore(): Promise<string> {
  const path = join(tempDir(), 'seed.duckdb');
  await writeStore(path, seedFixtureRecords());
  return path;
}

const jsonl = (stdout: string): Alert[] => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Alert);
const rowKey = (row: ReadonlyArray<unknown>): string => JSON.stringify(row);
const sortedRows = (alerts: readonly Alert[]): string[] =>
  alerts.map((a) => rowKey([a.rows[0]!.SrcIpAddr, a.rows[0]!.DstPortNumber, a.rows[0]!.Deviation, a.rows[0]!.Count])).sort();

async function storedAlertCount(db: string): Promise<number> {
  const store = await openDuckDbStore(db);
  try {
    return Number((await store.query('SELECT count(*) FROM smbwatch_alerts')).rows[0]![0]);
  } finally {
    await store.close();
  }
}

describe('smbwatch run: the seed rule over the edge-case fixture', () => {
  it('threshold 50 (v1.0.0): the eight hand-computed rows, one alert each, with every alert field', async () => {
    const db = await seedStore();
    const result = runCli(['run', '--db', db, '--at', T, '--output', 'jsonl']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const alerts = jsonl(result.stdout);
    expect(sortedRows(alerts)).toEqual(seedExpectedRows('seed rule 1.0.0').map(rowKey).sort());
    for (const alert of alerts) {
      expect(alert).toMatchObject({
        ruleId: SEED_ID,
        ruleName: 'Anomaly in SMB Traffic(ASIM Network Session schema)',
        ruleVersion: '1.0.0',
        severity: 'Medium',
        tactics: ['LateralMovement'],
        techniques: ['T1021', 'T1021.002'],
        displayName: 'Anomaly in SMB Traffic(ASIM Network Session schema)',
        queryStartTime: '2024-03-01T00:00:00.000Z',
        queryEndTime: '2024-03-15T00:00:00.000Z',
        aggregationKind: 'AlertPerResult',
        customDetails: {},
        parameters: {},
      });
      expect(alert.description).toContain('This detection detects abnormal SMB traffic');
      expect(alert.alertId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(alert.entities).toEqual([{ type: 'ip', address: alert.rows[0]!.SrcIpAddr }]);
      // Projected column names, in order, numbers as JSON numbers.
      expect(Object.keys(alert.rows[0]!)).toEqual(['SrcIpAddr', 'DstPortNumber', 'Deviation', 'Count']);
      expect([typeof alert.rows[0]!.DstPortNumber, typeof alert.rows[0]!.Deviation, typeof alert.rows[0]!.Count]).toEqual(['number', 'number', 'number']);
    }
    expect(new Set(alerts.map((a) => a.alertId)).size).toBe(8);
    expect(await storedAlertCount(db)).toBe(8);

    // The same run again: the same alerts, none stored twice; the table says so.
    const again = runCli(['run', '--db', db, '--at', T]);
    expect(again.status).toBe(0);
    const lines = again.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^severity\s+alert\s+entities\s+result\s+id\s+stored$/);
    expect(lines).toHaveLength(2 + 8 + 1);
    expect(lines.slice(2, 10).every((line) => line.endsWith('already stored'))).toBe(true);
    expect(lines.find((line) => line.includes('ip:10.0.0.1 ')) ?? '').toContain('SrcIpAddr=10.0.0.1 DstPortNumber=445 Deviation=59 Count=60');
    expect(lines[10]).toBe(
      'Anomaly in SMB Traffic(ASIM Network Session schema) v1.0.0 at 2024-03-15T00:00:00Z, window [2024-03-01T00:00:00Z, 2024-03-15T00:00:00Z]: ' +
        '8 result rows, 8 alerts fired (0 new, 8 already stored)',
    );
    expect(await storedAlertCount(db)).toBe(8);

    // threshold 0.5 (upstream v1.0.1): twelve rows, four more; other ids (the parameters are part of them).
    const v101 = runCli(['run', '--db', db, '--at', T, '--param', 'threshold=0.5', '--output', 'jsonl']);
    expect(v101.status).toBe(0);
    const more = jsonl(v101.stdout);
    expect(sortedRows(more)).toEqual(seedExpectedRows('seed rule 1.0.1').map(rowKey).sort());
    expect(more.every((a) => a.parameters.threshold === '0.5')).toBe(true);
    expect(more.map((a) => a.alertId).filter((id) => alerts.some((a) => a.alertId === id))).toEqual([]);
    expect(await storedAlertCount(db)).toBe(8 + 12);

    // --output json: the run's summary and its alerts.
    const json = JSON.parse(runCli(['run', '--db', db, '--at', T, '--output', 'json']).stdout) as Record<string, unknown> & { alerts: Alert[] };
    expect(json).toMatchObject({
      ruleId: SEED_ID, at: '2024-03-15T00:00:00.000Z', queryStartTime: '2024-03-01T00:00:00.000Z', queryEndTime: '2024-03-15T00:00:00.000Z',
      suppressed: false, resultRows: 8, triggered: true, alertCount: 8, newAlerts: 0, alreadyStored: 8,
    });
    expect(json.alerts.map((a) => a.alertId).sort()).toEqual(alerts.map((a) => a.alertId).sort());
  });

  it('no rows: exit 0 and a summary saying so (a day later, the bursts are in the baseline)', async () => {
    const db = await seedStore();
    const result = runCli(['run', '--db', db, '--at', '2024-03-17T00:00:00Z']);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      'Anomaly in SMB Traffic(ASIM Network Session schema) v1.0.0 at 2024-03-17T00:00:00Z, window [2024-03-03T00:00:00Z, 2024-03-17T00:00:00Z]: ' +
        '0 result rows, 0 alerts fired (0 new, 0 already stored)\n',
    );
  });

  it('--engine clickhouse (chdb) raises the same alerts', async () => {
    const db = await seedStore();
    const duck = jsonl(runCli(['run', '--db', db, '--at', T, '--output', 'jsonl', '--param', 'threshold=0.5']).stdout);
    const ch = runCli(['run', '--db', db, '--at', T, '--output', 'jsonl', '--param', 'threshold=0.5', '--engine', 'clickhouse']);
    expect(ch.status).toBe(0);
    expect(jsonl(ch.stdout).map((a) => a.alertId).sort()).toEqual(duck.map((a) => a.alertId).sort());
    expect(duck).toHaveLength(12);
  });

  it('--memory-limit bounds DuckDB for the run: the same alerts within 64MB; a limit too small to work fails', async () => {
    const db = await seedStore();
    const bounded = runCli(['run', '--db', db, '--at', T, '--output', 'jsonl', '--memory-limit', '64MB']);
    expect(bounded.status).toBe(0);
    expect(sortedRows(jsonl(bounded.stdout))).toEqual(seedExpectedRows('seed rule 1.0.0').map(rowKey).sort());
    const starved = runCli(['run', '--db', await seedStore(), '--at', T, '--memory-limit', '1KB']);
    expect(starved.status).toBe(1);
    expect(starved.stderr).toMatch(/the store's memory limit was reached: nothing this command had not finished was stored; raise it with --memory-limit/);
    const wrong = runCli(['run', '--db', db, '--at', T, '--memory-limit', 'lots']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/--memory-limit.*must be a size such as 512MB or 2GB, got "lots"/);
  });

  it('suppression: a rule that alerted at T does not run at T+1h; at T+5h it runs', async () => {
    const db = await seedStore();
    const rule = join(tempDir(), 'suppressed.yaml');
    const text = readFileSync(SEED_FILE, 'utf8')
      .replace(`id: ${SEED_ID}`, 'id: 0d2b3e0c-7a1b-4c5d-9e8f-112233445566')
      .replace('kind: Scheduled', 'kind: Scheduled\nsuppressionEnabled: true\nsuppressionDuration: 5h');
    writeFileSync(rule, text);
    expect(runCli(['run', '--db', db, '--rule', rule, '--at', T]).status).toBe(0);
    const suppressed = runCli(['run', '--db', db, '--rule', rule, '--at', '2024-03-15T01:00:00Z', '--output', 'json']);
    expect(suppressed.status).toBe(0);
    expect(JSON.parse(suppressed.stdout)).toMatchObject({ suppressed: true, resultRows: 0, alertCount: 0 });
    const table = runCli(['run', '--db', db, '--rule', rule, '--at', '2024-03-15T01:00:00Z']);
    expect(table.stdout).toContain(': suppressed (the rule alerted at 2024-03-15T00:00:00Z; suppression 5h), the query did not run');
    const after = JSON.parse(runCli(['run', '--db', db, '--rule', rule, '--at', '2024-03-15T05:00:00Z', '--output', 'json']).stdout) as { suppressed: boolean };
    expect(after.suppressed).toBe(false);
  });
});

describe('smbwatch run: errors', () => {
  it('an unknown rule id: exit 2, the known rules listed', async () => {
    const db = await seedStore();
    const result = runCli(['run', '--db', db, '--rule', '00000000-0000-0000-0000-000000000000', '--at', T]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no rule with this id or file; known rules: 8717e498-7b5d-4e23-9e7c-fa4913dbfd79 (Anomaly in SMB Traffic(ASIM Network Session schema))');
    expect(result.stdout).toBe('');
  });

  it('a bad --param: unknown name, wrong type, no "=": exit 2 with the reason', async () => {
    const db = await seedStore();
    const unknown = runCli(['run', '--db', db, '--at', T, '--param', 'treshold=10']);
    expect([unknown.status, unknown.stderr]).toEqual([2, expect.stringContaining('unknown parameter "treshold"; this rule\'s parameters are: threshold, starttime, endtime, SMBPorts')]);
    const typed = runCli(['run', '--db', db, '--at', T, '--param', 'threshold=high']);
    expect(typed.status).toBe(2);
    expect(typed.stderr).toMatch(/^smbwatch run: .*threshold/);
    const shape = runCli(['run', '--db', db, '--at', T, '--param', 'threshold']);
    expect([shape.status, shape.stderr]).toEqual([2, 'smbwatch run: --param needs NAME=VALUE; got "threshold"\n']);
  });

  it('a command line commander refuses (unknown option, bad choice, missing required option): exit 2, as --help says', () => {
    const unknown = runCli(['run', '--bogus']);
    expect([unknown.status, unknown.stderr]).toEqual([2, expect.stringContaining("unknown option '--bogus'")]);
    const choice = runCli(['run', '--output', 'xml']);
    expect([choice.status, choice.stderr]).toEqual([2, expect.stringContaining("argument 'xml' is invalid")]);
    const required = runCli(['backtest', '--to', T]);
    expect([required.status, required.stderr]).toEqual([2, expect.stringContaining("required option '--from <time>' not specified")]);
    expect(runCli(['run', '--help']).status).toBe(0);
    expect(runCli(['--version']).status).toBe(0);
  });

  it('a bad --at: exit 2', async () => {
    const db = await seedStore();
    const result = runCli(['run', '--db', db, '--at', 'yesterday']);
    expect([result.status, result.stderr]).toEqual([2, 'smbwatch run: --at: not an ISO 8601 time (e.g. 2024-03-15T00:00:00Z): "yesterday"\n']);
    const finer = runCli(['run', '--db', db, '--at', '2024-03-15T00:00:00.000001Z']);
    expect(finer.status).toBe(2);
    expect(finer.stderr).toContain('finer than a millisecond');
  });

  it('a missing store: exit 1, and no empty store is created', () => {
    const db = join(tempDir(), 'absent.duckdb');
    const result = runCli(['run', '--db', db, '--at', T]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`smbwatch run: no store at ${db} (ingest logs first with \`smbwatch ingest\`, or give --db)\n`);
    expect(existsSync(db)).toBe(false);
  });

  it("a rule file whose query does not compile: exit 1 with Kusto's diagnostic", async () => {
    const db = await seedStore();
    const rule = join(tempDir(), 'broken.yaml');
    writeFileSync(rule, readFileSync(SEED_FILE, 'utf8').replace('| project SrcIpAddr, DstPortNumber', '| project SrcIpAdr, DstPortNumber'));
    const result = runCli(['run', '--db', db, '--rule', rule, '--at', T]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("smbwatch run: the rule's query does not compile");
    expect(result.stderr).toContain("The name 'SrcIpAdr' does not refer to any known column");
  });
});
