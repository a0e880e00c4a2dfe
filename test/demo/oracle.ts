/**
 * Runs test/demo/seed-rule-oracle.sql — the seed rule written by hand in SQL from seed-rule.md §3 — over a
 * store, at an instant and a threshold given as numbers.
 */
import { readFileSync } from 'node:fs';
import type { Store } from '../../src/store/engine.js';

const ORACLE_SQL = readFileSync(new URL('./seed-rule-oracle.sql', import.meta.url), 'utf8');

export interface OracleRow {
  readonly SrcIpAddr: string;
  readonly DstPortNumber: number;
  readonly Deviation: number;
  readonly Count: number;
}

export async function seedRuleOracle(store: Store, nowMicros: number, threshold: number): Promise<OracleRow[]> {
  if (!Number.isSafeInteger(nowMicros) || !Number.isFinite(threshold)) throw new Error('the oracle takes numbers only');
  const sql = ORACLE_SQL.replaceAll('{{now_us}}', String(nowMicros)).replaceAll('{{threshold}}', String(threshold));
  const result = await store.query(sql);
  return result.rows.map(([src, port, deviation, count]) => ({
    SrcIpAddr: String(src),
    DstPortNumber: Number(port),
    Deviation: Number(deviation),
    Count: Number(count),
  }));
}
