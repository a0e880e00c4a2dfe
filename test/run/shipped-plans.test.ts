/**
 * Plans shipped with smbwatch: the built-in rules' templates compiled at build time. They are found by the same key
 * as the plan cache, give exactly the SQL a fresh compile gives, and the build (dist/) ships one per built-in rule.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileKql } from '../../src/kql/compile.js';
import { planKey } from '../../src/rules/cache/key.js';
import { compileRulePlans, shippedPlan, writeShippedPlans, type ShippedPlans } from '../../src/rules/cache/shipped.js';
import { instantiate } from '../../src/rules/cache/template.js';
import { builtinRules } from '../../src/rules/load.js';
import { defaultCatalog } from '../../src/summaries/catalog.js';
import type { Rule } from '../../src/rules/rule.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();
const DAY = 86_400_000_000;
const T = Date.UTC(2024, 2, 15) * 1000;

describe('shipped plans', () => {
  it('one per built-in rule, found by the plan key, giving the SQL of a fresh compile at any instant', () => {
    const rules = builtinRules();
    const { shipped, problems } = compileRulePlans(rules);
    expect(problems).toEqual([]);
    const file = join(tempDir(), 'plans.json');
    writeShippedPlans(file, shipped);
    for (const rule of rules) {
      const lookback = rule.queryPeriodMs * 1000;
      const template = shippedPlan(planKey(rule.query, lookback), file);
      expect(template, rule.id).toBeDefined();
      // Two instants for the seed rule; one for the solution's rules (each compile costs seconds).
      for (const at of rule.source.startsWith('builtin:essentials/') ? [T + 3 * DAY + 17] : [T, T + 3 * DAY + 17]) {
        expect(instantiate(template!, at, 'duckdb').sql).toBe(compileKql(rule.query, { engine: 'duckdb', now: at, lookback, catalog: defaultCatalog() }).sql);
      }
      // Another look-back or another query text is another key: not shipped.
      expect(shippedPlan(planKey(rule.query, lookback - 1), file)).toBeUndefined();
      expect(shippedPlan(planKey(`${rule.query}\n`, lookback), file)).toBeUndefined();
    }
    expect(shippedPlan(planKey(rules[0]!.query, rules[0]!.queryPeriodMs * 1000), join(tempDir(), 'absent.json'))).toBeUndefined();
  });

  it('a rule that does not compile ships nothing and is named', () => {
    const broken: Rule = { ...builtinRules()[0]!, id: '00000000-0000-0000-0000-000000000001', query: 'ASimNetworkSessionLogs | where NoSuchColumn > 1' };
    const { shipped, problems } = compileRulePlans([broken]);
    expect(Object.keys(shipped.plans)).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.rule).toContain(broken.id);
  });

  it('the build ships a plan for every built-in rule, keyed by the built compiler', async () => {
    const file = fileURLToPath(new URL('../../dist/rules/cache/builtin-plans.json', import.meta.url));
    expect(existsSync(file), 'npm run build writes it').toBe(true);
    const shipped = JSON.parse(readFileSync(file, 'utf8')) as ShippedPlans;
    const built = (await import(new URL('../../dist/rules/cache/key.js', import.meta.url).href)) as typeof import('../../src/rules/cache/key.js');
    expect(shipped.fingerprint).toBe(built.compilerFingerprint());
    for (const rule of builtinRules()) expect(shipped.plans[built.planKey(rule.query, rule.queryPeriodMs * 1000)], rule.id).toBeDefined();
  });
});
