/**
 * Hostile text through the paths that reach SQL from outside the KQL source (test/kql/escaping.test.ts covers
 * literals written in KQL): `--param` values, and log field values that end up in alerts. Each goes through
 * the real CLI on both engines and must come back as the same plain data — quotes, backslashes, `--`, `/*`,
 * confusable quotes, control characters and NULs included.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();

export const INJECTION_CORPUS = [
  "'; DROP TABLE smbwatch_sessions; --",
  "\\'); SELECT 1; --",
  '" OR 1=1 --',
  "*/ SELECT 1 /*",
  'a\\',
  '\\\\server\\ADMIN$',
  'ʼ＇‘’″ confusable quotes',
  '%_[] LIKE and regex .*+?^${}()|',
  '\u0007\u001b[31mred\u001b[0m',
  'null\u0000byte',
  '🙂 ünïcödé 𝄞',
];

const RULE = `id: 0f0e0d0c-0000-4000-8000-00000000babe
name: Parameter echo
description: Echoes its parameter into a result column and a custom detail.
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
  let who = "nobody";
  ASimNetworkSessionLogs
  | where DstPortNumber == 445 and SrcHostname != who
  | summarize Sessions = count() by SrcHostname
  | extend Echo = who
customDetails:
  Echo: Echo
  Host: SrcHostname
eventGroupingSettings:
  aggregationKind: AlertPerResult
`;

/** ASIM JSON lines whose SrcHostname is a corpus entry. */
function hostileRecords(): string {
  return INJECTION_CORPUS.map((value, i) =>
    JSON.stringify({ TimeGenerated: `2024-03-04T09:00:${String(i).padStart(2, '0')}Z`, SrcIpAddr: `10.0.5.${i + 1}`, DstIpAddr: '10.0.1.10', DstPortNumber: 445, SrcHostname: value, EventType: 'NetworkSession' }),
  ).join('\n');
}

describe('injection corpus on both engines', () => {
  const setup = () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'records.jsonl'), `${hostileRecords()}\n`);
    writeFileSync(join(dir, 'rule.yaml'), RULE);
    const db = join(dir, 'store.duckdb');
    const ingest = runCli(['ingest', '--db', db, '--progress', 'none', join(dir, 'records.jsonl')]);
    expect(ingest.status, ingest.stderr).toBe(0);
    return { dir, db, rule: join(dir, 'rule.yaml') };
  };

  it.each(['duckdb', 'clickhouse'])('log values containing SQL and control text become alert data unchanged (%s)', { timeout: 300_000 }, (engine) => {
    const { db, rule } = setup();
    const run = runCli(['run', '--db', db, '--rule', rule, '--at', '2024-03-05T00:00:00Z', '--engine', engine, '--output', 'json']);
    expect(run.status, run.stderr).toBe(0);
    const alerts = JSON.parse(run.stdout) as { alerts?: Array<{ customDetails: Record<string, unknown> }> } | Array<{ customDetails: Record<string, unknown> }>;
    const list = Array.isArray(alerts) ? alerts : (alerts.alerts ?? []);
    const hosts = list.map((alert) => JSON.stringify(alert.customDetails.Host)).sort();
    const expected = INJECTION_CORPUS.filter((value) => !value.includes('\u0000')).map((value) => JSON.stringify([value])).sort();
    for (const value of expected) expect(hosts).toContain(value);
    const stored = runCli(['query', '--db', db, '--at', '2024-03-05T00:00:00Z', '--output', 'json', 'ASimNetworkSessionLogs | summarize n = count()']);
    expect(stored.status, stored.stderr).toBe(0);
    expect(stored.stdout).toMatch(new RegExp(`"n":\\s*${INJECTION_CORPUS.length}`));
  });

  it.each(['duckdb', 'clickhouse'])('--param values are KQL string values, compared as data (%s)', { timeout: 300_000 }, (engine) => {
    const { db, rule } = setup();
    // The most hostile of the corpus (each value is a run of the CLI): quotes, backslashes, comments, confusables, escapes.
    for (const value of [INJECTION_CORPUS[0]!, INJECTION_CORPUS[1]!, INJECTION_CORPUS[3]!, INJECTION_CORPUS[6]!, INJECTION_CORPUS[8]!]) {
      const run = runCli(['run', '--db', db, '--rule', rule, '--at', '2024-03-05T00:00:00Z', '--engine', engine, '--output', 'json', '--param', `who=${value}`]);
      if (/[\u0000-\u001f]/.test(value)) {
        // Control characters are refused outright, with the reason (they have no business in a parameter).
        expect(run.status).toBe(2);
        expect(run.stderr).toMatch(/string parameters cannot hold control characters/);
        continue;
      }
      expect(run.status, `${value}: ${run.stderr}`).toBe(0);
      const echoed = [...run.stdout.matchAll(/"Echo":\s*(\[[^\]]*\]|"(?:[^"\\]|\\.)*")/g)].map((match) => JSON.parse(match[1]!) as unknown);
      expect(echoed.length, value).toBeGreaterThanOrEqual(INJECTION_CORPUS.length - 1); // one alert per other host
      for (const echo of echoed) expect(Array.isArray(echo) ? echo[0] : echo).toBe(value);
    }
  });
});
