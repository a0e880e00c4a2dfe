/**
 * `smbwatch explain` on the demo's store (the default network `npm start` builds): its one alert must state the
 * facts the generator planted — the compromised host's 243 SMB sessions on the last day against 3 in the 13-day
 * baseline, and the 90 hosts it had never contacted — counted from the store, and the seed rule's arithmetic
 * (AvgCount is the 13-day total). A rule without a counting stage gets the row and the stage counts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoManifest } from '../../src/demo/manifest.js';
import { explainAlert, type Explanation } from '../../src/explain/explain.js';
import { findAlert } from '../../src/explain/find.js';
import { builtinRules, DEFAULT_RULE_ID } from '../../src/rules/load.js';
import { openStore, withQueryEngine } from '../../src/store/engines.js';
import { renderExplanationText } from '../../src/explain/render.js';
import { runCli } from '../helpers/cli.js';
import { demoStoreCopy } from '../helpers/demo-store.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();
let storeDir: string;
let db: string;
let manifest: DemoManifest;
let alertId: string;

beforeAll(async () => {
  storeDir = mkdtempSync(join(tmpdir(), 'smbwatch-explain-'));
  const copy = await demoStoreCopy(storeDir);
  db = copy.db;
  manifest = JSON.parse(readFileSync(copy.manifestPath, 'utf8')) as DemoManifest;
  const alerts = JSON.parse(runCli(['alerts', '--db', db, '--output', 'json']).stdout) as Array<{ alertId: string }>;
  expect(alerts).toHaveLength(1);
  alertId = alerts[0]!.alertId;
}, 600_000);

afterAll(() => rmSync(storeDir, { recursive: true, force: true }));

describe('smbwatch explain on the demo alert', { timeout: 240_000 }, () => {
  it('states the planted facts in words: 243 sessions against a baseline of 3, 90 never-contacted destinations, the Deviation arithmetic', () => {
    const out = runCli(['explain', alertId.slice(0, 8), '--db', db]);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const episode = manifest.episode;
    expect(out.stdout).toContain(`SrcIpAddr=${episode.ip}, DstPortNumber=445: 243 sessions in the recent window [2025-02-18T00:00:00Z, 2025-02-19T00:00:00Z] against a baseline of 3 sessions in 13 days`);
    expect(out.stdout).toContain(`91 destinations in the recent window; 90 of them were not seen from ${episode.ip} in the baseline (90 never contacted by ${episode.ip} on any port in the baseline)`);
    expect(out.stdout).toContain('Deviation = abs(RecentCount - AvgCount) / AvgCount = abs(243 - 3) / 3 = 80 (stage 6)');
    expect(out.stdout).toContain("AvgCount = avg(Count) groups by the same keys (SrcIpAddr, DstPortNumber) as stage 3, so each group holds exactly one row and AvgCount is that row's Count itself.");
    expect(out.stdout).toContain('So the baseline compared with is the 13-day total, 3 sessions, not a daily average (0.231).');
    expect(out.stdout).toContain('Stage 7 keeps the row: Deviation > 50, here 80 > 50.');
  });

  it('gives the same figures as JSON, matching the manifest: the daily series with zero days, destinations, stage counts', () => {
    const e = JSON.parse(runCli(['explain', alertId, '--db', db, '--output', 'json']).stdout) as Explanation;
    expect(e.format).toBe('smbwatch.explain/1');
    const m = e.measure!;
    const pair = manifest.episode.pair;
    expect(m.keys).toEqual({ SrcIpAddr: manifest.episode.ip, DstPortNumber: 445 });
    expect(m.totals).toEqual({ recent: pair.ruleRecent, baseline: pair.ruleBaseline, baselineDays: 13 });
    expect(m.series).toHaveLength(14);
    expect(m.series.map((p) => p.window)).toEqual([...Array(13).fill('baseline'), 'recent']);
    expect(m.series[0]!.start).toBe('2025-02-05T00:00:00Z');
    expect(m.series.at(-1)!.count).toBe(pair.ruleRecent);
    expect(m.series.slice(0, 13).reduce((s, p) => s + p.count, 0)).toBe(pair.ruleBaseline);
    // The host mounted its share on exactly three baseline days: ten days of zero are listed, not skipped.
    expect(m.series.filter((p) => p.count === 0)).toHaveLength(10);
    expect(m.newDestinations).toBe(manifest.episode.newDestinations);
    expect(m.neverContacted).toBe(manifest.episode.newDestinations);
    expect(m.destinationCount).toBe(manifest.episode.newDestinations + 1);
    const share = m.destinations.find((d) => d.address === manifest.episode.share)!;
    expect(share).toMatchObject({ baselineSessions: pair.ruleBaseline, contactedInBaseline: true });
    expect(m.destinations.reduce((s, d) => s + d.sessions, 0)).toBe(pair.ruleRecent);
    expect(m.failures.sessions).toBe(pair.ruleRecent);
    // Stage counts chain: each stage's rows in are the rows out of the stage before it.
    const by = Object.fromEntries(e.stages.stages.map((s) => [s.stage, s]));
    for (const [stage, before] of [['2', '1'], ['3', '2'], ['4', '3'], ['6', '5'], ['7', '6'], ['8', '7'], ['5.2', '5.1'], ['5.3', '5.2']] as const) {
      expect(by[stage]!.rowsIn).toEqual([by[before]!.rowsOut]);
    }
    expect(by['5']!.rowsIn).toEqual([by['4']!.rowsOut, by['5.3']!.rowsOut]);
    expect(by['8']!.rowsOut).toBe(1);
    expect(e.scoring!.row).toMatchObject({ AvgCount: 3, RecentCount: 243, Deviation: 80 });
  });

  it('counts the same on embedded ClickHouse as on DuckDB (same plan, the other dialect)', async () => {
    const store = await openStore({ engine: 'duckdb', path: db }, { readOnly: true });
    try {
      const alert = await findAlert(store, alertId);
      const rule = builtinRules().find((r) => r.id === DEFAULT_RULE_ID)!;
      const onDuckDb = await explainAlert(store, rule, alert);
      const onClickHouse = await withQueryEngine(store, 'clickhouse', (sql) => explainAlert({ query: (text) => sql.query(text), engine: 'clickhouse' }, rule, alert));
      expect(onClickHouse.measure).toEqual(onDuckDb.measure);
      expect(onClickHouse.scoring).toEqual(onDuckDb.scoring);
      expect(onClickHouse.stages).toEqual(onDuckDb.stages);
      expect(onDuckDb.measure!.totals.recent).toBe(manifest.episode.pair.ruleRecent);
    } finally {
      await store.close();
    }
  });

  it('explains a rule that reads once and splits the day off with extend/where, counting per source (the shape of smbwatch\'s own SMB rule)', () => {
    const dir = tempDir();
    const rule = join(dir, 'peers.yaml');
    // Not smbwatch's rule: a small one of the same shape. One read of 14 days; `Recent` splits it; the recent side
    // counts per source and destination, then per source; the baseline side comes in through a lookup.
    writeFileSync(
      rule,
      `id: 6b0f8a7e-3c52-4d1a-9e0b-2f4c6d8e0a13
name: Many SMB peers in a day
description: A source reaching 50 or more SMB peers on the last day.
severity: Low
kind: Scheduled
queryFrequency: 1d
queryPeriod: 14d
triggerOperator: gt
triggerThreshold: 0
entityMappings:
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: SrcIpAddr
query: |
  let recentWindow = 1d;
  let smb = _Im_NetworkSession(starttime=ago(14d))
      | where DstPortNumber == 445 and SrcIpAddr != DstIpAddr
      | extend Recent = TimeGenerated >= ago(recentWindow);
  let baseline = smb | where not(Recent) | summarize BaselineSessions = count() by SrcIpAddr;
  smb
  | where Recent
  | summarize Sessions = count() by SrcIpAddr, DstIpAddr
  | summarize RecentSessions = sum(Sessions), Peers = count() by SrcIpAddr
  | lookup kind=leftouter baseline on SrcIpAddr
  | where Peers >= 50
  | project SrcIpAddr, RecentSessions, Peers, BaselineSessions
`,
    );
    const run = runCli(['run', '--db', db, '--rules', rule, '--rule', '6b0f8a7e-3c52-4d1a-9e0b-2f4c6d8e0a13', '--at', '2025-02-19T00:00:00Z', '--output', 'json']);
    expect(run.stderr).toBe('');
    const { alerts } = JSON.parse(run.stdout) as { alerts: Array<{ alertId: string; rows: Array<Record<string, unknown>> }> };
    const episode = manifest.episode;
    const alert = alerts.find((a) => a.rows[0]!['SrcIpAddr'] === episode.ip)!;
    expect(alert).toBeDefined();
    const e = JSON.parse(runCli(['explain', alert.alertId, '--db', db, '--rules', rule, '--output', 'json']).stdout) as Explanation;
    const m = e.measure!;
    // The group is the source alone (stage 6: summarize … by SrcIpAddr); its windows come from `Recent`.
    expect(m.stage).toBe('6');
    expect(m.keys).toEqual({ SrcIpAddr: episode.ip });
    expect(m.windows).toEqual({
      recent: { start: '2025-02-18T00:00:00Z', end: '2025-02-19T00:00:00Z' },
      baseline: { start: '2025-02-05T00:00:00Z', end: '2025-02-18T00:00:00Z' },
    });
    expect(m.totals).toEqual({ recent: episode.pair.ruleRecent, baseline: episode.pair.ruleBaseline, baselineDays: 13 });
    expect(m.series).toHaveLength(14);
    expect(m.series.filter((p) => p.count === 0)).toHaveLength(10);
    expect(m.series.at(-1)).toMatchObject({ window: 'recent', count: episode.pair.ruleRecent, destinations: episode.newDestinations + 1 });
    expect(m.destinationCount).toBe(episode.newDestinations + 1);
    expect(m.newDestinations).toBe(episode.newDestinations);
    expect(m.neverContacted).toBe(episode.newDestinations);
    // The sweep's unanswered attempts: rejected (EventResult Failure) or never answered (a Success in ASIM, no reply).
    expect(m.failures.failed + m.failures.unanswered).toBe(episode.unanswered);
    expect(m.failures.failed).toBeGreaterThan(0);
    expect(m.failures.unanswered).toBeGreaterThan(0);
    expect(e.scoring!.conditions).toEqual([{ stage: '8', predicate: 'Peers >= 50', withValues: `${episode.newDestinations + 1} >= 50` }]);
    expect(e.scoring!.row).toMatchObject({ RecentSessions: episode.pair.ruleRecent, Peers: episode.newDestinations + 1, BaselineSessions: episode.pair.ruleBaseline });

    // The words, from the same figures (what `explain` without --output prints).
    const text = renderExplanationText(e);
    expect(text).toContain(`SrcIpAddr=${episode.ip}: ${episode.pair.ruleRecent} sessions in the recent window [2025-02-18T00:00:00Z, 2025-02-19T00:00:00Z] against a baseline of ${episode.pair.ruleBaseline} sessions in 13 days`);
    expect(text).toContain(`Stage 8 keeps the row: Peers >= 50, here ${episode.newDestinations + 1} >= 50.`);
    expect(text).toMatch(/more got no reply \(DstPackets 0\)/);
  });

  it('shows the row and stage counts for a rule without a counting stage, and refuses unknown ids', () => {
    const dir = tempDir();
    const rule = join(dir, 'licence.yaml');
    writeFileSync(
      rule,
      `id: 5d0c3f7e-2a41-4f5e-8f4c-7c1b0e9d6a21
name: Licence port spike
description: Any session to port 1445.
severity: Low
kind: Scheduled
queryFrequency: 1d
queryPeriod: 1d
triggerOperator: gt
triggerThreshold: 0
eventGroupingSettings:
  aggregationKind: SingleAlert
customDetails:
  Licensee: SrcIpAddr
query: |
  _Im_NetworkSession
  | where DstPortNumber == 1445
  | project SrcIpAddr, DstIpAddr, TimeGenerated
`,
    );
    const run = runCli(['run', '--db', db, '--rules', rule, '--rule', '5d0c3f7e-2a41-4f5e-8f4c-7c1b0e9d6a21', '--at', '2025-02-19T00:00:00Z', '--output', 'json']);
    expect(run.status).toBe(0);
    const { alerts } = JSON.parse(run.stdout) as { alerts: Array<{ alertId: string; rows: unknown[] }> };
    expect(alerts).toHaveLength(1);
    const out = runCli(['explain', alerts[0]!.alertId, '--db', db, '--rules', rule, '--output', 'json']);
    expect(out.stderr).toBe('');
    const e = JSON.parse(out.stdout) as Explanation;
    expect(e.measure).toBeUndefined();
    expect(e.stages.stages.map((s) => s.stage)).toEqual(['1', '2', '3']);
    expect(e.stages.stages[2]!.rowsOut).toBe(alerts[0]!.rows.length);
    const text = runCli(['explain', alerts[0]!.alertId.slice(0, 10), '--db', db, '--rules', rule]);
    expect(text.stdout).toMatch(/Stage counts at 2025-02-19T00:00:00Z/);
    expect(text.stdout).toMatch(/\n  Licensee: 10\.10\.\d+\.\d+/);

    const unknown = runCli(['explain', 'ffffffff', '--db', db]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no alert with id ffffffff/);
    const bad = runCli(['explain', "x' OR 1=1 --", '--db', db]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/not an alert id/);
    const noRule = runCli(['explain', alerts[0]!.alertId, '--db', db]);
    expect(noRule.status).toBe(1);
    expect(noRule.stderr).toMatch(/is not loaded; give its file with --rules/);
  });
});
