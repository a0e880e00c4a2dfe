/**
 * Plans shipped with smbwatch: the built-in rules' templates, compiled when smbwatch itself is built (`npm run
 * build` runs ship-plans.js after tsc) and written beside the compiled code, so that even the first run of a
 * built-in rule, on a store that never saw it, loads no Kusto.Language.
 *
 * The file is keyed exactly as the plan cache (planKey: compiler fingerprint, look-back, query text after
 * parameters). A build of another compiler computes other keys and simply finds nothing, so a stale file can never
 * serve a plan; a rule run with other parameters, or a user's rule, compiles and is cached in the store as before.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { applyParameters } from '../parameters.js';
import type { Rule } from '../rule.js';
import { compilerFingerprint, planKey } from './key.js';
import { buildTemplate, NotTemplatableError, type QueryTemplate } from './template.js';

/** Where the build writes the shipped plans: next to this module in dist/ (absent when running from the sources). */
export const SHIPPED_PLANS_FILE = fileURLToPath(new URL('./builtin-plans.json', import.meta.url));

export interface ShippedPlans {
  /** The compiler that made them (also inside every key; kept to say which build a file belongs to). */
  readonly fingerprint: string;
  readonly plans: Readonly<Record<string, QueryTemplate>>;
}

/** Any instant: a template does not depend on the instant it was built at (template.ts). */
const BUILD_INSTANT = Date.UTC(2024, 0, 1) * 1000;

export interface ShippingProblem {
  readonly rule: string;
  readonly reason: string;
}

/** The templates of these rules with their own parameters; rules whose plan cannot be templated are left out. */
export function compileRulePlans(rules: readonly Rule[]): { shipped: ShippedPlans; problems: ShippingProblem[] } {
  const plans: Record<string, QueryTemplate> = {};
  const problems: ShippingProblem[] = [];
  for (const rule of rules) {
    const query = applyParameters(rule, {});
    const lookback = rule.queryPeriodMs * 1000;
    try {
      plans[planKey(query, lookback)] = buildTemplate(query, BUILD_INSTANT, lookback);
    } catch (error) {
      // A rule that does not compile (its own tests say why) or cannot be templated runs through the compiler.
      const reason = error instanceof NotTemplatableError || error instanceof Error ? error.message.split('\n')[0]! : String(error);
      problems.push({ rule: `${rule.id} (${rule.name})`, reason });
    }
  }
  return { shipped: { fingerprint: compilerFingerprint(), plans }, problems };
}

export function writeShippedPlans(path: string, shipped: ShippedPlans): void {
  writeFileSync(path, `${JSON.stringify(shipped)}\n`);
}

const loadedFiles = new Map<string, ShippedPlans | null>();

/** The shipped plan with this key, if the file at `path` has one (read once per process). */
export function shippedPlan(key: string, path: string = SHIPPED_PLANS_FILE): QueryTemplate | undefined {
  let shipped = loadedFiles.get(path);
  if (shipped === undefined) {
    shipped = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ShippedPlans) : null;
    loadedFiles.set(path, shipped);
  }
  return shipped?.plans[key];
}
