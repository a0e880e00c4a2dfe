/**
 * The QueryRunner backed by smbwatch's KQL compiler: compile the rule text with `now()` fixed at the run's time
 * and the ASIM table limited to the look-back, then run the SQL on an engine (the DuckDB store, an in-memory
 * DuckDB, chdb).
 */
import { compileKql, runCompiled, type SqlRunner } from '../kql/compile.js';
import type { DialectChoice } from '../kql/compile.js';
import type { Catalog } from '../kql/catalog.js';
import { defaultCatalog } from '../summaries/catalog.js';
import type { Lookback, QueryRunner, TypedResult } from './evaluate.js';

const MICROS_PER_MS = 1000;

export function kqlQueryRunner(sql: SqlRunner, engine: DialectChoice = 'duckdb', catalog: Catalog = defaultCatalog()): QueryRunner {
  return {
    async run(queryText: string, at: Date, lookback: Lookback): Promise<TypedResult> {
      if (lookback.end.getTime() !== at.getTime()) throw new Error('the look-back of a rule run ends at the run time');
      const compiled = compileKql(queryText, {
        engine,
        now: at.getTime() * MICROS_PER_MS,
        lookback: (lookback.end.getTime() - lookback.start.getTime()) * MICROS_PER_MS,
        catalog,
      });
      return runCompiled(compiled, sql);
    },
  };
}
