/**
 * Validation of Sentinel scheduled-rule YAML, after Sentinel's own template validation
 * (Azure-Sentinel `.script/tests/detectionTemplateSchemaValidation`: ScheduledTemplateInternalModel and its
 * attributes) and learn.microsoft.com `sentinel/scheduled-rules-overview`. Each problem names the key path.
 */
import { z } from 'zod';
import { DURATION_MS, parseSentinelDuration } from './duration.js';
import { ENTITY_TYPES, entityTypeSpec } from './entities.js';
import { SEVERITIES, TACTICS, type Rule, type TriggerOperator } from './rule.js';

/** Sentinel's rule kinds (AlertRuleKind.cs); only Scheduled rules run offline. */
const RULE_KINDS = ['Scheduled', 'NRT', 'Fusion', 'MLBehaviorAnalytics', 'MicrosoftSecurityIncidentCreation', 'ThreatIntelligence', 'Anomaly'];

/** Both spellings Sentinel accepts (ScheduledTemplateTriggerOperatorConverter.cs). */
const TRIGGER_OPERATORS: Readonly<Record<string, TriggerOperator>> = {
  gt: 'gt', lt: 'lt', eq: 'eq', ne: 'ne',
  GreaterThan: 'gt', LessThan: 'lt', Equal: 'eq', NotEqual: 'ne',
};

/** Limits from the template validation attributes and the scheduled-rules docs. */
export const LIMITS = {
  queryLength: 10_000,
  scheduleMinMs: 5 * DURATION_MS.minute,
  scheduleMaxMs: 14 * DURATION_MS.day,
  suppressionMinMs: 5 * DURATION_MS.minute,
  suppressionMaxMs: 24 * DURATION_MS.hour,
  triggerThresholdMax: 10_000,
  entityMappings: 5,
  fieldMappingsPerEntity: 3,
  customDetails: 20,
  customDetailKeyLength: 20,
  displayNameLength: 256,
  descriptionLength: 5000,
  placeholders: 3,
} as const;

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const TECHNIQUE = /^T\d{4}(\.\d{3})?$/;
/** Log Analytics column names: a letter or underscore, then word characters. */
const COLUMN_NAME = /^[a-zA-Z_]+\w*$/;
const CUSTOM_DETAIL_KEY = /^[a-zA-Z]+\w*$/;
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

export interface RuleProblem {
  /** Key path in the YAML document, e.g. `['entityMappings', 0, 'entityType']`. */
  readonly path: ReadonlyArray<string | number>;
  readonly message: string;
}

const durationText = z.union([z.string(), z.number()]).transform((value) => String(value));

const fieldMapping = z.object({
  identifier: z.string({ error: 'is required (an identifier of the entity type)' }),
  columnName: z
    .string({ error: 'is required (a column of the query result)' })
    .regex(COLUMN_NAME, 'must start with a letter or underscore and hold only letters, digits and underscores'),
});

/** One entity mapping (also used by hunting queries, src/hunting/). */
export const entityMapping = z.object({
  entityType: z.string({ error: 'is required' }),
  fieldMappings: z
    .array(fieldMapping, { error: 'must be a list of {identifier, columnName}' })
    .min(1, 'must map at least one identifier')
    .max(LIMITS.fieldMappingsPerEntity, `may map at most ${LIMITS.fieldMappingsPerEntity} identifiers`),
});

const alertDetailsOverride = z.object({
  alertDisplayNameFormat: z.string().min(1).max(LIMITS.displayNameLength).optional(),
  alertDescriptionFormat: z.string().min(1).max(LIMITS.descriptionLength).optional(),
  alertSeverityColumnName: z.string().regex(COLUMN_NAME, 'must be a column name').optional(),
  alertTacticsColumnName: z.string().regex(COLUMN_NAME, 'must be a column name').optional(),
});

/** Unknown keys (requiredDataConnectors, tags, metadata, …) are tolerated: they are metadata for Sentinel's UI. */
const ruleShape = z.looseObject({
  id: z.string({ error: 'is required (a GUID)' }).regex(GUID, 'must be a GUID like 8717e498-7b5d-4e23-9e7c-fa4913dbfd79'),
  name: z.string({ error: 'is required' }).min(1, 'must not be empty').max(256),
  description: z.string({ error: 'is required' }).max(5000),
  severity: z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(', ')}` }),
  status: z.string().optional(),
  kind: z.string({ error: `is required (${RULE_KINDS[0]})` }),
  tactics: z.array(z.enum(TACTICS, { error: `must be one of ${TACTICS.join(', ')}` })).default([]),
  relevantTechniques: z.array(z.string().regex(TECHNIQUE, 'must be a MITRE technique id like T1021 or T1021.002')).default([]),
  query: z
    .string({ error: 'is required (the KQL text)' })
    .refine((text) => text.trim().length > 0, 'must not be empty')
    .refine((text) => text.length <= LIMITS.queryLength, `must be at most ${LIMITS.queryLength} characters`),
  queryFrequency: durationText,
  queryPeriod: durationText,
  triggerOperator: z.enum(Object.keys(TRIGGER_OPERATORS) as [string, ...string[]], {
    error: `must be one of ${Object.keys(TRIGGER_OPERATORS).join(', ')}`,
  }),
  triggerThreshold: z
    .number({ error: 'is required (a whole number)' })
    .int('must be a whole number')
    .min(0, 'must be at least 0')
    .max(LIMITS.triggerThresholdMax, `must be at most ${LIMITS.triggerThresholdMax}`),
  eventGroupingSettings: z
    .object({ aggregationKind: z.enum(['AlertPerResult', 'SingleAlert'], { error: 'must be AlertPerResult or SingleAlert' }) })
    .optional(),
  entityMappings: z
    .array(entityMapping)
    .min(1, 'must hold at least one mapping when present')
    .max(LIMITS.entityMappings, `may hold at most ${LIMITS.entityMappings} mappings`)
    .optional(),
  customDetails: z.record(z.string(), z.string({ error: 'must be a column name' })).optional(),
  alertDetailsOverride: alertDetailsOverride.optional(),
  suppressionEnabled: z.boolean({ error: 'must be true or false' }).default(false),
  suppressionDuration: durationText.optional(),
  version: z.union([z.string(), z.number()]).transform(String).pipe(z.string().max(20, 'must be at most 20 characters')).optional(),
});

type RuleShape = z.infer<typeof ruleShape>;

/** Validates a parsed YAML value as a scheduled rule: the rule, or every problem found. */
export function validateRule(value: unknown, source: string): { rule: Rule } | { problems: RuleProblem[] } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { problems: [{ path: [], message: 'a rule file must be a YAML mapping of rule properties' }] };
  }
  const parsed = ruleShape.safeParse(value);
  if (!parsed.success) {
    // Every problem at once: those of the shape, and those the checks across keys find in the keys that are fine.
    const shapeProblems = parsed.error.issues.map((issue) => ({ path: issue.path.filter(isKey), message: describeIssue(issue, value) }));
    return { problems: [...shapeProblems, ...semanticProblems(wellFormedParts(value as Record<string, unknown>))] };
  }
  const problems = semanticProblems(parsed.data);
  if (problems.length > 0) return { problems };
  return { rule: toRule(parsed.data, source) };
}

/**
 * The keys of a rule that failed validation that are well formed on their own, typed; entity mappings one by one
 * (a malformed mapping is a hole, so the others keep their index in messages).
 */
function wellFormedParts(value: Readonly<Record<string, unknown>>): Partial<RuleShape> {
  const parts: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(ruleShape.shape)) {
    if (key === 'entityMappings' && Array.isArray(value[key])) {
      const mappings: unknown[] = [];
      (value[key] as unknown[]).forEach((item, index) => {
        const mapping = entityMapping.safeParse(item);
        if (mapping.success) mappings[index] = mapping.data;
      });
      parts[key] = mappings;
      continue;
    }
    const result = (schema as z.ZodType).safeParse(value[key]);
    if (result.success && result.data !== undefined) parts[key] = result.data;
  }
  return parts as Partial<RuleShape>;
}

function isKey(part: PropertyKey): part is string | number {
  return typeof part === 'string' || typeof part === 'number';
}

function describeIssue(issue: z.core.$ZodIssue, root: object): string {
  const given = valueAt(root, issue.path.filter(isKey));
  if (given === undefined && issue.code === 'invalid_type') return issue.message.startsWith('Invalid input') ? 'is required' : issue.message;
  const shown = given === undefined ? '' : `; got ${JSON.stringify(given)}`;
  return `${issue.message}${shown}`;
}

function valueAt(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/**
 * Rules that span several keys, or need the tables: kind, durations, entity identifiers, custom details,
 * placeholders. Over a partial shape (a rule with malformed keys), checks of the keys present.
 */
function semanticProblems(shape: Partial<RuleShape>): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if (shape.kind !== undefined && shape.kind !== 'Scheduled') {
    const known = RULE_KINDS.includes(shape.kind);
    problems.push({
      path: ['kind'],
      message: known
        ? `kind ${shape.kind} is not supported: smbwatch runs Scheduled rules only`
        : `must be Scheduled (Sentinel kinds: ${RULE_KINDS.join(', ')}); got ${JSON.stringify(shape.kind)}`,
    });
  }
  const frequency = shape.queryFrequency === undefined ? undefined : scheduleDuration(shape.queryFrequency, 'queryFrequency', problems);
  const period = shape.queryPeriod === undefined ? undefined : scheduleDuration(shape.queryPeriod, 'queryPeriod', problems);
  if (frequency !== undefined && period !== undefined) {
    if (period < frequency) problems.push({ path: ['queryPeriod'], message: 'must be greater than or equal to queryFrequency' });
    if (period >= 2 * DURATION_MS.day && frequency < DURATION_MS.hour) {
      problems.push({ path: ['queryFrequency'], message: 'must be at least 1h when queryPeriod is 2d or more' });
    }
  }
  problems.push(...suppressionProblems(shape));
  (shape.entityMappings ?? []).forEach((mapping, index) => problems.push(...entityMappingProblems(mapping, index)));
  problems.push(...customDetailProblems(shape.customDetails ?? {}));
  for (const key of ['alertDisplayNameFormat', 'alertDescriptionFormat'] as const) {
    const format = shape.alertDetailsOverride?.[key];
    if (format !== undefined && placeholders(format).length > LIMITS.placeholders) {
      problems.push({ path: ['alertDetailsOverride', key], message: `may use at most ${LIMITS.placeholders} {{Column}} placeholders` });
    }
  }
  return problems;
}

function scheduleDuration(text: string, key: string, problems: RuleProblem[]): number | undefined {
  const ms = parseSentinelDuration(text);
  if (ms === undefined) {
    problems.push({ path: [key], message: `must be a duration like 5m, 1h or 14d; got ${JSON.stringify(text)}` });
    return undefined;
  }
  if (ms < LIMITS.scheduleMinMs || ms > LIMITS.scheduleMaxMs) {
    problems.push({ path: [key], message: `must be between 5m and 14d; got ${JSON.stringify(text)}` });
    return undefined;
  }
  return ms;
}

function suppressionProblems(shape: Partial<RuleShape>): RuleProblem[] {
  if (shape.suppressionDuration === undefined) {
    return shape.suppressionEnabled ? [{ path: ['suppressionDuration'], message: 'is required when suppressionEnabled is true' }] : [];
  }
  const ms = parseSentinelDuration(shape.suppressionDuration);
  if (ms === undefined) {
    return [{ path: ['suppressionDuration'], message: `must be a duration like 5m, 1h or PT5H; got ${JSON.stringify(shape.suppressionDuration)}` }];
  }
  if (ms < LIMITS.suppressionMinMs || ms > LIMITS.suppressionMaxMs) {
    return [{ path: ['suppressionDuration'], message: `must be between 5m and 24h; got ${JSON.stringify(shape.suppressionDuration)}` }];
  }
  return [];
}

export function entityMappingProblems(mapping: { entityType: string; fieldMappings: ReadonlyArray<{ identifier: string }> }, index: number): RuleProblem[] {
  const spec = entityTypeSpec(mapping.entityType);
  if (!spec) {
    return [{
      path: ['entityMappings', index, 'entityType'],
      message: `unknown entity type ${JSON.stringify(mapping.entityType)}; allowed: ${ENTITY_TYPES.map((t) => t.entityType).join(', ')}`,
    }];
  }
  const problems: RuleProblem[] = [];
  const used = new Set<string>();
  mapping.fieldMappings.forEach(({ identifier }, fieldIndex) => {
    const path = ['entityMappings', index, 'fieldMappings', fieldIndex, 'identifier'];
    if (!spec.identifiers.includes(identifier)) {
      problems.push({ path, message: `unknown identifier ${JSON.stringify(identifier)} for entity type ${spec.entityType}; allowed: ${spec.identifiers.join(', ')}` });
    } else if (used.has(identifier)) {
      problems.push({ path, message: `identifier ${identifier} is mapped twice` });
    }
    used.add(identifier);
  });
  if (problems.length === 0 && !spec.required.some((combination) => combination.every((name) => used.has(name)))) {
    problems.push({
      path: ['entityMappings', index, 'fieldMappings'],
      message: `entity type ${spec.entityType} needs one of these identifier sets: ${spec.required.map((set) => set.join(' + ')).join('; ')}`,
    });
  }
  return problems;
}

function customDetailProblems(details: Readonly<Record<string, string>>): RuleProblem[] {
  const entries = Object.entries(details);
  const problems: RuleProblem[] = [];
  if (entries.length > LIMITS.customDetails) problems.push({ path: ['customDetails'], message: `may hold at most ${LIMITS.customDetails} entries` });
  for (const [key, column] of entries) {
    if (!CUSTOM_DETAIL_KEY.test(key) || key.length > LIMITS.customDetailKeyLength) {
      problems.push({ path: ['customDetails', key], message: `key must start with a letter, hold only letters, digits and underscores, and be at most ${LIMITS.customDetailKeyLength} characters` });
    }
    if (!COLUMN_NAME.test(column)) problems.push({ path: ['customDetails', key], message: `must be a column name; got ${JSON.stringify(column)}` });
  }
  return problems;
}

/** The column names used as `{{Column}}` placeholders in an alert details format. */
export function placeholders(format: string): string[] {
  return [...format.matchAll(PLACEHOLDER)].map((match) => (match[1] ?? '').trim());
}

function toRule(shape: RuleShape, source: string): Rule {
  const override = shape.alertDetailsOverride;
  return {
    id: shape.id.toLowerCase(),
    name: shape.name,
    description: shape.description,
    severity: shape.severity,
    status: shape.status?.trim() ?? '',
    kind: 'Scheduled',
    tactics: shape.tactics,
    relevantTechniques: shape.relevantTechniques,
    query: shape.query,
    queryFrequency: shape.queryFrequency,
    queryFrequencyMs: parseSentinelDuration(shape.queryFrequency)!,
    queryPeriod: shape.queryPeriod,
    queryPeriodMs: parseSentinelDuration(shape.queryPeriod)!,
    triggerOperator: TRIGGER_OPERATORS[shape.triggerOperator]!,
    triggerThreshold: shape.triggerThreshold,
    // Sentinel's default grouping is "Group all events into a single alert".
    aggregationKind: shape.eventGroupingSettings?.aggregationKind ?? 'SingleAlert',
    entityMappings: shape.entityMappings ?? [],
    customDetails: shape.customDetails ?? {},
    ...(override && Object.keys(override).length > 0 ? { alertDetailsOverride: override } : {}),
    suppressionEnabled: shape.suppressionEnabled,
    ...(shape.suppressionDuration !== undefined ? { suppressionDurationMs: parseSentinelDuration(shape.suppressionDuration)! } : {}),
    version: shape.version ?? '',
    source,
  };
}
