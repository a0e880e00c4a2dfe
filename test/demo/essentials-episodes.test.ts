/**
 * The demo's Network Session Essentials episodes (src/demo/essentials.ts), generated small and ingested through
 * the real ingest path: each analytic rule, run as `smbwatch run --rule ID --at T` runs it, fires on its episode
 * and names it, and the seed rule's expected result is untouched by them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESSENTIALS_ADDRESSES, ESSENTIALS_HUNTING_IDS, ESSENTIALS_RULE_IDS } from '../../src/demo/essentials.js';
import { generateDemoData, logsDirOf } from '../../src/demo/generate.js';
import type { DemoManifest } from '../../src/demo/manifest.js';
import { DEMO_EVALUATION_TIME_ISO } from '../../src/demo/period.js';
import { builtinHuntingQueries } from '../../src/hunting/load.js';
import { runIngest } from '../../src/ingest/run.js';
import { compileKql, runCompiled } from '../../src/kql/compile.js';
import type { KustoValue } from '../../src/kql/values.js';
import { evaluateRule } from '../../src/rules/evaluate.js';
import { kqlQueryRunner } from '../../src/rules/kql-runner.js';
import { builtinRules } from '../../src/rules/load.js';
import { openDuckDbStore, type DuckDbStore } from '../../src/store/duckdb.js';
import { storeCatalog } from '../../src/summaries/catalog.js';

let dir: string;
let manifest: DemoManifest;
let store: DuckDbStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smbwatch-demo-essentials-'));
  manifest = await generateDemoData(dir, { seed: 5, workstations: 24 });
  store = await openDuckDbStore(join(dir, 'demo.duckdb'));
  await runIngest(store, [logsDirOf(dir)], { parse: {} });
}, 300_000);

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The rule's result rows at `at`, as objects, compiled and run as `smbwatch run` does (look-back, store catalog). */
async function run(ruleId: string, at: string): Promise<Array<Record<string, KustoValue>>> {
  const rule = builtinRules().find((r) => r.id === ruleId)!;
  let rows: Array<Record<string, KustoValue>> = [];
  const runner = kqlQueryRunner(store, 'duckdb', await storeCatalog(store));
  const recording = {
    async run(...args: Parameters<typeof runner.run>) {
      const result = await runner.run(...args);
      rows = result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]!])));
      return result;
    },
  };
  const outcome = await evaluateRule(rule, {}, recording, new Date(at));
  expect(outcome.triggered, `${rule.name} at ${at}`).toBe(rows.length > 0);
  return rows;
}

/** The hunting query's rows at `at`, as `smbwatch hunt ID --at` runs it. */
async function hunt(id: string, at: string): Promise<Array<Record<string, KustoValue>>> {
  const query = builtinHuntingQueries().find((q) => q.id === id)!;
  const compiled = compileKql(query.query, { engine: 'duckdb', now: Date.parse(at) * 1000, catalog: await storeCatalog(store) });
  const result = await runCompiled(compiled, store);
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]!])));
}

const episode = (id: string) => {
  const found = manifest.essentials.find((e) => e.id === id);
  if (!found) throw new Error(`no episode ${id}`);
  return found;
};

describe('the demo network fires every Network Session Essentials rule at T', () => {
  it('lists one episode per rule, each seen by its run at T', () => {
    expect(manifest.essentials.map((e) => [e.kind, e.id, e.runAt])).toEqual([
      ['analytic', 'syn-flood', DEMO_EVALUATION_TIME_ISO],
      ['analytic', 'port-scan', DEMO_EVALUATION_TIME_ISO],
      ['analytic', 'port-sweep', DEMO_EVALUATION_TIME_ISO],
      ['analytic', 'rdp-brute-force', DEMO_EVALUATION_TIME_ISO],
      ['analytic', 'rdp-anomaly', DEMO_EVALUATION_TIME_ISO],
      ['analytic', 'tor', DEMO_EVALUATION_TIME_ISO],
      ['analytic', 'beaconing', DEMO_EVALUATION_TIME_ISO],
      ['hunting', 'outbound-ldap', DEMO_EVALUATION_TIME_ISO],
      ['hunting', 'cleartext', DEMO_EVALUATION_TIME_ISO],
      ['hunting', 'outbound-rdp', DEMO_EVALUATION_TIME_ISO],
    ]);
  });

  it('excessive failures: the SYN flood, 5200 failures in one 5-minute bin', async () => {
    const rows = await run(episode('syn-flood').ruleId, DEMO_EVALUATION_TIME_ISO);
    expect(rows.map((r) => [r.SrcIpAddr, r.Count])).toEqual([[ESSENTIALS_ADDRESSES.flooder, 5200]]);
  });

  it('port scan: 64 ports of one host from one outside source', async () => {
    const rows = await run(ESSENTIALS_RULE_IDS.portScan, DEMO_EVALUATION_TIME_ISO);
    expect(rows.map((r) => [r.SrcIpAddr, r.AttemptedPortsCount])).toEqual([[ESSENTIALS_ADDRESSES.portScanner, 64]]);
  });

  it('port sweep: SSH on 30 hosts, inbound', async () => {
    const rows = await run(ESSENTIALS_RULE_IDS.portSweep, DEMO_EVALUATION_TIME_ISO);
    expect(rows.map((r) => [r.SrcIpAddr, r.DstPortNumber, (r.set_DstIpAddr as unknown[]).length])).toEqual([[ESSENTIALS_ADDRESSES.sweeper, 22, 30]]);
  });

  it('RDP brute force: 40 failed logons in one 5-minute bin', async () => {
    const rows = await run(ESSENTIALS_RULE_IDS.rdpBruteForce, DEMO_EVALUATION_TIME_ISO);
    expect(rows.map((r) => [r.SrcIpAddr, r.DstPortNumber, r.EventResult, r.Eventscount])).toEqual([[ESSENTIALS_ADDRESSES.rdpBruteForcer, 3389, 'Failure', 40]]);
  });

  it("port misuse by anomaly: inbound RDP's daily series jumps from 2 to 42 (the watchlist's RDP row)", async () => {
    const rows = await run(ESSENTIALS_RULE_IDS.portMisuseAnomaly, DEMO_EVALUATION_TIME_ISO);
    // The hunting episode's outbound LDAP (0 a day, then 6 on the last day) is an anomaly of port 389 as well: the
    // line fitted through thirteen zeros and a 6 ends above 0, so the watchlist's LDAP row fires too.
    expect(rows.map((r) => [r.Name, r.DstPortNumber, r.NetworkDirections]).sort()).toEqual([
      ['Suspicious LDAP Traffic', '389', ['Outbound']],
      ['Suspicious Remote Desktop Network Traffic', '3389', ['Inbound']],
    ]);
  });

  it("port misuse by static threshold: 1100 TOR connections in the last 20 minutes (the watchlist's TOR row)", async () => {
    const rows = await run(ESSENTIALS_RULE_IDS.portMisuseStatic, DEMO_EVALUATION_TIME_ISO);
    expect(rows.map((r) => [r.Name, r.DstPortNumber, r.NetworkDirections])).toEqual([['Suspicious TOR Traffic', 9150, ['Outbound']]]);
  });

  it('beaconing: WIKI01 every 60 s, one row per hour of the night before the last day', async () => {
    const wiki = manifest.hosts.find((h) => h.name === 'WIKI01')!.ip;
    const rows = await run(ESSENTIALS_RULE_IDS.beaconing, DEMO_EVALUATION_TIME_ISO);
    expect(rows.length).toBe(3);
    for (const row of rows) {
      expect([row.SrcIpAddr, row.DstIpAddr, row.DstPortNumber, row.MostFrequentTimeDeltainSeconds]).toEqual([wiki, ESSENTIALS_ADDRESSES.beaconServer, 443, 60]);
    }
  });

  it('anomaly in network session traffic: the inbound total of the last day', async () => {
    const rows = await run(ESSENTIALS_RULE_IDS.sessionAnomaly, DEMO_EVALUATION_TIME_ISO);
    expect(rows.some((r) => r.NetworkDirection === 'Inbound' && r.anomalies === 1)).toBe(true);
  });

  it('leaves the seed rule as the manifest expects: one alert, the lateral movement', async () => {
    const rows = await run('8717e498-7b5d-4e23-9e7c-fa4913dbfd79', DEMO_EVALUATION_TIME_ISO);
    expect(rows.map((r) => r.SrcIpAddr)).toEqual(manifest.expected['50'].map((r) => r.SrcIpAddr));
    expect(rows.map((r) => r.SrcIpAddr)).toEqual([manifest.episode.ip]);
  });
});

describe('the demo network gives the hunting queries something to find at T', () => {
  it('outbound LDAP: the rejected attempts on an internet address', async () => {
    const rows = await hunt(ESSENTIALS_HUNTING_IDS.outboundLdap, DEMO_EVALUATION_TIME_ISO);
    expect(rows.map((r) => [r.SrcIpAddr, r.DstIpAddr, r.DstPortNumber, r.Eventscount])).toEqual([[episode('outbound-ldap').source, ESSENTIALS_ADDRESSES.ldapServer, 389, 6]]);
  });

  it('cleartext protocols: POP3 and telnet to the internet', async () => {
    const rows = await hunt(ESSENTIALS_HUNTING_IDS.cleartext, DEMO_EVALUATION_TIME_ISO);
    const source = episode('cleartext').source;
    expect(rows.map((r) => [r.SrcIpAddr, r.PortUsage, r.Eventscount]).sort()).toEqual([[source, 'POP3', 12], [source, 'Telnet', 2]]);
  });

  it('remote desktop traffic: the failed RDP attempts on an internet address', async () => {
    const rows = await hunt(ESSENTIALS_HUNTING_IDS.outboundRdp, DEMO_EVALUATION_TIME_ISO);
    expect(rows.map((r) => [r.SrcIpAddr, r.DstIpAddr, r.Eventscount])).toEqual([[episode('outbound-rdp').source, ESSENTIALS_ADDRESSES.rdpHost, 3]]);
  });
});
