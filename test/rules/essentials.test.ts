/**
 * Network Session Essentials content as shipped: the analytic rules' queries are byte for byte upstream's latest
 * (the SHA-256 Microsoft records for each, PROVENANCE.md), the rules and hunting queries load with their ids, and
 * every one compiles on both engines, with and without the summary table in the store.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { builtinHuntingQueries } from '../../src/hunting/load.js';
import { buildQuery } from '../../src/kql/build.js';
import { DIALECTS } from '../../src/kql/compile.js';
import { resultSql } from '../../src/kql/sql/generate.js';
import { builtinRules } from '../../src/rules/load.js';
import { defaultCatalog, essentialsCatalog } from '../../src/summaries/catalog.js';
import { builtinSummaryRules } from '../../src/summaries/rule.js';
import { builtinWatchlists } from '../../src/watchlists/load.js';

/** Rule id → [version, upstream querySha256] (XDR Detections/*.yaml, contentProvenance.source). */
const UPSTREAM: Record<string, [string, string]> = {
  'cd6def0d-3ef0-4d55-a7e3-faa96c46ba12': ['1.3.0', 'b9b552326f363b6749b344cdbab620a7d113f0ea68ccf5a7c93c0013da1c2ae7'],
  'cbf07406-fa2a-48b0-82b8-efad58db14ec': ['1.3.0', 'c813aa41b89df755fe4fef07c4589c6f50addba21204ffee4ef40bd99aa86999'],
  '156997bd-da0f-4729-b47a-0a3e02dd50c8': ['1.2.0', 'd22ba1323932b53077b193e49790fac6b1ecb0ab3e2ba84d29f099ee9c0e32c2'],
  '4902eddb-34f7-44a8-ac94-8486366e9494': ['1.2.7', 'a704bf0eb976708a672f94234cb654c1178baf18f470dd13af31ea878919ad54'],
  'cd8faa84-4464-4b4e-96dc-b22f50c27541': ['1.0.5', '8f571d9161e7961700094014172714079c2a0631f71b3e8e496f690db2a9e35f'],
  '1da9853f-3dea-4ea9-b7e5-26730da3d537': ['1.0.6', 'a27d3c633e3ef86580ea4013babe8bcda2173830008f8c3f23d72e961d85c53f'],
  'fcb9d75c-c3c1-4910-8697-f136bfef2363': ['1.1.6', 'ee046d5f7612580dcb635609c2703b55b8b9d29094eda6211429420f514c8936'],
  'b7dc801e-1e79-48bb-91e8-2229a8e6d40b': ['1.0.1', '3238a38d2198b8117d7230894826ada9a0581d6338312b663c13afdd1efe6426'],
};

const HUNTING_IDS = [
  '5dca6047-24ed-4eb7-b44e-ec7f1bf42621', '906c20c6-b62c-4af7-be91-d7300e3bded2', '70e2a349-87f0-4266-809c-e92fc71e0830',
  'a61e9fc1-dd9e-4588-a497-2a34a1d811bf', '96f9fdd1-bb5b-4d32-8790-666457dc00c0', '6fd69768-fdf1-4cfd-805f-b243be3f0c6d',
  'cbe10c58-e96b-4827-853e-5c1f22fdcc74',
];

const essentials = builtinRules().filter((r) => r.source.startsWith('builtin:essentials/'));

describe('Network Session Essentials content', () => {
  it('ships the eight analytic rules unmodified: each query hashes to the SHA-256 Microsoft records for its version', () => {
    expect(essentials.map((r) => r.id).sort()).toEqual(Object.keys(UPSTREAM).sort());
    for (const rule of essentials) {
      const [version, sha] = UPSTREAM[rule.id]!;
      expect(rule.version, rule.name).toBe(version);
      expect(createHash('sha256').update(rule.query).digest('hex'), rule.name).toBe(sha);
    }
  });

  it('lists nine analytic rules (the SMB seed rule is the ninth) and seven hunting queries', () => {
    const ids = new Set(builtinRules().map((r) => r.id));
    expect(ids.has('8717e498-7b5d-4e23-9e7c-fa4913dbfd79')).toBe(true);
    for (const id of Object.keys(UPSTREAM)) expect(ids.has(id)).toBe(true);
    expect(builtinHuntingQueries().map((q) => q.id).sort()).toEqual([...HUNTING_IDS].sort());
    expect(builtinSummaryRules().map((r) => [r.id, r.destinationTable, r.binSize, r.binDelay])).toEqual([
      ['df824ce9-0fc0-46e0-9919-e4b075f6127e', 'NetworkSummary_Protocol_CL', 20, 5],
    ]);
  });

  it('compiles every rule and hunting query on both engines, with and without NetworkSummary_Protocol_CL', () => {
    const watchlists = new Map(builtinWatchlists().map((w) => [w.alias, w]));
    const catalogs = [defaultCatalog(), essentialsCatalog(new Set(['NetworkSummary_Protocol_CL']), watchlists)];
    const queries = [...essentials.map((r) => [r.name, r.query] as const), ...builtinHuntingQueries().map((q) => [q.name, q.query] as const)];
    const failures: string[] = [];
    for (const [index, catalog] of catalogs.entries()) {
      for (const [name, query] of queries) {
        if (index > 0 && !query.includes('NetworkSummary_Protocol_CL')) continue;
        try {
          // One build, SQL for each engine.
          const { rel } = buildQuery(query, { now: Date.UTC(2025, 1, 19) * 1000, catalog });
          for (const engine of ['duckdb', 'clickhouse'] as const) resultSql(rel, { dialect: DIALECTS[engine], text: query });
        } catch (error) {
          failures.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
