/**
 * Live figures for a catalog page: how many rows enter and leave each stage when the rule runs at T over a store.
 * Each stage's output is its topmost IR node; its SQL is generated from the plan at T (the same SQL a run executes,
 * cut at that node) and counted. Rows entering a stage are the rows leaving its inputs (a join has two).
 */
import { DIALECTS } from '../kql/compile.js';
import { generateSql } from '../kql/sql/generate.js';
import type { Store } from '../store/engine.js';
import { allStages, type Pipeline } from './pipeline.js';
import { inputsOf, nodeAt, rulePlan } from './plan.js';

export interface StageCount {
  readonly stage: string;
  /** Rows entering: per input (one for most stages, two for a join); absent for a source. */
  readonly rowsIn?: readonly number[];
  readonly rowsOut: number;
}

export interface LiveFigures {
  /** The run time T, ISO 8601. */
  readonly at: string;
  readonly window: { readonly start: string; readonly end: string };
  readonly stages: readonly StageCount[];
}

const MICROS_PER_MS = 1000;

/** Counts every stage of the page's pipelines at `at` over the store (one COUNT query per distinct relation). */
export async function liveFigures(store: Pick<Store, 'query' | 'engine'>, query: string, lookbackMs: number, pipeline: Pipeline, at: Date): Promise<LiveFigures> {
  const root = rulePlan(query, lookbackMs).at(at.getTime() * MICROS_PER_MS);
  const dialect = DIALECTS[store.engine];
  const counted = new Map<string, number>();
  // Keyed by the SQL: a let used in several places is inlined at each, so the same relation sits under many paths.
  const count = async (path: readonly number[]): Promise<number> => {
    const sql = `SELECT count(*) AS n FROM (${generateSql(nodeAt(root, path), { dialect, text: query })}) AS __stage`;
    const known = counted.get(sql);
    if (known !== undefined) return known;
    const result = await store.query(sql);
    const n = Number(result.rows[0]?.[0] ?? 0);
    counted.set(sql, n);
    return n;
  };
  const stages: StageCount[] = [];
  for (const stage of allStages(pipeline)) {
    const bottom = nodeAt(root, stage.bottomPath);
    let rowsIn: number[] | undefined;
    if (stage.kind !== 'source') {
      rowsIn = [];
      // One query at a time: a store connection runs one statement at once.
      for (let i = 0; i < inputsOf(bottom).length; i++) rowsIn.push(await count([...stage.bottomPath, i]));
    }
    stages.push({ stage: stage.number, ...(rowsIn ? { rowsIn } : {}), rowsOut: await count(stage.path) });
  }
  return {
    at: at.toISOString(),
    window: { start: new Date(at.getTime() - lookbackMs).toISOString(), end: at.toISOString() },
    stages,
  };
}
