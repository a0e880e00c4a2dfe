/**
 * Compiling a rule's query when it is loaded, so that a broken query — or a mapping to a column the query does not
 * return — fails before anything runs (`smbwatch rules --check`). Costs Kusto.Language's start-up once per process.
 */
import { AlertBuildError, checkColumns } from '../alerts/build.js';
import { compileKql } from '../kql/compile.js';
import { KqlError } from '../kql/errors.js';
import { defaultCatalog } from '../summaries/catalog.js';
import { RuleLoadError } from './load.js';
import type { Rule } from './rule.js';

const MICROS_PER_MS = 1000;

/** Throws RuleLoadError naming the rule's file when its query does not compile or lacks a mapped column. */
export function checkRuleQuery(rule: Rule): void {
  let columns: ReadonlyArray<{ readonly name: string }>;
  try {
    // Any instant will do: binding and types do not depend on it.
    columns = compileKql(rule.query, { engine: 'duckdb', now: 0, lookback: rule.queryPeriodMs * MICROS_PER_MS, catalog: defaultCatalog() }).columns;
  } catch (error) {
    if (!(error instanceof KqlError)) throw error;
    throw new RuleLoadError([{ file: rule.source, path: ['query'], message: `does not compile (positions within the query):\n${error.message}` }]);
  }
  try {
    checkColumns(rule, columns);
  } catch (error) {
    if (!(error instanceof AlertBuildError)) throw error;
    throw new RuleLoadError([{ file: rule.source, path: [], message: error.message.replace(`${rule.source}: `, '') }]);
  }
}
