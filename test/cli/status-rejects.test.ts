/**
 * What `status` and `rejects` tell a user about a store: each source with its own time span (a sensor that
 * stopped, or a log read in the wrong zone, shows up beside the others), and the rejects' total with a count per
 * kind of reason before the first --limit are listed.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/ingest/run.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { runCli } from '../helpers/cli.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const fixture = (path: string): string => fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url));
let db = '';

beforeAll(async () => {
  db = join(mkdtempSync(join(tmpdir(), 'smbwatch-test-')), 'store.duckdb');
  const store = await openDuckDbStore(db);
  try {
    // Zeek in March 2024 (4 records, 8 rejects), ASIM records of July 2023 without a vendor (4 records, 4 rejects).
    await runIngest(store, [fixture('zeek/conn-basic.log'), fixture('zeek/conn-rejects.json'), fixture('asim/sessions.jsonl')], { parse: {} });
  } finally {
    await store.close();
  }
}, 120_000);

describe('smbwatch status', () => {
  it('lists each source with its records and their time span', () => {
    const result = runCli(['status', '--db', db]);
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.slice(-4)).toEqual([
      'vendor     product  event type  records  first                        last',
      '---------  -------  ----------  -------  ---------------------------  ---------------------------',
      '                                      4  2023-07-05T12:16:44.000000Z  2023-07-05T14:16:44.756123Z',
      'Corelight  Zeek     Flow              4  2024-03-04T09:00:01.100000Z  2024-03-04T09:00:03.000001Z',
    ]);
  });
});

describe('smbwatch rejects', () => {
  it('says the total and a count per kind of reason (values blanked), then lists the first --limit', () => {
    const result = runCli(['rejects', '--db', db, '--limit', '3']);
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('12 rejected records in 2 inputs, by reason:');
    // One line per format, field and reason; the value that failed is …, so the same mistake counts together.
    expect(result.stdout).toMatch(/^ +1 {2}zeek-json +id\.resp_p +id\.resp_p: … is not a port number \(0-65535\)$/m);
    expect(result.stdout).toMatch(/^ +1 {2}asim-jsonl +DstPortNumber +DstPortNumber: … is not an int \(32-bit\)$/m);
    const kinds = lines.slice(4, lines.indexOf('', 4));
    expect(kinds.reduce((sum, line) => sum + Number(line.trim().split(/\s+/)[0]), 0)).toBe(12);
    expect(kinds.every((line) => !/"[^"]*"/.test(line))).toBe(true);
    expect(lines.filter((line) => line.includes('/fixtures/'))).toHaveLength(3);
    expect(lines.at(-1)).toBe('3 of 12 shown (--limit 0 shows all, --output jsonl writes them whole)');
  });

  it('counts the same kind of mistake together', () => {
    const result = runCli(['rejects', '--db', db, '--input', 'sessions.jsonl', '--limit', '0']);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('4 rejected records of inputs whose name contains "sessions.jsonl" in 1 input, by reason:');
    expect(lines.at(-1)).toBe('All 4 shown.');
  });

  it('says when there are none', () => {
    const result = runCli(['rejects', '--db', db, '--input', 'no-such-input']);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('No rejected records of inputs whose name contains "no-such-input".\n');
  });
});
