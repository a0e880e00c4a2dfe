/**
 * Output hardening: log text an attacker wrote (hostnames here) goes through every way smbwatch shows it — tables,
 * text, CSV, JSON, error messages, the HTML report and the UI — and never drives the terminal, never runs as a
 * spreadsheet formula, never becomes markup, and never makes JSON invalid. Through the real CLI.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUi, type RunningUi } from '../../src/ui/server.js';
import { loadRuleFile } from '../../src/rules/load.js';
import { escapeControls } from '../../src/util/terminal.js';
import { runCli } from '../helpers/cli.js';

/** Hostile hostnames: markup, spreadsheet formulas, terminal escapes (7-bit and 8-bit), a carriage return, bidi. */
const HOSTILE = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '=HYPERLINK("http://evil.example/","open me")',
  "+cmd|' /C calc'!A0",
  '-2+3+cmd',
  '@SUM(1+1)',
  '\u001b]0;owned\u0007\u001b[2J\u001b[31mred',
  '\u009b31mcsi8',
  'safe\rEVIL',
  'txt.\u202eexe.bat',
  'back\b\b\bspace',
];

/** Control and format characters a terminal acts on (tab and line feed aside). */
// eslint-disable-next-line no-control-regex
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const RULE = `id: 0f0e0d0c-0000-4000-8000-0000000e5c4e
name: Hostile hosts
description: One alert per SMB source host.
severity: Low
status: Available
kind: Scheduled
version: 1.0.0
queryFrequency: 1d
queryPeriod: 14d
triggerOperator: gt
triggerThreshold: 0
tactics: [LateralMovement]
relevantTechniques: [T1021.002]
query: |
  ASimNetworkSessionLogs
  | where DstPortNumber == 445
  | summarize Sessions = count() by SrcHostname, SrcIpAddr
customDetails:
  Host: SrcHostname
entityMappings:
  - entityType: Host
    fieldMappings:
      - identifier: HostName
        columnName: SrcHostname
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: SrcIpAddr
eventGroupingSettings:
  aggregationKind: AlertPerResult
`;

const AT = '2024-03-05T00:00:00Z';
let dir: string;
let db: string;
let rule: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'smbwatch-hostile-output-'));
  db = join(dir, 'store.duckdb');
  rule = join(dir, 'rule.yaml');
  const records = HOSTILE.map((host, i) =>
    JSON.stringify({ TimeGenerated: `2024-03-04T09:00:${String(i).padStart(2, '0')}Z`, SrcIpAddr: `10.0.5.${i + 1}`, DstIpAddr: '10.0.1.10', DstPortNumber: 445, SrcHostname: host, EventType: 'NetworkSession' }),
  );
  // A line that is no JSON at all, with raw escape sequences: a reject whose text `rejects` shows.
  writeFileSync(join(dir, 'records.jsonl'), `${records.join('\n')}\n\u001b[2J\u001b]0;owned\u0007 not json\n`);
  writeFileSync(rule, RULE);
  const ingest = runCli(['ingest', '--db', db, '--progress', 'none', join(dir, 'records.jsonl')]);
  expect(ingest.status, ingest.stderr).toBe(0);
  const run = runCli(['run', '--db', db, '--rule', rule, '--at', AT, '--output', 'json']);
  expect(run.status, run.stderr).toBe(0);
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const query = (output: string, kql = 'ASimNetworkSessionLogs | order by TimeGenerated asc | project SrcHostname, SrcIpAddr, Neg = -1, Back = -1d') =>
  runCli(['query', '--db', db, '--at', AT, '--output', output, kql]);

describe('hostile text in output', { timeout: 300_000 }, () => {
  it('tables and text never carry a control character to the terminal', () => {
    const outputs = {
      'query table': query('table'),
      'run table': runCli(['run', '--db', db, '--rule', rule, '--at', AT, '--output', 'table', '--wide']),
      'alerts table': runCli(['alerts', '--db', db, '--wide']),
      'rejects table': runCli(['rejects', '--db', db]),
    };
    for (const [name, result] of Object.entries(outputs)) {
      expect(result.status, `${name}: ${result.stderr}`).toBe(0);
      expect(result.stdout, name).not.toMatch(TERMINAL_CONTROLS);
    }
    // Each hostile value is still recognisable, its controls shown as U+FFFD.
    expect(outputs['query table'].stdout).toContain('<script>alert(1)</script>');
    expect(outputs['query table'].stdout).toContain('\ufffd]0;owned\ufffd\ufffd[2J\ufffd[31mred');
    expect(outputs['query table'].stdout).toContain('txt.\ufffdexe.bat');
    expect(outputs['rejects table'].stdout).toMatch(/not json/);
    const ids = JSON.parse(runCli(['alerts', '--db', db, '--output', 'json']).stdout) as Array<{ alertId: string; customDetails: { Host: string[] } }>;
    expect(ids).toHaveLength(HOSTILE.length);
    for (const alert of ids.filter((each) => TERMINAL_CONTROLS.test(each.customDetails.Host[0]!))) {
      const shown = runCli(['alerts', 'show', '--db', db, alert.alertId]);
      expect(shown.status, shown.stderr).toBe(0);
      expect(shown.stdout).not.toMatch(TERMINAL_CONTROLS);
      expect(shown.stdout).toContain(escapeControls(alert.customDetails.Host[0]!));
    }
  });

  it('JSON output is valid and keeps every value exactly, with no raw control character', () => {
    const json = query('json');
    expect(json.status, json.stderr).toBe(0);
    expect(json.stdout).not.toMatch(TERMINAL_CONTROLS);
    const rows = JSON.parse(json.stdout) as Array<{ SrcHostname: string }>;
    expect(rows.map((row) => row.SrcHostname)).toEqual(HOSTILE);
    const lines = query('jsonl').stdout.trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { SrcHostname: string }).SrcHostname)).toEqual(HOSTILE);
    const alerts = runCli(['alerts', '--db', db, '--output', 'json']);
    expect(alerts.stdout).not.toMatch(TERMINAL_CONTROLS);
    const hosts = (JSON.parse(alerts.stdout) as Array<{ customDetails: { Host: string[] } }>).map((alert) => alert.customDetails.Host[0]);
    expect(hosts.sort()).toEqual([...HOSTILE].sort());
  });

  it('CSV output: text cells a spreadsheet would run as a formula start with a quote; numbers and timespans stay as they are', () => {
    const csv = query('csv');
    expect(csv.status, csv.stderr).toBe(0);
    const [header, ...rows] = parseCsv(csv.stdout, { relax_column_count: false }) as string[][];
    expect(header).toEqual(['SrcHostname', 'SrcIpAddr', 'Neg', 'Back']);
    expect(rows).toHaveLength(HOSTILE.length);
    for (const [index, row] of rows.entries()) {
      const host = row[0]!;
      expect(host).not.toMatch(/^[=+\-@\t\r]/);
      const original = HOSTILE[index]!;
      expect(host).toBe(/^[=+\-@\t\r]/.test(original) ? `'${escapeControls(original)}` : escapeControls(original));
      expect(row.slice(2)).toEqual(['-1', '-1.00:00:00']);
    }
  });

  it('error messages escape what they quote (an input named with escape sequences)', () => {
    const name = join(dir, 'evil\u001b[2J\u001b]0;x\u0007.log');
    writeFileSync(name, 'nothing any format reads\n');
    const ingest = runCli(['ingest', '--db', db, '--progress', 'none', name]);
    expect(ingest.stderr).toContain('evil\\u001b[2J\\u001b]0;x\\u0007.log');
    expect(ingest.stderr + ingest.stdout).not.toMatch(TERMINAL_CONTROLS);
  });

  it('the HTML report and the UI escape every value: no markup of the log reaches a page', async () => {
    const file = join(dir, 'report.html');
    const report = runCli(['report', '--db', db, '--rules', rule, '-o', file]);
    expect(report.status, report.stderr).toBe(0);
    const pages: Record<string, string> = { report: readFileSync(file, 'utf8') };
    const ui: RunningUi = await startUi({ address: { engine: 'duckdb', path: db }, rules: [loadRuleFile(rule)], host: '127.0.0.1', port: 0 });
    try {
      const alerts = JSON.parse(runCli(['alerts', '--db', db, '--output', 'json']).stdout) as Array<{ alertId: string }>;
      pages['ui alerts'] = await (await fetch(ui.url)).text();
      pages['ui alert'] = await (await fetch(new URL(`/alerts/${alerts[0]!.alertId}`, ui.url))).text();
      pages['ui filtered'] = await (await fetch(`${ui.url}?entity=${encodeURIComponent('"><img src=x onerror=alert(1)>')}`)).text();
    } finally {
      await ui.close();
    }
    for (const [name, html] of Object.entries(pages)) {
      expect(html, name).not.toContain('<script>alert(1)');
      expect(html, name).not.toMatch(/<img src=x/);
      expect(html, name).not.toContain('"><img src=x onerror');
    }
    expect(pages.report).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(pages['ui alerts']).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(pages['ui filtered']).toContain('value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"');
  });
});
