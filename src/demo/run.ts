/**
 * The demo's steps up to the rule: make sure the data set exists (generate it, or reuse it when the same
 * seed's data is intact), then ingest it into the demo's store through the ordinary ingest path.
 *
 * The next step, evaluating the seed rule at DEMO_EVALUATION_TIME, belongs to the rule runner (issue 4):
 * it is called with the manifest's `evaluationTimeMicros` once it lands.
 */
import { runIngest, type IngestProgress, type IngestRunResult } from '../ingest/run.js';
import { ensureDemoData, logsDirOf, type DemoDataOptions } from './generate.js';
import type { DemoManifest } from './manifest.js';
import { openDemoStore, recordCount } from './store.js';

export interface DemoRunOptions extends DemoDataOptions {
  readonly dir: string;
  readonly db: string;
  readonly progress?: IngestProgress;
}

export interface DemoRunResult {
  readonly manifest: DemoManifest;
  readonly generated: boolean;
  readonly generateSeconds: number;
  readonly logsDir: string;
  readonly db: string;
  readonly replacedStore: boolean;
  readonly ingest: IngestRunResult;
  /** Records in the store after ingest. */
  readonly storeRecords: number;
}

export async function runDemo(options: DemoRunOptions): Promise<DemoRunResult> {
  const data = await ensureDemoData(options.dir, { seed: options.seed, workstations: options.workstations });
  const logsDir = logsDirOf(options.dir);
  const { store, replaced } = await openDemoStore(options.db, data.manifest);
  try {
    const ingest = await runIngest(store, [logsDir], { parse: {}, ...(options.progress ? { progress: options.progress } : {}) });
    return {
      manifest: data.manifest,
      generated: data.generated,
      generateSeconds: data.seconds,
      logsDir,
      db: options.db,
      replacedStore: replaced,
      ingest,
      storeRecords: await recordCount(store),
    };
  } finally {
    await store.close();
  }
}

/** Inputs that failed and records rejected: the demo's own data must ingest cleanly. */
export function ingestProblems(result: IngestRunResult): string[] {
  const problems = result.errors.map((e) => `${e.path}: ${e.reason}`);
  for (const outcome of result.outcomes) {
    if (outcome.status === 'error' || outcome.status === 'skipped') problems.push(`${outcome.name}: ${outcome.status} (${outcome.reason ?? ''})`);
    if (outcome.rejects > 0) problems.push(`${outcome.name}: ${outcome.rejects} records rejected`);
  }
  return problems;
}
