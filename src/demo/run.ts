/**
 * The demo's steps: make sure the data set exists (generate it, or reuse it when the same seed's data is
 * intact), ingest it into the demo's store through the ordinary ingest path, then run the built-in seed rule
 * at DEMO_EVALUATION_TIME exactly as `smbwatch run --at` does, storing its alerts.
 */
import { runIngest, type IngestProgress, type IngestRunResult } from '../ingest/run.js';
import { ensureDemoData, logsDirOf, type DemoDataOptions } from './generate.js';
import type { DemoManifest } from './manifest.js';
import { openDemoStore, recordCount } from './store.js';
import { DEMO_EVALUATION_TIME } from './period.js';
import { lastAlertTime, storeAlerts } from '../alerts/store.js';
import type { Alert } from '../alerts/types.js';
import { cachedQueryRunner } from '../rules/cache/plan-cache.js';
import { evaluateRule, type RuleRun } from '../rules/evaluate.js';
import { builtinRules, DEFAULT_RULE_ID } from '../rules/load.js';

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
  /** The seed rule v1.0.0 at T, and which of its alerts the store did not have yet. */
  readonly rule: { readonly run: RuleRun; readonly fresh: readonly Alert[] };
}

export async function runDemo(options: DemoRunOptions): Promise<DemoRunResult> {
  const data = await ensureDemoData(options.dir, { seed: options.seed, workstations: options.workstations });
  const logsDir = logsDirOf(options.dir);
  const { store, replaced } = await openDemoStore(options.db, data.manifest);
  try {
    const ingest = await runIngest(store, [logsDir], { parse: {}, ...(options.progress ? { progress: options.progress } : {}) });
    const rule = await runSeedRule(store);
    return {
      rule,
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

/** The built-in seed rule at T, as `smbwatch run --db <demo store> --at T` runs it. */
async function runSeedRule(store: Awaited<ReturnType<typeof openDemoStore>>['store']): Promise<DemoRunResult['rule']> {
  const rule = builtinRules().find((candidate) => candidate.id === DEFAULT_RULE_ID);
  if (!rule) throw new Error('the built-in seed rule is missing');
  const at = new Date(DEMO_EVALUATION_TIME / 1000);
  const lastAlertAt = await lastAlertTime(store, rule.id, at);
  const run = await evaluateRule(rule, {}, cachedQueryRunner(store, store), at, lastAlertAt ? { lastAlertAt } : {});
  return { run, fresh: await storeAlerts(store, run.alerts) };
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
