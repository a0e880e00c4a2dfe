/**
 * The seed rule counts records, so the way each source becomes records decides its alerts (issue 5). These
 * tests run the rule's own filter and first summarize (seed-rule.md §2) through the KQL engine over sources
 * ingested from real and fixture files, and check the counts the ASIM parsers would give:
 * - Sysmon and WFP both log each SMB connection on the client and on the server: four records per connection
 *   (OTRF purplesharp: 18 Sysmon EID 3 + 18 WFP 5156 events with 172.18.39.5 → :445, counted from the raw
 *   JSON with a separate script);
 * - Cisco ASA logs "built" and "teardown" separately: two records per connection;
 * - Azure NSG flow logs give one record per flow tuple (begin, continue, end): three for one session.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileKql, runCompiled } from '../../src/kql/compile.js';
import { runIngest } from '../../src/ingest/run.js';
import { openDuckDbStore, type DuckDbStore } from '../../src/store/duckdb.js';
import { useTempDir } from '../helpers/tmp.js';
import { REAL_DATA } from '../helpers/real.js';

const tempDir = useTempDir();
const REAL = REAL_DATA;
const FIXTURES = fileURLToPath(new URL('../fixtures/network/', import.meta.url));

/** The seed rule's filter and first summarize, over all time (no window: we count what the sources produced). */
const SEED_RULE_COUNTS = `
let SMBPorts = dynamic(["139", "445"]);
_Im_NetworkSession
| where ipv4_is_private(SrcIpAddr) and tostring(DstPortNumber) has_any (SMBPorts) and SrcIpAddr != DstIpAddr
| summarize Count = count() by SrcIpAddr, DstPortNumber, EventProduct`;

async function counts(store: DuckDbStore): Promise<Array<[string, number, string, number]>> {
  const compiled = compileKql(SEED_RULE_COUNTS, { engine: 'duckdb', now: Date.UTC(2030, 0, 1) * 1000 });
  const result = await runCompiled(compiled, store);
  return result.rows.map((row) => [String(row[0]), Number(row[1]), String(row[2]), Number(row[3])] as [string, number, string, number]).sort();
}

describe('what the seed rule counts, per source', () => {
  it('Sysmon and Windows Firewall on both endpoints: one SMB connection counts four times', async () => {
    const store = await openDuckDbStore(join(tempDir(), 'w.duckdb'));
    await runIngest(store, [join(REAL, 'otrf/purplesharp_ad_playbook_I.zip')], { parse: {} });
    expect(await counts(store)).toEqual([
      ['172.18.39.5', 445, 'Sysmon', 18],
      ['172.18.39.5', 445, 'Windows Firewall', 18],
    ]);
    await store.close();
  });

  it('Cisco ASA: built and teardown of one connection count twice', async () => {
    const dir = tempDir();
    const log = join(dir, 'asa.log');
    writeFileSync(
      log,
      [
        'Mar 04 2024 09:00:05 asa02 : %ASA-6-302013: Built inbound TCP connection 4711 for outside:10.9.0.11/51299 (10.9.0.11/51299) to inside:10.0.1.10/445 (10.0.1.10/445)',
        'Mar 04 2024 09:00:10 asa02 : %ASA-6-302014: Teardown TCP connection 4711 for outside:10.9.0.11/51299 to inside:10.0.1.10/445 duration 0:00:05 bytes 2340 TCP FINs',
        '',
      ].join('\n'),
    );
    const store = await openDuckDbStore(join(dir, 'a.duckdb'));
    expect((await runIngest(store, [log], { parse: {} })).outcomes[0]).toMatchObject({ records: 2 });
    expect(await counts(store)).toEqual([['10.9.0.11', 445, 'ASA', 2]]);
    await store.close();
  });

  it('Azure NSG flow logs: each tuple of a session (begin, continue, end) counts once', async () => {
    const store = await openDuckDbStore(join(tempDir(), 'n.duckdb'));
    await runIngest(store, [join(FIXTURES, 'nsg-flow-v2.json')], { parse: {} });
    const rows = await counts(store);
    expect(rows.find(([src, port]) => src === '10.0.5.21' && port === 445)).toEqual(['10.0.5.21', 445, 'NSGFlow', 3]);
    // The IPv6 tuple and the public sources are not counted by the rule at all.
    expect(rows.every(([src]) => !src.includes(':') && !src.startsWith('192.0.2.'))).toBe(true);
    await store.close();
  });
});
