/**
 * Alerts from one run of a rule: the trigger on the number of result rows, grouping per `aggregationKind`,
 * entities, custom details and alert details overrides — as Sentinel builds them
 * (learn.microsoft.com sentinel/scheduled-rules-overview, customize-alert-details, surface-custom-details-in-alerts,
 * map-data-fields-to-entities).
 */
import { entityTypeSpec, identifierKey } from '../rules/entities.js';
import { placeholders } from '../rules/schema.js';
import { SEVERITIES, TACTICS, type Rule, type Severity, type Tactic } from '../rules/rule.js';
import { alertId } from './id.js';
import { canonicalOrder } from './order.js';
import { triggerFires } from './trigger.js';
import type { Alert, AlertEntity, KustoValue, TypedResult } from './types.js';

/** Sentinel caps a run at 150 alerts; with AlertPerResult the 150th summarizes the whole result. */
export const MAX_ALERTS_PER_RUN = 150;
/** Combined size limit of custom details and alert details in one alert. */
export const MAX_DETAILS_BYTES = 64 * 1024;

export interface RunWindow {
  /** The run's time: `now()` of the query and the end of the look-back. */
  readonly end: Date;
  /** end − queryPeriod. */
  readonly start: Date;
}

export class AlertBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertBuildError';
  }
}

type Row = Readonly<Record<string, KustoValue>>;

/** The alerts one run produces: none unless the trigger fires. */
export function buildAlerts(rule: Rule, result: TypedResult, window: RunWindow, parameters: Readonly<Record<string, string>> = {}): Alert[] {
  checkColumns(rule, result.columns);
  if (!triggerFires(rule.triggerOperator, rule.triggerThreshold, result.rows.length)) return [];
  // Grouping and the cap see the rows in one canonical order, whatever order the engine returned them in.
  const rows: Row[] = canonicalOrder(result.rows).map((values) => Object.fromEntries(result.columns.map((column, i) => [column.name, values[i] ?? null])));
  const context = { rule, window, parameters };
  return groupRows(rule, rows).map(({ rows: covered, key }) => buildAlert(context, covered, key));
}

interface Group {
  readonly rows: readonly Row[];
  readonly key: unknown;
}

const WHOLE_RESULT = '*';

function groupRows(rule: Rule, rows: readonly Row[]): Group[] {
  // A fired trigger with no rows (`lt`, `eq 0`) still raises one alert, with no rows.
  if (rule.aggregationKind === 'SingleAlert' || rows.length === 0) return [{ rows, key: WHOLE_RESULT }];
  const perRow = rows.length > MAX_ALERTS_PER_RUN ? rows.slice(0, MAX_ALERTS_PER_RUN - 1) : rows;
  const groups = perRowGroups(perRow);
  if (rows.length > MAX_ALERTS_PER_RUN) groups.push({ rows, key: WHOLE_RESULT });
  return groups;
}

/**
 * One group per row, keyed by the row's values. Identical rows are told apart by their occurrence number (they are
 * adjacent in the canonical order, so the numbering does not depend on the engine's row order).
 */
function perRowGroups(rows: readonly Row[]): Group[] {
  const occurrences = new Map<string, number>();
  return rows.map((row) => {
    const values = JSON.stringify(Object.values(row));
    const occurrence = occurrences.get(values) ?? 0;
    occurrences.set(values, occurrence + 1);
    return { rows: [row], key: occurrence === 0 ? values : `${values}#${occurrence}` };
  });
}

interface Context {
  readonly rule: Rule;
  readonly window: RunWindow;
  readonly parameters: Readonly<Record<string, string>>;
}

function buildAlert({ rule, window, parameters }: Context, rows: readonly Row[], key: unknown): Alert {
  const first = rows[0];
  const override = rule.alertDetailsOverride;
  const queryEndTime = window.end.toISOString();
  return {
    alertId: alertId({ ruleId: rule.id, ruleVersion: rule.version, parameters, windowEnd: queryEndTime, groupingKey: key }),
    ruleId: rule.id,
    ruleName: rule.name,
    ruleVersion: rule.version,
    parameters,
    severity: severityFrom(columnValue(first, override?.alertSeverityColumnName)) ?? rule.severity,
    tactics: tacticsFrom(columnValue(first, override?.alertTacticsColumnName)) ?? [...rule.tactics],
    techniques: [...rule.relevantTechniques],
    displayName: formatDetail(override?.alertDisplayNameFormat, first) ?? rule.name,
    description: formatDetail(override?.alertDescriptionFormat, first) ?? rule.description,
    queryStartTime: window.start.toISOString(),
    queryEndTime,
    aggregationKind: rule.aggregationKind,
    entities: entitiesOf(rule, rows),
    customDetails: customDetailsOf(rule, rows),
    rows,
  };
}

/** Every column the rule's mappings name must be a column of the result (thrown as AlertBuildError). */
export function checkColumns(rule: Rule, resultColumns: ReadonlyArray<{ readonly name: string }>): void {
  const columns = new Set(resultColumns.map((column) => column.name));
  const needed: Array<[string, string]> = [];
  rule.entityMappings.forEach((mapping, index) =>
    mapping.fieldMappings.forEach((field, fieldIndex) => needed.push([`entityMappings[${index}].fieldMappings[${fieldIndex}].columnName`, field.columnName])),
  );
  for (const [key, column] of Object.entries(rule.customDetails)) needed.push([`customDetails.${key}`, column]);
  const override = rule.alertDetailsOverride ?? {};
  for (const key of ['alertDisplayNameFormat', 'alertDescriptionFormat'] as const) {
    for (const column of placeholders(override[key] ?? '')) needed.push([`alertDetailsOverride.${key}`, column]);
  }
  for (const key of ['alertSeverityColumnName', 'alertTacticsColumnName'] as const) {
    const column = override[key];
    if (column !== undefined) needed.push([`alertDetailsOverride.${key}`, column]);
  }
  const missing = needed.filter(([, column]) => !columns.has(column));
  if (missing.length > 0) {
    const list = missing.map(([key, column]) => `${key}: column "${column}"`).join('; ');
    throw new AlertBuildError(`${rule.source}: the query result has no such column — ${list}. Result columns: ${[...columns].join(', ')}`);
  }
}

function columnValue(row: Row | undefined, column: string | undefined): KustoValue | undefined {
  return row === undefined || column === undefined ? undefined : row[column];
}

/** A value as text in alert details and entity identifiers. */
function textOf(value: KustoValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * `{{Column}}` replaced by the first covered row's value. As Sentinel documents, a placeholder with no value makes
 * the detail revert to the rule's own text.
 */
function formatDetail(format: string | undefined, row: Row | undefined): string | undefined {
  if (format === undefined || row === undefined) return undefined;
  let empty = false;
  const text = format.replace(/\{\{([^{}]*)\}\}/g, (_, name: string) => {
    const value = textOf(row[name.trim()]);
    if (value === '') empty = true;
    return value;
  });
  return empty ? undefined : text;
}

function severityFrom(value: KustoValue | undefined): Severity | undefined {
  const text = textOf(value).trim().toLowerCase();
  return SEVERITIES.find((severity) => severity.toLowerCase() === text);
}

/** Tactics from a column holding `"A, B"` or `["A","B"]`; any invalid name makes the rule's tactics apply. */
function tacticsFrom(value: KustoValue | undefined): Tactic[] | undefined {
  const names = Array.isArray(value) ? value.map(textOf) : textOf(value).split(',');
  const trimmed = names.map((name) => name.trim()).filter((name) => name !== '');
  if (trimmed.length === 0) return undefined;
  const tactics = trimmed.map((name) => TACTICS.find((tactic) => tactic.toLowerCase() === name.toLowerCase()));
  return tactics.every((tactic): tactic is Tactic => tactic !== undefined) ? [...new Set(tactics)] : undefined;
}

/**
 * One entity per mapping and row. Identifiers whose value is empty are left out, and an entity left without one
 * of its type's required identifier sets is not created (an alert on a row with an empty `SrcIpAddr` has no IP
 * entity). Duplicates across the rows of a SingleAlert are kept once.
 */
function entitiesOf(rule: Rule, rows: readonly Row[]): AlertEntity[] {
  const entities: AlertEntity[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const mapping of rule.entityMappings) {
      const spec = entityTypeSpec(mapping.entityType)!; // validated when the rule was loaded
      const identifiers = mapping.fieldMappings
        .map(({ identifier, columnName }) => [identifier, textOf(row[columnName])] as const)
        .filter(([, value]) => value !== '');
      const present = new Set(identifiers.map(([identifier]) => identifier));
      if (!spec.required.some((set) => set.every((name) => present.has(name)))) continue;
      const entity: AlertEntity = { type: spec.alertType, ...Object.fromEntries(identifiers.map(([id, value]) => [identifierKey(id), value])) };
      const signature = JSON.stringify(entity);
      if (!seen.has(signature)) {
        seen.add(signature);
        entities.push(entity);
      }
    }
  }
  return entities;
}

/**
 * Custom detail → the column's values in the covered rows, in row order. Values are dropped from the end once the
 * details would exceed Sentinel's 64 KB limit.
 */
function customDetailsOf(rule: Rule, rows: readonly Row[]): Record<string, KustoValue[]> {
  const details: Record<string, KustoValue[]> = Object.fromEntries(
    Object.entries(rule.customDetails).map(([key, column]) => [key, rows.map((row) => row[column] ?? null)]),
  );
  let size = Buffer.byteLength(JSON.stringify(details));
  const keys = Object.keys(details);
  while (size > MAX_DETAILS_BYTES) {
    const longest = keys.reduce((a, b) => (details[a]!.length >= details[b]!.length ? a : b));
    const dropped = details[longest]!.pop();
    if (dropped === undefined) break;
    size -= Buffer.byteLength(JSON.stringify(dropped)) + 1;
  }
  return details;
}
