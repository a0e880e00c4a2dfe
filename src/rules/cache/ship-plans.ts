/**
 * The build step after tsc (`npm run build`, and `prepare` on `npm ci`): compiles the built-in rules' plans into
 * the file shipped beside the compiled code (shipped.ts), so their first run loads no Kusto.Language.
 */
import { builtinRules } from '../load.js';
import { compileRulePlans, SHIPPED_PLANS_FILE, writeShippedPlans } from './shipped.js';

const { shipped, problems } = compileRulePlans(builtinRules());
for (const problem of problems) {
  process.stderr.write(`smbwatch build: no shipped plan for the built-in rule ${problem.rule}: ${problem.reason}\n`);
}
writeShippedPlans(SHIPPED_PLANS_FILE, shipped);
