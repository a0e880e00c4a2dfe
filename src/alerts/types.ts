/**
 * Query results as the rule engine sees them, and the alerts built from them.
 */
import type { Severity, Tactic } from '../rules/rule.js';

/** Kusto scalar types (names as Kusto.Language prints them). */
export type KustoType = 'bool' | 'int' | 'long' | 'real' | 'decimal' | 'string' | 'datetime' | 'timespan' | 'dynamic' | 'guid';

/**
 * A value in its JSON form: long/int/real → number, bool → boolean, string → string (never null),
 * datetime → ISO 8601 UTC text, timespan → Kusto text (`1.02:03:04`), dynamic → parsed JSON, null → null.
 */
export type KustoValue = null | boolean | number | string | KustoValue[] | { [key: string]: KustoValue };

export interface ResultColumn {
  readonly name: string;
  readonly type: KustoType;
}

/** A query result with the Kusto type of every column. */
export interface TypedResult {
  readonly columns: readonly ResultColumn[];
  readonly rows: ReadonlyArray<ReadonlyArray<KustoValue>>;
}

/** An entity as alerts carry it: Sentinel's lower-case `type`, then identifiers in camelCase (`address`). */
export interface AlertEntity {
  readonly type: string;
  readonly [identifier: string]: string;
}

export interface Alert {
  /** Deterministic: UUID v5 of rule id, version, parameters, window end and grouping key. */
  readonly alertId: string;
  readonly ruleId: string;
  readonly ruleName: string;
  readonly ruleVersion: string;
  /** Parameter overrides the rule ran with (empty for the rule as written). */
  readonly parameters: Readonly<Record<string, string>>;
  readonly severity: Severity;
  readonly tactics: readonly Tactic[];
  readonly techniques: readonly string[];
  readonly displayName: string;
  readonly description: string;
  /** The look-back window [queryStartTime, queryEndTime], ISO 8601 UTC; queryEndTime is the run's time. */
  readonly queryStartTime: string;
  readonly queryEndTime: string;
  readonly aggregationKind: 'AlertPerResult' | 'SingleAlert';
  readonly entities: readonly AlertEntity[];
  /** Custom detail name → the column's values in the alert's rows. */
  readonly customDetails: Readonly<Record<string, readonly KustoValue[]>>;
  /** The result rows this alert covers, keyed by the query's column names. */
  readonly rows: ReadonlyArray<Readonly<Record<string, KustoValue>>>;
}
