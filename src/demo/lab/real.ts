/**
 * Real lateral-movement episodes replayed into lab networks: the SMB records of three public OTRF datasets, as
 * smbwatch's own parsers normalize them, moved in time and onto lab hosts.
 *
 * `real-episodes.json` (beside this module; provenance and licence in `real-episodes.md`) holds those records
 * with their original addresses and times. It is derived from the raw files in test/fixtures/real by
 * `extractRealEpisodes`, and a test checks that it still is. Replaying keeps every recorded detail (sensor,
 * result, bytes, ports, the spacing of the records) and changes only addresses, host names and times.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AsimRecord, Micros } from '../../asim/record.js';
import { ASIM_COLUMN_TYPES, ASIM_TABLE } from '../../asim/schema.js';
import { runIngest } from '../../ingest/run.js';
import { openDuckDbStore } from '../../store/duckdb.js';
import { microsToIso } from '../../util/time.js';
import type { LabCalendar } from './calendar.js';
import type { ReplayPlan } from './episodes.js';

export type RealEpisodeName = 'apt29' | 'purplesharp' | 'covenant';

export interface RealEpisodeFile {
  readonly source: string;
  readonly episodes: Readonly<Record<RealEpisodeName, readonly AsimRecord[]>>;
}

/** The raw files (under test/fixtures/real) each episode is taken from, and which of their records belong to it. */
export const REAL_EPISODE_SOURCES: Readonly<Record<RealEpisodeName, { files: readonly string[]; where: string }>> = {
  apt29: {
    files: ['otrf/apt29-day1-SCRANTON_conn.log', 'otrf/apt29-day1-NASHUA_conn.log'],
    where: `SrcIpAddr IN ('10.0.1.4', '10.0.1.6')`,
  },
  purplesharp: {
    files: ['otrf/purplesharp_ad_playbook_I.zip'],
    where: `SrcIpAddr = '172.18.39.5' AND TimeGenerated >= TIMESTAMP '2020-10-01'`,
  },
  covenant: {
    files: ['otrf/covenant_copy_smb_CreateRequest.zip'],
    where: `SrcIpAddr = '172.18.39.5' AND TimeGenerated < TIMESTAMP '2020-10-01'`,
  },
};

const SMB_RECORDS = `(DstPortNumber IN (139, 445) OR SrcPortNumber IN (139, 445))`;

/**
 * Reads the raw files through smbwatch's ingest (an in-memory store) and keeps each episode's SMB records: every
 * column a parser set, datetimes as microseconds. Records are sorted by time and content, so the result is stable.
 */
export async function extractRealEpisodes(realDir: string): Promise<RealEpisodeFile> {
  const episodes = {} as Record<RealEpisodeName, AsimRecord[]>;
  for (const [name, source] of Object.entries(REAL_EPISODE_SOURCES) as Array<[RealEpisodeName, (typeof REAL_EPISODE_SOURCES)[RealEpisodeName]]>) {
    const store = await openDuckDbStore(':memory:');
    try {
      const result = await runIngest(store, source.files.map((file) => join(realDir, ...file.split('/'))), { parse: {} });
      const failed = result.outcomes.filter((o) => o.status === 'error');
      if (result.errors.length > 0 || failed.length > 0) throw new Error(`cannot read the real episode ${name}: ${JSON.stringify([...result.errors, ...failed])}`);
      const columns = [...ASIM_COLUMN_TYPES].map(([column, type]) => (type === 'datetime' ? `epoch_us("${column}") AS "${column}"` : `"${column}"`));
      const rows = await store.query(`SELECT ${columns.join(', ')} FROM ${ASIM_TABLE} WHERE ${SMB_RECORDS} AND ${source.where}`);
      const records = rows.rows.map((row) => recordOf(rows.columns.map((c) => c.name), row));
      episodes[name] = records.sort(compareRecords);
    } finally {
      await store.close();
    }
  }
  return { source: 'OTRF/Security-Datasets via test/fixtures/real (see real-episodes.md)', episodes };
}

function recordOf(names: readonly string[], row: readonly unknown[]): AsimRecord {
  const record: AsimRecord = {};
  names.forEach((name, i) => {
    const value = row[i];
    if (value === null || value === undefined || value === '') return;
    record[name] = typeof value === 'bigint' ? Number(value) : (value as AsimRecord[string]);
  });
  return record;
}

function compareRecords(a: AsimRecord, b: AsimRecord): number {
  const byTime = Number(a.TimeGenerated) - Number(b.TimeGenerated);
  return byTime !== 0 ? byTime : JSON.stringify(a) < JSON.stringify(b) ? -1 : 1;
}

/** The committed extract, next to this module (or under src/ when running from dist/). */
export function realEpisodesPath(): string {
  const beside = fileURLToPath(new URL('./real-episodes.json', import.meta.url));
  if (existsSync(beside)) return beside;
  return fileURLToPath(new URL('../../../src/demo/lab/real-episodes.json', import.meta.url));
}

export function loadRealEpisodes(): RealEpisodeFile {
  return JSON.parse(readFileSync(realEpisodesPath(), 'utf8')) as RealEpisodeFile;
}

const ADDRESS_COLUMNS = ['SrcIpAddr', 'DstIpAddr', 'DvcIpAddr', 'Src', 'Dst', 'IpAddr'] as const;
const HOSTNAME_COLUMNS = ['SrcHostname', 'DstHostname', 'Dvc', 'DvcHostname', 'SrcFQDN', 'DstFQDN', 'DvcFQDN'] as const;

/**
 * The records of a planned replay: times moved so that the first record falls on the planned office minute,
 * addresses and host names mapped onto the lab's hosts.
 */
export function replayRecords(plan: ReplayPlan, calendar: LabCalendar, file: RealEpisodeFile = loadRealEpisodes()): AsimRecord[] {
  const records = file.episodes[plan.episode];
  const first = Math.min(...records.map((r) => Number(r.TimeGenerated)));
  const shift: Micros = calendar.officeTime(plan.day, plan.minute) - first;
  const names = realHostNames(records, plan);
  return records.map((record) => {
    const moved: AsimRecord = { ...record };
    for (const [column, type] of ASIM_COLUMN_TYPES) if (type === 'datetime' && typeof moved[column] === 'number') moved[column] = (moved[column] as number) + shift;
    for (const column of ADDRESS_COLUMNS) {
      const value = moved[column];
      if (typeof value === 'string' && plan.hosts[value]) moved[column] = plan.hosts[value]!.ip;
    }
    for (const column of HOSTNAME_COLUMNS) {
      const value = moved[column];
      if (typeof value === 'string') moved[column] = names.get(value.toLowerCase()) ?? 'SENSOR01.lab.example';
    }
    return moved;
  });
}

/** Real host names (short or FQDN, any case) → the lab host's name, from the records' own address/name pairs. */
function realHostNames(records: readonly AsimRecord[], plan: ReplayPlan): Map<string, string> {
  const names = new Map<string, string>();
  const add = (name: unknown, address: unknown): void => {
    if (typeof name !== 'string' || typeof address !== 'string' || !plan.hosts[address]?.name) return;
    const lab = `${plan.hosts[address]!.name}.lab.example`;
    names.set(name.toLowerCase(), lab);
    names.set(name.toLowerCase().split('.')[0]!, lab);
  };
  for (const r of records) {
    add(r.SrcHostname, r.SrcIpAddr);
    add(r.DstHostname, r.DstIpAddr);
    // An endpoint sensor names its own host: the client for outbound records, the server for inbound ones.
    const local = r.NetworkDirection === 'Inbound' ? r.DstIpAddr : r.SrcIpAddr;
    if (r.EventType === 'EndpointNetworkSession' || r.EventProduct === 'Windows Firewall') add(r.Dvc, local);
  }
  for (const r of records) {
    // A network sensor names itself: each becomes a lab sensor of its own.
    const dvc = typeof r.Dvc === 'string' ? r.Dvc.toLowerCase() : undefined;
    if (dvc !== undefined && !names.has(dvc)) names.set(dvc, names.get(dvc.split('.')[0]!) ?? `SENSOR${String(names.size + 1).padStart(2, '0')}.lab.example`);
  }
  return names;
}

/** An ASIM JSON line of a record (datetimes as ISO text), as the native ASIM reader takes it. */
export function asimJsonLine(record: AsimRecord): string {
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(record)) {
    out[column] = ASIM_COLUMN_TYPES.get(column) === 'datetime' && typeof value === 'number' ? microsToIso(value) : value;
  }
  return JSON.stringify(out);
}
