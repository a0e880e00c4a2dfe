/**
 * smbwatch's own SMB rule (332f0f21) over a small network placed by hand, run at T = 2024-03-15T00:00Z on DuckDB and
 * on ClickHouse (chdb) with identical rows. Baseline day k (k = 1 … 13) is [T − (k+1)d, T − k·d); its records are at
 * its noon, T − k·d − 12h. The judged day is [T − 1d, T]; its records are at T − 12h.
 *
 * Every baseline day:
 *   W1…W12 (10.0.1.1–12): 2 sessions to the DC 10.0.0.10 and 3 to the file server FS1 10.0.0.30; W5…W8 also 1 to FS2
 *   10.0.0.31. D1…D30 (10.0.3.1–30): 1 to the DC. The backup server 10.0.0.61: 10 each to FS1, FS2 and the DC.
 *   The deployment server M 10.0.0.60: 1 session to each of two desks never pushed to before (day k: 10.0.3.(2k−1),
 *   10.0.3.(2k)). The scanner 10.0.0.62, on day 8 only: 1 to each of W1…W12 and 1 unanswered (DstPackets 0) to each
 *   of the 20 empty addresses 10.0.2.1–20.
 * Population, by hand: baseline sources have 1 (D*), 2 or 3 (W*, backup), 26 (M) and 32 (scanner) peers; the median
 * (45 sources, rank 23) is 1, so a source with more than 10 peers is infrastructure (M, scanner). Shared servers
 * (≥ 3 ordinary clients): the DC (42), FS1 (13), FS2 (5). M makes 26 first contacts on 13 active days: 2 a day, a
 * spreader.
 *
 * The judged day repeats a baseline day for everyone, plus:
 *   - W1 (host name WS01): 4 sessions each to W2 and W3 — two new peers that are not servers (psexec-like);
 *   - W4: 57 more sessions to FS1 (60 in all) — volume to a known share;
 *   - FS2: 2 sessions each to W5, W6, W7 — a server that never sent SMB reaching three desks;
 *   - 10.0.9.9, never seen: 1 session to each of W1…W8 and 2 unanswered to each of 10.0.2.1–4 — a new address sweeping;
 *   - W5: 20 failed attempts to FS1 — failures alone;
 * and the look-alikes, which must stay silent:
 *   - the scanner repeats its day-8 scan (20 unanswered of 32: the same as in its baseline);
 *   - W8…W12 each reach the new file server 10.0.0.40 (3 sessions): five sources, one new destination — a migration;
 *   - 10.0.1.50, never seen: 2 sessions to the DC, 3 to FS1 — a new employee;
 *   - M pushes once to W1…W12 and to 10.0.3.27–30: 16 first contacts, all hosts that use SMB themselves;
 *   - the backup server and everyone else: as every day.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KustoValue } from '../../src/alerts/types.js';
import type { AsimRecord } from '../../src/asim/record.js';
import { kustoDiagnostics } from '../../src/kql/kusto.js';
import { evaluateRule, type RuleRun } from '../../src/rules/evaluate.js';
import { kqlQueryRunner } from '../../src/rules/kql-runner.js';
import { builtinRules } from '../../src/rules/load.js';
import { ruleParameters } from '../../src/rules/parameters.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import type { Store } from '../../src/store/engine.js';
import { withQueryEngine } from '../../src/store/engines.js';
import { useTempDir } from '../helpers/tmp.js';

const RULE_ID = '332f0f21-4ae7-4075-9fc6-c228b4fa3555';
const T = new Date('2024-03-15T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DC = '10.0.0.10';
const FS1 = '10.0.0.30';
const FS2 = '10.0.0.31';
const M = '10.0.0.60';
const BACKUP = '10.0.0.61';
const SCANNER = '10.0.0.62';
const W = (i: number): string => `10.0.1.${i}`;
const D = (i: number): string => `10.0.3.${i}`;
const EMPTY = (i: number): string => `10.0.2.${i}`;
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

interface Options {
  readonly failed?: boolean;
  readonly unanswered?: boolean;
  readonly hostname?: string;
}

function sessions(count: number, src: string, dst: string, at: number, options: Options = {}): AsimRecord[] {
  return range(1, count).map((i) => ({
    TimeGenerated: (at + i * 1000) * 1000,
    SrcIpAddr: src,
    DstIpAddr: dst,
    DstPortNumber: 445,
    EventResult: options.failed ? 'Failure' : 'Success',
    DstPackets: options.unanswered ? 0 : 5,
    ...(options.hostname ? { SrcHostname: options.hostname } : {}),
  }));
}

/** What happens on every day, baseline and judged alike (`at` is the day's noon). */
function ordinaryDay(at: number, hostnames: Readonly<Record<string, string>> = {}): AsimRecord[] {
  const opts = (src: string): Options => (hostnames[src] ? { hostname: hostnames[src] } : {});
  return [
    ...range(1, 12).flatMap((i) => [...sessions(2, W(i), DC, at, opts(W(i))), ...sessions(3, W(i), FS1, at, opts(W(i)))]),
    ...range(5, 8).flatMap((i) => sessions(1, W(i), FS2, at)),
    ...range(1, 30).flatMap((i) => sessions(1, D(i), DC, at)),
    ...[FS1, FS2, DC].flatMap((server) => sessions(10, BACKUP, server, at)),
  ];
}

function scan(at: number): AsimRecord[] {
  return [...range(1, 12).flatMap((i) => sessions(1, SCANNER, W(i), at)), ...range(1, 20).flatMap((i) => sessions(1, SCANNER, EMPTY(i), at, { unanswered: true }))];
}

function records(): AsimRecord[] {
  const t = T.getTime();
  const baseline = range(1, 13).flatMap((k) => {
    const noon = t - k * DAY - 12 * HOUR;
    return [...ordinaryDay(noon), ...sessions(1, M, D(2 * k - 1), noon), ...sessions(1, M, D(2 * k), noon), ...(k === 8 ? scan(noon) : [])];
  });
  const noon = t - 12 * HOUR;
  const judged = [
    ...ordinaryDay(noon, { [W(1)]: 'WS01' }),
    ...sessions(4, W(1), W(2), noon, { hostname: 'WS01' }),
    ...sessions(4, W(1), W(3), noon, { hostname: 'WS01' }),
    ...sessions(57, W(4), FS1, noon),
    ...[5, 6, 7].flatMap((i) => sessions(2, FS2, W(i), noon)),
    ...range(1, 8).flatMap((i) => sessions(1, '10.0.9.9', W(i), noon)),
    ...range(1, 4).flatMap((i) => sessions(2, '10.0.9.9', EMPTY(i), noon, { unanswered: true })),
    ...sessions(20, W(5), FS1, noon, { failed: true }),
    ...scan(noon),
    ...range(8, 12).flatMap((i) => sessions(3, W(i), '10.0.0.40', noon)),
    ...sessions(2, '10.0.1.50', DC, noon),
    ...sessions(3, '10.0.1.50', FS1, noon),
    ...[...range(1, 12).map(W), ...range(27, 30).map(D)].flatMap((dst) => sessions(1, M, dst, noon)),
  ];
  return [...baseline, ...judged];
}

const rule = builtinRules().find((r) => r.id === RULE_ID)!;
const tempDir = useTempDir();
let store: Store;
let duckdb: RuleRun;
let chdb: RuleRun;

const rowsOf = (run: RuleRun): Array<Record<string, KustoValue>> =>
  run.alerts.flatMap((a) => a.rows).sort((a, b) => String(a.SrcIpAddr).localeCompare(String(b.SrcIpAddr)));
const bySource = (run: RuleRun): Map<string, Record<string, KustoValue>> => new Map(rowsOf(run).map((r) => [String(r.SrcIpAddr), r]));

beforeAll(async () => {
  store = await openDuckDbStore(join(tempDir(), 'lateral.duckdb'));
  const all = records();
  const ingest = await store.beginIngest();
  await ingest.appendRecords(all);
  await ingest.commit({
    name: 'hand-placed', format: 'test', size: 0, offsetReached: 0, lineReached: 0, contentHash: 'hand-placed',
    records: all.length, rejects: 0, ignored: 0, ingestedAt: T,
  });
  duckdb = await evaluateRule(rule, {}, kqlQueryRunner(store), T);
  chdb = await withQueryEngine(store, 'clickhouse', (sql, dialect) => evaluateRule(rule, {}, kqlQueryRunner(sql, dialect), T));
}, 180_000);
afterAll(async () => store.close());

describe('smbwatch SMB lateral-movement rule on a hand-placed network', () => {
  it('alerts on the five sources with one anomaly each, and on nothing else', () => {
    expect([...bySource(duckdb).keys()]).toEqual([FS2, W(1), W(4), W(5), '10.0.9.9'].sort());
  });

  it('new peers that are not servers: W1 reached W2 and W3 (first contacts 0 a day before)', () => {
    const row = bySource(duckdb).get(W(1))!;
    expect(row).toMatchObject({
      PeerSignal: true, FanoutSignal: false, VolumeSignal: false, FailureSignal: false, Role: 'client', SrcHostname: 'WS01',
      RecentSessions: 13, RecentPeers: 4, NewPeers: 2, NewRarePeers: 2, DarkPeers: 0, NewPeerSample: [W(2), W(3)],
      BaselineMean: 5, BaselineMax: 5, BaselineMedian: 5, BaselinePeersMean: 2, BaselinePeersMax: 2, ActiveDays: 13, FirstContactRate: 0,
      Reason: '2 new peers that are not shared servers (first contacts 0/active day before)',
    });
    const alert = duckdb.alerts.find((a) => a.rows[0]!.SrcIpAddr === W(1))!;
    expect(alert.displayName).toBe(`SMB lateral movement from ${W(1)}: 2 new peers that are not shared servers (first contacts 0/active day before)`);
    expect(alert.entities).toEqual([{ type: 'ip', address: W(1) }, { type: 'host', hostName: 'WS01' }]);
    expect(alert.customDetails.NewPeerSample).toEqual([[W(2), W(3)]]);
  });

  it('volume to a known share: W4 sent 60 sessions to FS1, 20 times its 3 a day', () => {
    expect(bySource(duckdb).get(W(4))).toMatchObject({
      PeerSignal: false, FanoutSignal: false, VolumeSignal: true, FailureSignal: false,
      RecentSessions: 62, NewPeers: 0, BaselineMedian: 5, BaselineMax: 5,
      Reason: `60 sessions to ${FS1}, 20x its busy day with it (3; max 3)`,
    });
  });

  it('role direction: FS2, a shared server that never sent SMB, reached three desks', () => {
    expect(bySource(duckdb).get(FS2)).toMatchObject({
      PeerSignal: true, FanoutSignal: false, VolumeSignal: false, FailureSignal: false, Role: 'server turned sender',
      RecentSessions: 6, NewPeers: 3, NewRarePeers: 3, ActiveDays: 0, BaselineMean: null,
      Reason: 'a server (182 sessions from 5 hosts) sending SMB; 3 new peers that are not shared servers (first contacts 0/active day before)',
    });
  });

  it('a never-seen address sweeping: judged on what it does (fan-out, hosts that never sent SMB)', () => {
    expect(bySource(duckdb).get('10.0.9.9')).toMatchObject({
      PeerSignal: true, FanoutSignal: true, VolumeSignal: false, FailureSignal: false, Role: 'new sender',
      RecentSessions: 16, NewPeers: 12, NewRarePeers: 12, DarkPeers: 4, FailureShare: 0.5,
      Reason: 'no SMB sent in the baseline; 12 new peers that are not shared servers (first contacts 0/active day before); fan-out to 12 hosts never contacted before, 4 never seen sending SMB',
    });
  });

  it('failures alone: 20 of W5\'s 26 attempts failed, against none a day before', () => {
    const row = bySource(duckdb).get(W(5))!;
    expect(row).toMatchObject({
      PeerSignal: false, FanoutSignal: false, VolumeSignal: false, FailureSignal: true, RecentSessions: 26, NewPeers: 0,
      Reason: '20 of 26 attempts failed or unanswered',
    });
    expect(row.FailureShare).toBeCloseTo(20 / 26, 12);
  });

  it('the look-alikes stay silent: weekly scan, migration, new employee, deployment push, backup', () => {
    const flagged = new Set(bySource(duckdb).keys());
    for (const source of [SCANNER, ...range(8, 12).map(W), '10.0.1.50', M, BACKUP]) expect(flagged.has(source), source).toBe(false);
  });

  it('ClickHouse (chdb) returns the same rows', () => {
    expect(rowsOf(chdb)).toEqual(rowsOf(duckdb));
  });
});

describe('the rule as Sentinel reads it', () => {
  it('binds with zero Kusto.Language diagnostics (no error, warning or suggestion) against the ASIM parser signature', () => {
    expect(kustoDiagnostics(rule.query)).toEqual([]);
  });

  it('its tunables are top-level lets, listed as parameters', () => {
    expect(ruleParameters(rule).map((p) => p.name)).toEqual([
      'baselineStart', 'sharedServerClients', 'broadFactor', 'crowdSources', 'noveltyZ', 'minActiveDays', 'newSenderPeers', 'spreaderRate',
      'darkShare', 'fanoutPeers', 'volumeMin', 'volumeRatio', 'volumeOverMax', 'volumeMads', 'failureMin', 'failureShare', 'sampleSize',
    ]);
  });
});
