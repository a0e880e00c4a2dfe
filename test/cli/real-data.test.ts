/**
 * The foundation's acceptance check: `smbwatch ingest test/fixtures/real` reads every network-session log
 * there (Zeek TSV, Zeek JSON, zipped Zeek, the Windows events in the OTRF zips), rejects nothing, and skips
 * only what is not a network-session log. Expected counts were computed independently of smbwatch: data lines
 * per file with grep/awk (Zeek), and Sysmon EID 3 + WFP 515x events with a separate script (OTRF zips).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { REAL_DATA } from '../helpers/real.js';

const REAL = REAL_DATA;
const tempDir = useTempDir();

const EXPECTED: Record<string, { format: string; records: number }> = {
  'otrf/apt29-day1-NASHUA_conn.log': { format: 'zeek-json', records: 479 },
  'otrf/apt29-day1-SCRANTON_conn.log': { format: 'zeek-json', records: 134 },
  'otrf/lsass01_zeek_logs.zip!conn.log': { format: 'zeek-tsv', records: 112 },
  'stratosphere/002-port-scanning_conn.log': { format: 'zeek-json', records: 4504 },
  'stratosphere/008-zeek-mixed_conn.log.labeled': { format: 'zeek-tsv', records: 5663 },
  'otrf/covenant_copy_smb_CreateRequest.zip!covenant_copy_smb_CreateRequest_2020-09-22145302.json': { format: 'windows-events-jsonl', records: 80 },
  'otrf/purplesharp_ad_playbook_I.zip!purplesharp_ad_playbook_I_2020-10-22042947.json': { format: 'windows-events-jsonl', records: 452 },
};

interface InputJson {
  name: string;
  status: string;
  format?: string;
  records: number;
  rejects: number;
  reason?: string;
}

describe('smbwatch ingest test/fixtures/real', () => {
  it('ingests every network-session log there and rejects nothing', () => {
    const db = join(tempDir(), 'real.duckdb');
    const result = runCli(['ingest', '--db', db, '--output', 'json', REAL]);
    expect(result.status, result.stderr).toBe(0);
    const inputs = (JSON.parse(result.stdout) as { inputs: InputJson[] }).inputs;
    const byName = new Map(inputs.map((input) => [input.name.slice(REAL.length + 1), input]));
    for (const [name, want] of Object.entries(EXPECTED)) {
      expect(byName.get(name), name).toMatchObject({ status: 'ingested', format: want.format, records: want.records, rejects: 0 });
    }
    const others = inputs.filter((input) => !(input.name.slice(REAL.length + 1) in EXPECTED));
    for (const other of others) expect(other.status, `${other.name}: ${other.reason}`).toBe('skipped');
    expect(others.filter((o) => o.name.includes('lsass01_zeek_logs.zip!')).every((o) => /not a network-session log/.test(o.reason ?? ''))).toBe(true);

    const again = JSON.parse(runCli(['ingest', '--db', db, '--output', 'json', REAL]).stdout) as { inputs: InputJson[] };
    expect(again.inputs.filter((input) => input.status === 'ingested')).toEqual([]);
  });
});
