/**
 * `smbwatch evaluate`: builds the labeled labs, backtests every rule under evaluation over each lab day by day
 * (the same `backtest` as `smbwatch backtest`, one run per evaluated day), scores the runs against the labels and
 * explains each miss.
 */
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import type { LabManifest } from '../demo/lab/generate.js';
import type { LabFamily, LabSpec } from '../demo/lab/profile.js';
import { backtest } from '../rules/backtest.js';
import { builtinRules, DEFAULT_RULE_ID, loadRuleFile } from '../rules/load.js';
import type { Rule } from '../rules/rule.js';
import { readyLab } from './labs.js';
import { seedRuleReason, spikeRuleReason, type MissExplainer } from './reasons.js';
import { flaggedRows, scoreLab, type LabScore } from './score.js';

export interface RuleUnderTest {
  /** Short key for tables and `--rule`. */
  readonly key: string;
  readonly title: string;
  readonly rule: Rule;
  readonly parameters: Readonly<Record<string, string>>;
  readonly explain?: MissExplainer;
}

export interface RuleOnLab {
  readonly key: string;
  readonly score: LabScore;
  /** Attack id → why the rule missed it. */
  readonly misses: Readonly<Record<string, string>>;
  readonly seconds: number;
}

export interface LabEvaluation {
  readonly id: string;
  readonly spec: LabSpec;
  readonly manifest: LabManifest;
  readonly records: number;
  readonly seconds: { readonly generate: number; readonly ingest: number };
  readonly rules: readonly RuleOnLab[];
}

export interface Evaluation {
  readonly rules: ReadonlyArray<Pick<RuleUnderTest, 'key' | 'title'> & { readonly id: string; readonly version: string; readonly parameters: Readonly<Record<string, string>> }>;
  readonly labs: readonly LabEvaluation[];
  readonly seconds: number;
}

/** The comparison rule written after Splunk's SMB Traffic Spike (not built in: it ships with the evaluation). */
export function spikeRulePath(): string {
  const beside = fileURLToPath(new URL('./rules/splunk-smb-traffic-spike.yaml', import.meta.url));
  if (existsSync(beside)) return beside;
  return fileURLToPath(new URL('../../src/evaluate/rules/splunk-smb-traffic-spike.yaml', import.meta.url));
}

/** The rules `npm run evaluate` compares: the seed rule v1.0.0 and v1.0.1, the Splunk-style spike, and smbwatch's own rule. */
export function rulesUnderTest(): RuleUnderTest[] {
  const builtins = builtinRules();
  const seed = builtins.find((r) => r.id === DEFAULT_RULE_ID)!;
  const rules: RuleUnderTest[] = [
    { key: 'seed-1.0.0', title: 'Sentinel seed rule v1.0.0 (threshold 50)', rule: seed, parameters: {}, explain: seedRuleReason(50) },
    { key: 'seed-1.0.1', title: 'Sentinel seed rule v1.0.1 (threshold 0.5)', rule: seed, parameters: { threshold: '0.5' }, explain: seedRuleReason(0.5) },
    { key: 'splunk-spike', title: 'Splunk ESCU-style SMB Traffic Spike (hourly mean + 2σ, ≥ 50 samples)', rule: loadRuleFile(spikeRulePath()), parameters: {}, explain: spikeRuleReason() },
  ];
  const own = builtins.find((r) => r.id === SMBWATCH_RULE_ID);
  if (own) rules.push({ key: 'smbwatch', title: 'smbwatch SMB lateral movement', rule: own, parameters: {} });
  return rules;
}

export const SMBWATCH_RULE_ID = '332f0f21-4ae7-4075-9fc6-c228b4fa3555';

export interface EvaluateOptions {
  readonly workDir: string;
  readonly labs: readonly LabSpec[];
  readonly rules: readonly RuleUnderTest[];
  readonly progress?: (message: string) => void;
}

export async function runEvaluation(options: EvaluateOptions): Promise<Evaluation> {
  const started = performance.now();
  const progress = options.progress ?? (() => undefined);
  const labs: LabEvaluation[] = [];
  for (const spec of options.labs) {
    const lab = await readyLab(options.workDir, spec, progress);
    try {
      const results: RuleOnLab[] = [];
      const times = lab.manifest.runTimes.map((t) => new Date(t));
      for (const candidate of options.rules) {
        progress(`${lab.id}: backtesting ${candidate.key} over ${times.length} days`);
        const ruleStarted = performance.now();
        const result = await backtest(lab.store, candidate.rule, candidate.parameters, times[0]!, times[times.length - 1]!);
        const seconds = (performance.now() - ruleStarted) / 1000;
        const score = scoreLab(lab.manifest, flaggedRows(candidate.rule, result.runs, lab.manifest));
        const misses: Record<string, string> = {};
        for (const attack of score.attacks.filter((a) => !a.detected)) {
          misses[attack.label.id] = await explainMiss(candidate, lab, attack.label.sources, attack.label.days);
        }
        results.push({ key: candidate.key, score, misses, seconds });
      }
      labs.push({ id: lab.id, spec, manifest: lab.manifest, records: lab.records, seconds: lab.seconds, rules: results });
    } finally {
      await lab.store.close();
    }
  }
  return {
    rules: options.rules.map((r) => ({ key: r.key, title: r.title, id: r.rule.id, version: r.rule.version, parameters: r.parameters })),
    labs,
    seconds: (performance.now() - started) / 1000,
  };
}

async function explainMiss(
  candidate: RuleUnderTest,
  lab: { store: Parameters<MissExplainer>[0]; manifest: LabManifest },
  sources: readonly string[],
  days: readonly number[],
): Promise<string> {
  if (!candidate.explain) return 'no result row for its source on its days';
  const start = Date.parse(lab.manifest.period.start);
  const reasons: string[] = [];
  for (const day of days.slice(0, 2)) {
    const at = new Date(start + (day + 1) * 86_400_000);
    for (const source of sources) reasons.push(`${at.toISOString().slice(0, 10)} ${source}: ${await candidate.explain(lab.store, source, at)}`);
  }
  return reasons.join(' · ');
}

export function labsOf(family: LabFamily | 'all', all: readonly LabSpec[]): LabSpec[] {
  return all.filter((spec) => family === 'all' || spec.family === family);
}
