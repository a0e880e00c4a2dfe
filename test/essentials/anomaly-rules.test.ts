/**
 * The two Network Session Essentials rules that score daily series with series_decompose_anomalies(Total, 2.5, -1,
 * 'linefit'), over a fire and a no-fire fixture network, on DuckDB and ClickHouse, at T = 2025-02-19T00:00:00Z.
 * "Detect port misuse by anomaly" reads the summary table (the summary rule runs first, as watch would have run it);
 * "Anomaly found in Network Session Traffic" reads raw records (no summary table: its last-four-days branch).
 *
 * The scores worked out by hand. A 14-day series y(x), x = 0…13, no seasonality (seasonality detection finds no
 * period in these series), trend linefit: slope = Σ(x − 6.5)(y − ȳ) / Σ(x − 6.5)² with Σ(x − 6.5)² = 227.5;
 * baseline(x) = ȳ + slope·(x − 6.5); residual r = y − baseline; the fences are the 10th and 90th percentiles of the
 * residuals (h = 13·p: between the 2nd and 3rd smallest, and the 12th and 13th); score = (r − p90) / (p90 − p10) ×
 * 2.772605605507915 above p90. The rules keep toint(score) ≥ 2 × 2.5.
 */
import { describe, expect, it } from 'vitest';
import type { AsimRecord } from '../../src/asim/record.js';
import { DAY, HOUR, micros, pick, repeat, ruleResults, type Results } from './fixture.js';

const T = '2025-02-19T00:00:00Z';
const t = micros(T);

function expectBoth(results: Results, columns: readonly string[], expected: ReadonlyArray<Record<string, unknown>>): void {
  const sorted = [...expected].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  expect(pick(results.duckdb, columns), 'DuckDB').toEqual(sorted);
  expect(pick(results.clickhouse, columns), 'ClickHouse').toEqual(sorted);
}

/** `counts[d]` sessions on day d (0 = T − 14d), at 12:00, a second apart, to `port`. */
function daily(counts: readonly number[], port: number, fields: AsimRecord = {}): AsimRecord[] {
  return counts.flatMap((n, d) => repeat(n, t - (14 - d) * DAY + 12 * HOUR, 1_000_000, { SrcIpAddr: '10.0.0.40', DstIpAddr: '10.0.0.41', DstPortNumber: port, ...fields }));
}

const days = (n: number, value: number): number[] => Array.from({ length: n }, () => value);

describe('Detect port misuse by anomaly based detection (cbf07406), over NetworkSummary_Protocol_CL', () => {
  const ID = 'cbf07406-fa2a-48b0-82b8-efad58db14ec';
  // Near misses: RDP steady at 10 a day; a spike on 8080 (no watchlist row); a spike on LDAP (389) a week ago, the
  // last day back to 10 (its last score is 0.07).
  const nearMisses = (): AsimRecord[] => [
    ...daily([...days(13, 10), 130], 8080),
    ...daily([...days(6, 10), 130, ...days(7, 10)], 389),
  ];
  const columns = ['Name', 'Severity', 'Tactic', 'DstPortNumber', 'Description', 'NetworkProtocols', 'NetworkDirections', 'DvcActions'];

  it('fires for RDP at 10 sessions a day for 13 days, then 130', async () => {
    // y = 10 × 13, 130: ȳ = 260/14; slope = 6.5 × 120 / 227.5 = 3.4286; baseline(13) = 18.571 + 22.286 = 40.857;
    // r(13) = 89.143; the other residuals run from 13.714 (x = 0) down to −27.429 (x = 12) in steps of 3.4286:
    // p10 = −24 + 0.3 × 3.4286 = −22.971, p90 = 10.286 + 0.7 × 3.4286 = 12.686; score = 76.457 / 35.657 × 2.7726
    // = 5.945: toint 5 ≥ 5, baseline 40 > 0. The watchlist's RDP row (ports 3389, anomaly) names it.
    const results = await ruleResults(ID, [...daily([...days(13, 10), 130], 3389), ...nearMisses()], T, { summarize: true });
    expectBoth(results, columns, [
      {
        Name: 'Suspicious Remote Desktop Network Traffic', Severity: 'High', Tactic: 'Lateral Movement', DstPortNumber: '3389',
        Description: ' TCP/3389 is the default port used by remote desktop. While remote desktop traffic is not uncommon on a network, any anomaly in traffic can be suspicious.',
        NetworkProtocols: ['TCP'], NetworkDirections: [], DvcActions: [],
      },
    ]);
  }, 300_000);

  it('stays silent for the near misses and steady RDP', async () => {
    const results = await ruleResults(ID, [...daily(days(14, 10), 3389), ...nearMisses()], T, { summarize: true });
    expectBoth(results, columns, []);
  }, 300_000);
});

describe('Anomaly found in Network Session Traffic (cd6def0d), over raw records', () => {
  const ID = 'cd6def0d-3ef0-4d55-a7e3-faa96c46ba12';
  const columns = ['anomalyFieldType', 'anomalyFieldValue', 'EventTime', 'total', 'anomalies', 'score', 'baseline'];

  it('fires on the last day for the total and for the protocol (TCP) when 10 a day becomes 130', async () => {
    // Without a summary table the rule reads the last four days of records (fewer than 500 a second): y = 0 × 10,
    // 10, 10, 10, 130. ȳ = 160/14 = 11.429; slope = (10 × (3.5 + 4.5 + 5.5) + 130 × 6.5) / 227.5 = 4.3077;
    // baseline(13) = 11.429 + 28 = 39.429; r(13) = 90.571; the other residuals sorted: −25.121, −22.198, −20.813, …,
    // 12.264, 16.571: p10 = −22.198 + 0.3 × 1.385 = −21.783, p90 = 12.264 + 0.7 × 4.308 = 15.279; score = 75.292 /
    // 37.062 × 2.7726 = 5.63: toint 5. Both the total and the TCP series are this series; DvcAction and
    // NetworkDirection are empty (Zeek), so no series for them.
    const records = daily([...days(10, 0), 10, 10, 10, 130], 443);
    const results = await ruleResults(ID, records, T);
    const row = { EventTime: '2025-02-18T00:00:00Z', total: 130, anomalies: 1, score: 5, baseline: 39 };
    expectBoth(results, columns, [
      { anomalyFieldType: 'NetworkProtocol', anomalyFieldValue: 'TCP', ...row },
      { anomalyFieldType: 'TotalVolume', anomalyFieldValue: 'Overall', ...row },
    ]);
  }, 300_000);

  it('stays silent when the last day is like the three before it, and for a spike the day before', async () => {
    // y = 0 × 10, 10, 10, 10, 10 scores 0 on the last day; 0 × 10, 10, 10, 130, 10 scores −0.5 there.
    for (const counts of [[...days(10, 0), 10, 10, 10, 10], [...days(10, 0), 10, 10, 130, 10]]) {
      expectBoth(await ruleResults(ID, daily(counts, 443), T), columns, []);
    }
  }, 300_000);
});
