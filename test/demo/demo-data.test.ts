/**
 * The demo data set, generated small and ingested through the real ingest path into a real DuckDB store:
 * the manifest must describe what is in the store, the office must keep office hours, and the seed rule —
 * as hand-written SQL (seed-rule-oracle.sql) — must return what the manifest promises.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { DemoManifest, PlantedCase, PlantedPair } from '../../src/demo/manifest.js';
import { generateDemoData, logsDirOf } from '../../src/demo/generate.js';
import { DEMO_EVALUATION_TIME, MICROS_PER_DAY, MICROS_PER_HOUR } from '../../src/demo/period.js';
import { runIngest, type IngestRunResult } from '../../src/ingest/run.js';
import { openDuckDbStore, type DuckDbStore } from '../../src/store/duckdb.js';
import { quoteString } from '../../src/store/sql.js';
import { isoToMicros } from '../../src/util/time.js';
import { seedRuleOracle, type OracleRow } from './oracle.js';

const T = DEMO_EVALUATION_TIME;
let dir: string;
let manifest: DemoManifest;
let store: DuckDbStore;
let ingest: IngestRunResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smbwatch-demo-test-'));
  manifest = await generateDemoData(dir, { seed: 11, workstations: 40 });
  store = await openDuckDbStore(join(dir, 'demo.duckdb'));
  ingest = await runIngest(store, [logsDirOf(dir)], { parse: {} });
}, 300_000);

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function scalar(sql: string): Promise<number> {
  const result = await store.query(sql);
  return Number(result.rows[0]![0]);
}

/** TimeGenerated literal for an instant in microseconds. */
const at = (micros: number): string => `make_timestamp(${micros})`;

function planted(id: string): PlantedCase {
  const found = manifest.cases.find((c) => c.id === id);
  if (!found) throw new Error(`no case ${id}`);
  return found;
}

function rowFor(rows: readonly OracleRow[], pair: Pick<PlantedPair, 'srcIpAddr' | 'dstPortNumber'>): OracleRow | undefined {
  return rows.find((r) => r.SrcIpAddr === pair.srcIpAddr && r.DstPortNumber === pair.dstPortNumber);
}

/** Records of a (source, port) pair in [from, to], both included. */
function pairCount(src: string, port: number, from: number, to: number): Promise<number> {
  return scalar(
    `SELECT count(*) FROM ASimNetworkSessionLogs WHERE SrcIpAddr = ${quoteString(src)} AND DstPortNumber = ${port} ` +
      `AND TimeGenerated BETWEEN ${at(from)} AND ${at(to)}`,
  );
}

describe('demo data in the store', () => {
  it('ingests every file cleanly through the Zeek TSV source', async () => {
    expect(ingest.errors).toEqual([]);
    expect(ingest.outcomes).toHaveLength(manifest.totals.files);
    for (const outcome of ingest.outcomes) {
      expect([outcome.name, outcome.status, outcome.format, outcome.rejects]).toEqual([outcome.name, 'ingested', 'zeek-tsv', 0]);
    }
    expect(await scalar('SELECT count(*) FROM ASimNetworkSessionLogs')).toBe(manifest.totals.sessions);
  });

  it('holds the episode as the manifest says: a tiny SMB baseline, then a fan-out to hosts never contacted', async () => {
    const episode = manifest.episode;
    const base = await pairCount(episode.ip, 445, T - 14 * MICROS_PER_DAY, T - MICROS_PER_DAY);
    const recent = await pairCount(episode.ip, 445, T - MICROS_PER_DAY, T);
    expect([base, recent]).toEqual([episode.pair.baseline, episode.pair.recent]);
    expect(base).toBe(3);
    expect(recent).toBeGreaterThan(51 * base);
    const src = quoteString(episode.ip);
    const start = at(isoToMicros(episode.start)!);
    const end = at(isoToMicros(episode.end)!);
    const fresh = await scalar(
      `SELECT count(DISTINCT DstIpAddr) FROM ASimNetworkSessionLogs WHERE SrcIpAddr = ${src} AND DstPortNumber = 445 ` +
        `AND TimeGenerated BETWEEN ${start} AND ${end} AND DstIpAddr NOT IN ` +
        `(SELECT DstIpAddr FROM ASimNetworkSessionLogs WHERE SrcIpAddr = ${src} AND TimeGenerated < ${start})`,
    );
    expect(fresh).toBe(episode.newDestinations);
    expect(fresh).toBeGreaterThanOrEqual(40);
    const spike = await scalar(
      `SELECT count(*) FROM ASimNetworkSessionLogs WHERE SrcIpAddr = ${src} AND DstIpAddr = ${quoteString(episode.share)} ` +
        `AND DstPortNumber = 445 AND TimeGenerated BETWEEN ${start} AND ${end}`,
    );
    expect(spike).toBe(episode.spikeToShare);
  });

  it('has the boundary records at exactly T−14d, T−1d and T, and records after T only in the hour after it', async () => {
    expect(manifest.boundaryRecords.map((r) => [r.at, r.tsMicros])).toEqual([
      ['T-14d', T - 14 * MICROS_PER_DAY],
      ['T-1d', T - MICROS_PER_DAY],
      ['T', T],
    ]);
    for (const record of manifest.boundaryRecords) {
      const found = await scalar(
        `SELECT count(*) FROM ASimNetworkSessionLogs WHERE TimeGenerated = ${at(record.tsMicros)} ` +
          `AND SrcIpAddr = ${quoteString(record.srcIpAddr)} AND DstIpAddr = ${quoteString(record.dstIpAddr)} AND DstPortNumber = ${record.dstPortNumber}`,
      );
      expect([record.caseId, found]).toEqual([record.caseId, 1]);
      // Nothing else sits exactly on a boundary: the edge case alone decides what the boundary does.
      expect(await scalar(`SELECT count(*) FROM ASimNetworkSessionLogs WHERE TimeGenerated = ${at(record.tsMicros)}`)).toBe(1);
    }
    const afterNow = planted('after-now').pairs[0]!;
    expect(await pairCount(afterNow.srcIpAddr, 445, T + 1, T + MICROS_PER_HOUR)).toBe(80);
    expect(afterNow.afterNow).toBe(80);
    expect(await scalar(`SELECT count(*) FROM ASimNetworkSessionLogs WHERE TimeGenerated > ${at(T)}`)).toBe(manifest.totals.afterNow);
    expect(await scalar(`SELECT count(*) FROM ASimNetworkSessionLogs WHERE TimeGenerated >= ${at(T + MICROS_PER_HOUR)}`)).toBe(0);
  });

  it('keeps the odd sources verbatim: a CIDR-suffixed address, an IPv6 address, a public address', async () => {
    for (const id of ['cidr-suffix', 'ipv6-source', 'public-source']) {
      const pair = planted(id).pairs[0]!;
      expect(pair.baseline).toBeGreaterThan(0);
      const stored = await pairCount(pair.srcIpAddr, 445, T - 15 * MICROS_PER_DAY, T);
      expect([id, stored]).toEqual([id, pair.baseline + pair.recent]);
    }
    expect(planted('cidr-suffix').pairs[0]!.srcIpAddr).toMatch(/^10\.10\.\d+\.\d+\/24$/);
    expect(planted('ipv6-source').pairs[0]!.srcIpAddr).toMatch(/^fd00:/);
  });

  it('keeps office hours: people work weekdays 09–18 CET with a lunch dip, weekends are quiet', async () => {
    // Workstation-originated traffic (10.10.16.0/22): the servers' round-the-clock chatter is not people.
    const people = `regexp_matches(SrcIpAddr, '^10\\.10\\.1[6-9]\\.[0-9]+$') AND TimeGenerated < ${at(T)}`;
    const byDay = await store.query(
      `SELECT dayofweek(TimeGenerated) IN (0, 6) AS weekend, count(*) / count(DISTINCT CAST(TimeGenerated AS DATE)) AS per_day ` +
        `FROM ASimNetworkSessionLogs WHERE ${people} GROUP BY ALL ORDER BY weekend`,
    );
    const [weekday, weekend] = byDay.rows.map((row) => Number(row[1]));
    expect(weekend!).toBeLessThan(0.15 * weekday!);
    // Office hour h CET is UTC hour h−1.
    const byHour = await store.query(
      `SELECT (hour(TimeGenerated) + 1) % 24 AS office_hour, count(*) FROM ASimNetworkSessionLogs ` +
        `WHERE ${people} AND dayofweek(TimeGenerated) NOT IN (0, 6) GROUP BY ALL`,
    );
    const hours = new Map(byHour.rows.map((row) => [Number(row[0]), Number(row[1])]));
    const total = [...hours.values()].reduce((a, b) => a + b, 0);
    const office = [...hours].filter(([h]) => h >= 9 && h < 18).reduce((sum, [, n]) => sum + n, 0);
    expect(office / total).toBeGreaterThan(0.8);
    const around = ((hours.get(10) ?? 0) + (hours.get(11) ?? 0) + (hours.get(14) ?? 0) + (hours.get(15) ?? 0)) / 4;
    expect(hours.get(12)!).toBeLessThan(0.75 * around);
    expect(hours.get(3) ?? 0).toBeLessThan(0.1 * around);
  });
});

describe('the seed rule over the demo data (hand-written SQL oracle, seed-rule.md §3)', () => {
  it('threshold 50 (v1.0.0) flags the episode and nothing else', async () => {
    const rows = await seedRuleOracle(store, T, 50);
    expect(rows.map((r) => [r.SrcIpAddr, r.DstPortNumber, r.Count])).toEqual([[manifest.episode.ip, 445, manifest.episode.pair.recent]]);
    const pair = manifest.episode.pair;
    expect(rows[0]!.Deviation).toBeCloseTo((pair.recent - pair.baseline) / pair.baseline, 12);
    expect(rows[0]!.Deviation).toBeGreaterThan(50);
  });

  it.each(['50', '0.5'] as const)('threshold %s returns exactly the manifest\'s expected result', async (key) => {
    const rows = await seedRuleOracle(store, T, Number(key));
    const expected = manifest.expected[key];
    expect(rows.map((r) => [r.SrcIpAddr, r.DstPortNumber, r.Count])).toEqual(expected.map((r) => [r.SrcIpAddr, r.DstPortNumber, r.Count]));
    rows.forEach((row, i) => expect(row.Deviation).toBeCloseTo(expected[i]!.Deviation, 12));
    if (key === '0.5') expect(rows.length).toBeGreaterThan(30); // nearly every SMB source fires under v1.0.1 (§4)
  });

  it('every planted pair behaves as the manifest says under both thresholds', async () => {
    const results = { '50': await seedRuleOracle(store, T, 50), '0.5': await seedRuleOracle(store, T, 0.5) };
    for (const planted of [...manifest.cases, { id: 'episode', pairs: [manifest.episode.pair] }]) {
      for (const pair of planted.pairs) {
        for (const key of ['50', '0.5'] as const) {
          const row = rowFor(results[key], pair);
          const outcome = pair.outcome[key];
          const label = `${planted.id} ${pair.srcIpAddr}:${pair.dstPortNumber} @${key}`;
          expect([label, row !== undefined]).toEqual([label, outcome.fires]);
          if (row) {
            expect(row.Deviation).toBeCloseTo(outcome.deviation!, 12);
            expect(row.Count).toBe(pair.ruleRecent);
          }
        }
      }
    }
  });

  it('the edge cases land where seed-rule.md says, in numbers worked out by hand', async () => {
    const low = await seedRuleOracle(store, T, 0.5);
    const high = await seedRuleOracle(store, T, 50);
    const pairOf = (id: string, index = 0): PlantedPair => planted(id).pairs[index]!;
    // Inclusive bounds (§3.4): one record at T−14d, one at T−1d (counted twice), one at T: each gives 1 → 2.
    for (const id of ['window-start', 'window-end', 'at-now', 'cidr-suffix']) {
      expect([id, rowFor(low, pairOf(id))]).toEqual([id, { SrcIpAddr: pairOf(id).srcIpAddr, DstPortNumber: 445, Deviation: 1, Count: 2 }]);
      expect(rowFor(high, pairOf(id))).toBeUndefined();
    }
    // Invisible or dropped under any threshold: IPv6, public, port 1445, new source, stopped, records after T.
    for (const id of ['ipv6-source', 'public-source', 'port-1445', 'new-source', 'smb-stops', 'after-now']) {
      expect([id, rowFor(low, pairOf(id))]).toEqual([id, undefined]);
    }
    // The licence service spiked 2 → 200 on 1445; counted as SMB it would be a row (a substring match is wrong).
    expect(pairOf('port-1445')).toMatchObject({ dstPortNumber: 1445, baseline: 2, recent: 200 });
    // A drop to one session: deviation (b − 1)/b, under 1.
    const drop = pairOf('smb-drops');
    expect(rowFor(low, drop)).toMatchObject({ Count: 1, Deviation: expect.closeTo((drop.baseline - 1) / drop.baseline, 12) });
    // 139 and 445 are separate groups (§3.9).
    expect(rowFor(low, pairOf('netbios-139', 0))).toBeDefined();
    expect(rowFor(low, pairOf('netbios-139', 1))).toMatchObject({ DstPortNumber: 139 });
    // The after-now pair would fire even under 50 if the look-back did not end at T: 1 in the baseline, 80 after.
    expect(pairOf('after-now')).toMatchObject({ baseline: 1, recent: 0, afterNow: 80 });
    const uncapped = await seedRuleOracle(store, T + MICROS_PER_HOUR, 50);
    expect(rowFor(uncapped, pairOf('after-now'))).toMatchObject({ Count: 80, Deviation: 79 });
  });
});
