/**
 * A query's rows in batches from any engine: streamed where the engine can (`Store.queryBatches`), else the whole
 * result as one batch.
 */
import type { QueryResult, RowBatch } from './engine.js';

export interface BatchSource {
  query(sql: string): Promise<QueryResult>;
  queryBatches?(sql: string): AsyncIterable<RowBatch>;
}

export async function* resultBatches(source: BatchSource, sql: string): AsyncGenerator<RowBatch> {
  if (source.queryBatches) {
    yield* source.queryBatches(sql);
    return;
  }
  const { rows } = await source.query(sql);
  yield { count: rows.length, rows: () => rows };
}
