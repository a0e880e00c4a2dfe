/**
 * `smbwatch rules show`: the catalog page derived from the compiled IR. For the seed rule it must read like the
 * seed rule's catalog page: 8 stages, 4 indicators, 4 output fields (seed-rule.md §2–§3 for what each means).
 * A rule of another shape checks that nothing here is specific to the seed rule; live figures are checked against
 * the rule's own run over a store.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogPage } from '../../src/catalog/page.js';
import { allStages } from '../../src/catalog/pipeline.js';
import { builtinRules, DEFAULT_RULE_ID, parseRule } from '../../src/rules/load.js';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { zeekConnTsv } from '../helpers/zeek.js';

const tempDir = useTempDir();
const seedRule = () => builtinRules().find((r) => r.id === DEFAULT_RULE_ID)!;

describe('the seed rule catalog page', { timeout: 240_000 }, () => {
  const page = catalogPage(seedRule());

  it('has the main pipeline of 8 stages, the recent side numbered under the join', () => {
    expect(page.pipeline.stages.map((s) => [s.number, s.kind])).toEqual([
      ['1', 'source'], ['2', 'where'], ['3', 'summarize'], ['4', 'summarize'], ['5', 'join'], ['6', 'extend'], ['7', 'where'], ['8', 'project'],
    ]);
    const join = page.pipeline.stages[4]!;
    expect(join.inputs[0]!.stages.map((s) => [s.number, s.kind])).toEqual([['5.1', 'source'], ['5.2', 'where'], ['5.3', 'summarize']]);
    expect(join.kql).toBe('join kind=inner (stages 5.1–5.3) on SrcIpAddr, DstPortNumber');
    // The two reads of _Im_NetworkSession: the baseline [ago(14d), ago(1d)] and the recent day [ago(1d), now()].
    expect(page.pipeline.stages[0]!.kql).toBe('ASimNetworkSessionLogs | where TimeGenerated between (ago(14d) .. ago(1d))');
    expect(join.inputs[0]!.stages[0]!.kql).toBe('ASimNetworkSessionLogs | where TimeGenerated between (ago(1d) .. now())');
    expect(page.pipeline.stages[1]!.kql).toBe('where ipv4_is_private(SrcIpAddr) and tostring(DstPortNumber) has_any ("139", "445") and SrcIpAddr != DstIpAddr');
    expect(page.pipeline.stages[3]!.kql).toBe('summarize AvgCount = avg(Count) by SrcIpAddr, DstPortNumber');
    expect(page.pipeline.stages[5]!.kql).toBe('extend Deviation = abs(RecentCount - AvgCount) / AvgCount');
    expect(page.pipeline.stages[6]!.kql).toBe('where Deviation > 50');
    expect(page.pipeline.stages[7]!.kql).toBe('project SrcIpAddr, DstPortNumber, Deviation, Count = RecentCount');
    // The rule's own words for each stage, and the let each comes from.
    expect(page.pipeline.stages.map((s) => s.let ?? null)).toEqual(['userBaseline', 'userBaseline', 'userBaseline', 'userBaseline', 'UserBehaviorAnalysis', 'UserBehaviorAnalysis', null, null]);
    expect(join.inputs[0]!.stages.map((s) => s.let)).toEqual(['recentUserActivity', 'recentUserActivity', 'recentUserActivity']);
    expect(page.pipeline.stages[0]!.text).toBe('_Im_NetworkSession(starttime=ago(starttime), endtime=ago(endtime))');
    expect(page.pipeline.stages[6]!.text).toBe('where Deviation > threshold');
    expect(join.text).toBe('join kind=inner (recentUserActivity) on SrcIpAddr, DstPortNumber');
  });

  it('has the 4 indicators: Deviation gt; DstPortNumber match; SrcIpAddr cidr_match; SrcIpAddr ne', () => {
    expect(page.indicators.map((i) => ({ field: i.field, kind: i.kind, values: i.values, stages: i.stages }))).toEqual([
      { field: 'Deviation', kind: 'gt', values: ['50'], stages: ['7'] },
      { field: 'DstPortNumber', kind: 'match', values: ['139', '445'], stages: ['2', '5.2'] },
      { field: 'SrcIpAddr', kind: 'cidr_match', values: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'], stages: ['2', '5.2'] },
      { field: 'SrcIpAddr', kind: 'ne', values: ['DstIpAddr'], stages: ['2', '5.2'] },
    ]);
    expect(page.indicators[3]!.valuesAre).toBe('fields');
  });

  it('has the 4 output fields with the stage producing each', () => {
    expect(page.outputFields.map((f) => [f.name, f.type, f.stage, f.expression ?? null])).toEqual([
      ['SrcIpAddr', 'string', '1', null],
      ['DstPortNumber', 'int', '1', null],
      ['Deviation', 'real', '6', 'abs(RecentCount - AvgCount) / AvgCount'],
      ['Count', 'long', '8', 'RecentCount'],
    ]);
  });

  it('lists parameters, lets with what they derive from, MITRE, schedule, trigger and entities', () => {
    expect(page.parameters.map((p) => [p.name, p.value])).toEqual([['threshold', '50'], ['starttime', '14d'], ['endtime', '1d'], ['SMBPorts', 'dynamic(["139", "445"])']]);
    const lets = Object.fromEntries(page.lets.map((l) => [l.name, l]));
    expect(lets['userBaseline']).toMatchObject({ kind: 'tabular', derivesFrom: ['starttime', 'endtime', 'SMBPorts'], reads: ['_Im_NetworkSession'], columns: ['SrcIpAddr', 'DstPortNumber', 'AvgCount'] });
    expect(lets['UserBehaviorAnalysis']).toMatchObject({ derivesFrom: ['userBaseline', 'recentUserActivity'], reads: [] });
    expect(lets['userBaseline']!.kql).not.toContain('//');
    expect(page.mitre).toEqual({ tactics: ['LateralMovement'], techniques: ['T1021', 'T1021.002'] });
    expect(page.schedule).toMatchObject({ queryFrequency: '1d', queryPeriod: '14d', suppression: null });
    expect(page.trigger).toEqual({ operator: 'gt', threshold: 0, aggregationKind: 'AlertPerResult' });
    expect(page.entities).toEqual([{ type: 'IP', fields: [{ identifier: 'Address', column: 'SrcIpAddr' }] }]);
  });

  it('follows a parameter override into the stages and indicators (v1.0.1 is threshold=0.5)', () => {
    const v101 = catalogPage(seedRule(), { threshold: '0.5' });
    expect(v101.pipeline.stages[6]!.kql).toBe('where Deviation > 0.5');
    expect(v101.indicators[0]).toMatchObject({ field: 'Deviation', kind: 'gt', values: ['0.5'] });
    expect(v101.parameters[0]).toMatchObject({ name: 'threshold', value: '0.5', defaultText: '50' });
  });
});

const FANOUT = `id: 0b7e3a52-6b1e-4c55-9a43-3d7c1f0e2a10
name: SMB fan-out
description: A source reaching many SMB hosts, excluding the backup server.
severity: High
kind: Scheduled
queryFrequency: 1h
queryPeriod: 1h
triggerOperator: gt
triggerThreshold: 0
tactics: [LateralMovement, Discovery]
relevantTechniques: [T1021.002]
entityMappings:
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: SrcIpAddr
query: |
  let ports = dynamic([445]);
  let backup = "10.0.0.9";
  ASimNetworkSessionLogs
  | where TimeGenerated > ago(1h)
  | where DstPortNumber in (ports) and SrcIpAddr != backup and not(DstIpAddr startswith "192.168.")
  | summarize Hosts = dcount(DstIpAddr), Sessions = count() by SrcIpAddr
  | where Hosts >= 10 or Sessions > 1000
  | extend Ratio = Sessions / Hosts
  | top 5 by Hosts desc
`;

describe('a catalog page for a rule of another shape', { timeout: 240_000 }, () => {
  it('numbers its stages, finds its indicators and the origin of its outputs', () => {
    const page = catalogPage(parseRule(FANOUT, 'fanout.yaml'));
    // The look-back is the source's window; the query's own `TimeGenerated > ago(1h)` is a stage, but a time window
    // rather than an indicator.
    expect(page.pipeline.stages.map((s) => s.kind)).toEqual(['source', 'where', 'where', 'summarize', 'where', 'extend', 'sort', 'take']);
    expect(page.pipeline.stages[0]!.kql).toBe('ASimNetworkSessionLogs | where TimeGenerated between (ago(1h) .. now())');
    expect(page.pipeline.stages[1]!.kql).toBe('where TimeGenerated > ago(1h)');
    expect(page.pipeline.stages[2]!.kql).toBe('where DstPortNumber in (445) and SrcIpAddr != "10.0.0.9" and DstIpAddr !startswith "192.168."');
    expect(page.pipeline.stages[2]!.text).toBe('where DstPortNumber in (ports) and SrcIpAddr != backup and not(DstIpAddr startswith "192.168.")');
    expect(page.indicators.map((i) => [i.field, i.kind, i.values.join(',')])).toEqual([
      ['DstIpAddr', 'not_match', '192.168.'],
      ['DstPortNumber', 'in', '445'],
      ['Hosts', 'ge', '10'],
      ['Sessions', 'gt', '1000'],
      ['SrcIpAddr', 'ne', '10.0.0.9'],
    ]);
    expect(page.outputFields.map((f) => [f.name, f.stage, f.expression ?? null])).toEqual([
      ['SrcIpAddr', '1', null],
      ['Hosts', '4', 'dcount(DstIpAddr)'],
      ['Sessions', '4', 'count()'],
      ['Ratio', '6', 'Sessions / Hosts'],
    ]);
    expect(page.mitre.tactics).toEqual(['LateralMovement', 'Discovery']);
    expect(allStages(page.pipeline)).toHaveLength(8);
  });
});

const SPLIT = `id: 6b0f8a7e-3c52-4d1a-9e0b-2f4c6d8e0a13
name: Many SMB peers in a day
description: One read of 14 days split by a computed column; the baseline joined in with lookup.
severity: Low
kind: Scheduled
queryFrequency: 1d
queryPeriod: 14d
triggerOperator: gt
triggerThreshold: 0
query: |
  let smb = _Im_NetworkSession(starttime=ago(14d))
      | where DstPortNumber == 445
      | extend Recent = TimeGenerated >= ago(1d);
  let baseline = smb | where not(Recent) | summarize BaselineSessions = count() by SrcIpAddr;
  smb
  | where Recent
  | summarize Sessions = count(), Peers = dcount(DstIpAddr) by SrcIpAddr
  | lookup kind=leftouter baseline on SrcIpAddr
  | extend Wide = Peers >= 50 or Sessions > 1000
  | where Wide
  | project SrcIpAddr, Sessions, Peers, BaselineSessions
`;

describe('a catalog page with lookup', { timeout: 240_000 }, () => {
  it('shows a lookup as one stage (not a join and a projection) and a project that keeps every column as a project', () => {
    const page = catalogPage(parseRule(SPLIT, 'split.yaml'));
    expect(page.pipeline.stages.map((s) => [s.number, s.kind])).toEqual([
      ['1', 'source'], ['2', 'where'], ['3', 'extend'], ['4', 'where'], ['5', 'summarize'], ['6', 'lookup'], ['7', 'extend'], ['8', 'where'], ['9', 'project'],
    ]);
    const lookup = page.pipeline.stages[5]!;
    expect(lookup.kql).toBe('lookup kind=leftouter (stages 6.1–6.5) on SrcIpAddr');
    expect(lookup.text).toBe('lookup kind=leftouter baseline on SrcIpAddr');
    expect(lookup.inputs[0]!.stages.map((s) => s.kql).slice(3)).toEqual(['where not(Recent)', 'summarize BaselineSessions = count() by SrcIpAddr']);
    expect(page.pipeline.stages[8]!.kql).toBe('project SrcIpAddr, Sessions, Peers, BaselineSessions');
    expect(page.outputFields.map((f) => [f.name, f.stage])).toEqual([['SrcIpAddr', '1'], ['Sessions', '5'], ['Peers', '5'], ['BaselineSessions', '6.5']]);
  });

  it('reads a test of a computed flag as its definition: `where Recent` is a time window, `where Wide` its conditions', () => {
    const page = catalogPage(parseRule(SPLIT, 'split.yaml'));
    expect(page.indicators.map((i) => [i.field, i.kind, i.values.join(','), i.stages.join(',')])).toEqual([
      ['DstPortNumber', 'eq', '445', '2,6.2'],
      ['Peers', 'ge', '50', '8'],
      ['Sessions', 'gt', '1000', '8'],
    ]);
  });
});

describe('smbwatch rules show (CLI)', { timeout: 240_000 }, () => {
  it('prints the page as text, Markdown and JSON; JSON is versioned', () => {
    const text = runCli(['rules', 'show', DEFAULT_RULE_ID]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^Anomaly in SMB Traffic\(ASIM Network Session schema\) v1\.0\.0/);
    expect(text.stdout).toMatch(/Indicators[^\n]*\n[^\n]*\n[^\n]*\n\s+Deviation\s+gt\s+>\s+50\s+7\n\s+DstPortNumber\s+match\s+has_any\s+139, 445/);
    const markdown = runCli(['rules', 'show', DEFAULT_RULE_ID, '--output', 'markdown']);
    expect(markdown.stdout).toContain('| 5 | join | UserBehaviorAnalysis | `join kind=inner (stages 5.1–5.3) on SrcIpAddr, DstPortNumber` |');
    // A `|` of KQL is escaped even in a code span, or GFM would split the cell: every row has its header's cells.
    expect(markdown.stdout).toContain('| 1 | source | userBaseline | `ASimNetworkSessionLogs \\| where TimeGenerated between (ago(14d) .. ago(1d))` |');
    let cells = 0;
    for (const line of markdown.stdout.split('\n')) {
      if (!line.startsWith('|')) {
        cells = 0;
        continue;
      }
      const count = line.split(/(?<!\\)\|/).length;
      if (cells === 0) cells = count;
      expect(count, line).toBe(cells);
    }
    const json = JSON.parse(runCli(['rules', 'show', DEFAULT_RULE_ID, '--output', 'json']).stdout) as Record<string, unknown>;
    expect(json['format']).toBe('smbwatch.catalog/1');
    expect(Object.keys(json)).toEqual(['format', 'rule', 'mitre', 'schedule', 'trigger', 'entities', 'customDetails', 'overrides', 'parameters', 'lets', 'pipeline', 'indicators', 'outputFields']);
  });

  it('counts rows in and out of each stage at --at over a store, and they chain', () => {
    const dir = tempDir();
    // 30 SMB sessions from 10.0.5.21 on 2024-03-04: the recent day of a run at 2024-03-05T00:00:00Z.
    writeFileSync(join(dir, 'conn.log'), zeekConnTsv(30));
    const db = join(dir, 's.duckdb');
    expect(runCli(['ingest', join(dir, 'conn.log'), '--db', db, '--progress', 'none']).status).toBe(0);
    const out = runCli(['rules', 'show', DEFAULT_RULE_ID, '--db', db, '--at', '2024-03-05T00:00:00Z', '--output', 'json']);
    expect(out.stderr).toBe('');
    const live = (JSON.parse(out.stdout) as { live: { at: string; stages: Array<{ stage: string; rowsIn?: number[]; rowsOut: number }> } }).live;
    expect(live.at).toBe('2024-03-05T00:00:00.000Z');
    const by = Object.fromEntries(live.stages.map((s) => [s.stage, s]));
    // Nothing in the baseline, all 30 in the recent day, one group there; the inner join keeps nothing.
    expect(by['1']!.rowsOut).toBe(0);
    expect(by['5.1']!.rowsOut).toBe(30);
    expect(by['5.2']).toEqual({ stage: '5.2', rowsIn: [30], rowsOut: 30 });
    expect(by['5.3']).toEqual({ stage: '5.3', rowsIn: [30], rowsOut: 1 });
    expect(by['5']).toEqual({ stage: '5', rowsIn: [0, 1], rowsOut: 0 });
    expect(by['8']!.rowsOut).toBe(0);
    const text = runCli(['rules', 'show', DEFAULT_RULE_ID, '--db', db, '--at', '2024-03-05T00:00:00Z']);
    expect(text.stdout).toMatch(/Live figures at 2024-03-05T00:00:00.000Z/);
    expect(text.stdout).toMatch(/5\.3\s+summarize\s+recentUserActivity\s+summarize StartTimeUtc[^\n]+\s30\s+1\n/);
  });

  it('refuses an unknown rule (2) and a missing store (1)', () => {
    const unknown = runCli(['rules', 'show', 'no-such-rule']);
    expect(unknown.status).toBe(2);
    const missing = runCli(['rules', 'show', DEFAULT_RULE_ID, '--db', join(tempDir(), 'none.duckdb'), '--at', '2024-03-05T00:00:00Z']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no store at/);
  });
});
