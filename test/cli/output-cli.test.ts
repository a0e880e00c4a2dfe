/**
 * What commands print, as a user sees it: `smbwatch query` tables capped and fitted (empty columns left out,
 * long values cut, the terminal's width), csv/jsonl/json streamed whole, and a reader that stops early (`| head`)
 * ending the command quietly instead of with a stack trace.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AsimRecord } from '../../src/asim/record.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { CLI, runCli, spawn } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { writeStore } from '../run/stores.js';

const tempDir = useTempDir();
const T0 = Date.parse('2024-03-15T00:00:00Z') * 1000;

/** `count` sessions, one a second from T0, from 10.0.0.<i mod 200> to 10.1.0.1:445. */
function sessions(count: number): AsimRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    TimeGenerated: T0 + i * 1_000_000,
    SrcIpAddr: `10.0.0.${i % 200}`,
    DstIpAddr: '10.1.0.1',
    DstPortNumber: 445,
    NetworkProtocol: 'TCP',
  }));
}

async function store(count: number): Promise<string> {
  const db = join(tempDir(), 'store.duckdb');
  await writeStore(db, sessions(count));
  return db;
}

describe('smbwatch query: table output', () => {
  it('shows at most 10,000 rows by default and says how many there were; --max-rows changes the cap', async () => {
    const db = await store(10_005);
    const result = runCli(['query', '--db', db, 'ASimNetworkSessionLogs | project SrcIpAddr, DstPortNumber']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2 + 10_000 + 1);
    expect(lines.at(-1)).toBe('(10,000 of 10,005 rows shown; use take, or --output csv/jsonl)');

    const three = runCli(['query', '--db', db, '--max-rows', '3', 'ASimNetworkSessionLogs | project SrcIpAddr']);
    expect(three.stdout.trimEnd().split('\n').slice(5)).toEqual(['(3 of 10,005 rows shown; use take, or --output csv/jsonl)']);
    const all = runCli(['query', '--db', db, '--max-rows', '0', 'ASimNetworkSessionLogs | project SrcIpAddr']);
    expect(all.stdout.trimEnd().split('\n').at(-1)).toBe('(10,005 rows)');
    const wrong = runCli(['query', '--db', db, '--max-rows', 'many', 'print 1']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('--max-rows');
  });

  it('leaves out the empty columns of the full schema, fits $COLUMNS, and --wide keeps everything', async () => {
    const db = await store(3);
    const narrow = runCli(['query', '--db', db, 'ASimNetworkSessionLogs | take 1'], { COLUMNS: '80' });
    expect(narrow.status).toBe(0);
    const lines = narrow.stdout.trimEnd().split('\n');
    // The record sets TimeGenerated, SrcIpAddr, DstIpAddr, DstPortNumber, NetworkProtocol (and the view's
    // constant-free columns stay empty): only set columns are shown, each line within 80 characters.
    expect(lines[0]).toMatch(/^TimeGenerated\s+NetworkProtocol\s+DstIpAddr\s+DstPortNumber\s+SrcIpAddr$/);
    expect(lines.slice(0, 3).every((line) => line.length <= 80)).toBe(true);
    expect(lines[3]).toBe('(1 row)');
    expect(lines[4]).toMatch(/^\(\d+ empty columns not shown: .*; --wide shows them\)$/);

    const wide = runCli(['query', '--db', db, '--wide', 'ASimNetworkSessionLogs | take 1'], { COLUMNS: '80' });
    const header = wide.stdout.split('\n')[0]!;
    expect(header.length).toBeGreaterThan(1000);
    expect(header).toMatch(/^TimeGenerated\s+Type\s+_ResourceId\s+EventMessage/);
  });
});

describe('smbwatch query: csv, jsonl and json stream every row', () => {
  it('writes all 5,000 rows in each format, the same as a table of them would hold', async () => {
    const db = await store(5_000);
    const kql = 'ASimNetworkSessionLogs | project TimeGenerated, SrcIpAddr | sort by TimeGenerated asc';
    const csv = runCli(['query', '--db', db, '--output', 'csv', kql]).stdout.trimEnd().split('\n');
    expect(csv).toHaveLength(5_001);
    expect(csv.slice(0, 3)).toEqual(['TimeGenerated,SrcIpAddr', '2024-03-15T00:00:00Z,10.0.0.0', '2024-03-15T00:00:01Z,10.0.0.1']);
    expect(csv.at(-1)).toBe('2024-03-15T01:23:19Z,10.0.0.199'); // row 4,999: 4,999 s = 1 h 23 min 19 s; 4,999 mod 200 = 199
    const jsonl = runCli(['query', '--db', db, '--output', 'jsonl', kql]).stdout.trimEnd().split('\n');
    expect(jsonl).toHaveLength(5_000);
    expect(JSON.parse(jsonl[4_999]!)).toEqual({ TimeGenerated: '2024-03-15T01:23:19Z', SrcIpAddr: '10.0.0.199' });
    const json = JSON.parse(runCli(['query', '--db', db, '--output', 'json', kql]).stdout) as unknown[];
    expect(json).toHaveLength(5_000);
    expect(json[0]).toEqual({ TimeGenerated: '2024-03-15T00:00:00Z', SrcIpAddr: '10.0.0.0' });
    // An empty result is an empty array.
    expect(runCli(['query', '--db', db, '--output', 'json', `${kql} | take 0`]).stdout).toBe('[]\n');
  });

  it('the store hands the rows over in batches, never all at once', async () => {
    const db = await store(5_000);
    const opened = await openDuckDbStore(db);
    try {
      const counts: number[] = [];
      for await (const batch of opened.queryBatches('SELECT * FROM ASimNetworkSessionLogs')) counts.push(batch.count);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(5_000);
      expect(counts.length).toBeGreaterThan(1);
      expect(Math.max(...counts)).toBeLessThanOrEqual(2_048); // DuckDB's vector size
    } finally {
      await opened.close();
    }
  });
});

/** Runs the CLI with stdout closed right away (a reader that left): status and stderr. */
function withClosedStdout(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.destroy();
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('a reader that stops early (| head)', () => {
  it('help ends quietly, status 0', async () => {
    const { code, stderr } = await withClosedStdout(['help', 'run']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('every way commands print ends quietly, status 0: plain text, tables, lists of rules, inputs, alerts, errors on stderr', async () => {
    const db = await store(500);
    const cases: string[][] = [
      ['--help'],
      ['formats'],
      ['rules', '--output', 'json'],
      ['status', '--db', db],
      ['inputs', '--db', db],
      ['run', '--db', db, '--at', '2024-03-16T00:00:00Z', '--dry-run'],
      ['alerts', '--db', db, '--output', 'jsonl'],
      ['query', '--db', db, 'ASimNetworkSessionLogs | take 500'],
    ];
    // One after the other: the commands share one store.
    const results: Array<{ code: number | null; stderr: string }> = [];
    for (const args of cases) results.push(await withClosedStdout(args));
    expect(results.map((result, index) => ({ args: cases[index], ...result }))).toEqual(cases.map((args) => ({ args, code: 0, stderr: '' })));
  }, 120_000);

  it('a streamed query ends quietly, status 0', async () => {
    const db = await store(5_000);
    const { code, stderr } = await withClosedStdout(['query', '--db', db, '--output', 'csv', 'ASimNetworkSessionLogs']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
