/**
 * A rule's catalog page, derived from its compiled IR: what a detection engineer reads before trusting a rule —
 * parameters, let bindings, the main pipeline's stages with their KQL, indicators, output fields, MITRE coverage,
 * schedule, trigger, grouping and entities. `--output json` of `smbwatch rules show` is this object; its shape is
 * documented in docs/rules.md and versioned by `format`.
 */
import { formatDuration } from '../rules/duration.js';
import { applyParameters, ruleParameters, type RuleParameter } from '../rules/parameters.js';
import type { Rule } from '../rules/rule.js';
import { indicatorsOf, type Indicator } from './indicators.js';
import { letBindings, type LetBinding } from './lets.js';
import { outputFieldsOf, type OutputField } from './outputs.js';
import { mainPipeline, withLets, type Pipeline } from './pipeline.js';
import { nodeAt, rulePlan } from './plan.js';

export const CATALOG_FORMAT = 'smbwatch.catalog/1';

export interface CatalogPage {
  readonly format: typeof CATALOG_FORMAT;
  readonly rule: {
    readonly id: string;
    readonly name: string;
    readonly version: string;
    readonly description: string;
    readonly severity: string;
    readonly kind: string;
    readonly source: string;
  };
  readonly mitre: { readonly tactics: readonly string[]; readonly techniques: readonly string[] };
  readonly schedule: {
    readonly queryFrequency: string;
    readonly queryPeriod: string;
    readonly text: string;
    readonly suppression: string | null;
  };
  readonly trigger: { readonly operator: string; readonly threshold: number; readonly aggregationKind: string };
  readonly entities: ReadonlyArray<{ readonly type: string; readonly fields: ReadonlyArray<{ readonly identifier: string; readonly column: string }> }>;
  readonly customDetails: Readonly<Record<string, string>>;
  /** Overrides given (`--param`) for this page, and every parameter with the value in effect. */
  readonly overrides: Readonly<Record<string, string>>;
  readonly parameters: ReadonlyArray<RuleParameter & { readonly value: string }>;
  readonly lets: readonly LetBinding[];
  readonly pipeline: Pipeline;
  readonly indicators: readonly Indicator[];
  readonly outputFields: readonly OutputField[];
}

/** The page of a rule, with parameter overrides applied. Loads Kusto.Language (once per process). */
export function catalogPage(rule: Rule, overrides: Readonly<Record<string, string>> = {}): CatalogPage {
  const query = applyParameters(rule, overrides);
  const plan = rulePlan(query, rule.queryPeriodMs);
  const lets = letBindings(query);
  const pipeline = withLets(mainPipeline(plan.symbolic, query), lets, (stage) => nodeAt(plan.symbolic, stage.bottomPath).span);
  return {
    format: CATALOG_FORMAT,
    rule: {
      id: rule.id,
      name: rule.name,
      version: rule.version,
      description: rule.description.trim(),
      severity: rule.severity,
      kind: rule.kind,
      source: rule.source,
    },
    mitre: { tactics: rule.tactics, techniques: rule.relevantTechniques },
    schedule: {
      queryFrequency: rule.queryFrequency,
      queryPeriod: rule.queryPeriod,
      text: `every ${formatDuration(rule.queryFrequencyMs)}, looking back ${formatDuration(rule.queryPeriodMs)}`,
      suppression: rule.suppressionEnabled && rule.suppressionDurationMs !== undefined ? formatDuration(rule.suppressionDurationMs) : null,
    },
    trigger: { operator: rule.triggerOperator, threshold: rule.triggerThreshold, aggregationKind: rule.aggregationKind },
    entities: rule.entityMappings.map((m) => ({ type: m.entityType, fields: m.fieldMappings.map((f) => ({ identifier: f.identifier, column: f.columnName })) })),
    customDetails: rule.customDetails,
    overrides,
    parameters: ruleParameters(rule).map((p) => ({ ...p, value: overrides[p.name] ?? p.defaultText })),
    lets,
    pipeline,
    indicators: indicatorsOf(plan.symbolic, pipeline),
    outputFields: outputFieldsOf(plan.symbolic, pipeline),
  };
}
