/**
 * A Sentinel scheduled analytic rule as smbwatch holds it after loading and validating its YAML.
 */
export const SEVERITIES = ['Informational', 'Low', 'Medium', 'High'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** MITRE ATT&CK tactics as Sentinel names them (Azure-Sentinel `.script/tests/…/Models/AttackTactic.cs`). */
export const TACTICS = [
  'InitialAccess', 'Execution', 'Persistence', 'PrivilegeEscalation', 'DefenseEvasion', 'CredentialAccess', 'Discovery', 'LateralMovement',
  'Collection', 'Exfiltration', 'CommandAndControl', 'Impact', 'Reconnaissance', 'ResourceDevelopment', 'ImpairProcessControl',
  'InhibitResponseFunction',
] as const;
export type Tactic = (typeof TACTICS)[number];

export type TriggerOperator = 'gt' | 'lt' | 'eq' | 'ne';
export type AggregationKind = 'AlertPerResult' | 'SingleAlert';

export interface FieldMapping {
  readonly identifier: string;
  readonly columnName: string;
}

export interface EntityMapping {
  readonly entityType: string;
  readonly fieldMappings: readonly FieldMapping[];
}

export interface AlertDetailsOverride {
  readonly alertDisplayNameFormat?: string;
  readonly alertDescriptionFormat?: string;
  readonly alertSeverityColumnName?: string;
  readonly alertTacticsColumnName?: string;
}

export interface Rule {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly severity: Severity;
  readonly status: string;
  readonly kind: 'Scheduled';
  readonly tactics: readonly Tactic[];
  readonly relevantTechniques: readonly string[];
  readonly query: string;
  /** As written in the file (`1d`), and in milliseconds. */
  readonly queryFrequency: string;
  readonly queryFrequencyMs: number;
  readonly queryPeriod: string;
  readonly queryPeriodMs: number;
  readonly triggerOperator: TriggerOperator;
  readonly triggerThreshold: number;
  readonly aggregationKind: AggregationKind;
  readonly entityMappings: readonly EntityMapping[];
  /** Alert field name → result column. */
  readonly customDetails: Readonly<Record<string, string>>;
  readonly alertDetailsOverride?: AlertDetailsOverride;
  readonly suppressionEnabled: boolean;
  readonly suppressionDurationMs?: number;
  /** `''` when the file has none. */
  readonly version: string;
  /** Where the rule came from: a file path, or `builtin:<file>`. */
  readonly source: string;
}
