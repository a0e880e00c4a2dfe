/**
 * The DuckDB store's alert and plan tables. Alerts are kept once by id (an INSERT … WHERE NOT EXISTS, so another
 * process storing the same alert meanwhile adds no duplicate); plans by key, only the current compiler's.
 */
import type { QueryResult, AlertQuery, AlertRow, AlertTable, PlanTable } from './engine.js';
import { quoteString } from './sql.js';

export const ALERTS_TABLE = 'smbwatch_alerts';
export const PLANS_TABLE = 'smbwatch_plans';

type Run = (sql: string) => Promise<QueryResult>;

export const ALERTS_DDL = `CREATE TABLE IF NOT EXISTS ${ALERTS_TABLE} (
  alert_id VARCHAR NOT NULL,
  rule_id VARCHAR NOT NULL,
  rule_version VARCHAR NOT NULL,
  rule_name VARCHAR NOT NULL,
  severity VARCHAR NOT NULL,
  display_name VARCHAR NOT NULL,
  query_start TIMESTAMP NOT NULL,
  query_end TIMESTAMP NOT NULL,
  alert_json VARCHAR NOT NULL,
  stored_at TIMESTAMP NOT NULL
)`;

export const PLANS_DDL = `CREATE TABLE IF NOT EXISTS ${PLANS_TABLE} (
  plan_key VARCHAR PRIMARY KEY,
  fingerprint VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL,
  template_json VARCHAR NOT NULL
)`;

const timestamp = (micros: number): string => `make_timestamp(${Math.trunc(micros)})`;

export class DuckDbAlertTable implements AlertTable {
  private ready = false;

  constructor(private readonly run: Run) {}

  private async ensure(): Promise<void> {
    if (this.ready) return;
    await this.run(ALERTS_DDL);
    this.ready = true;
  }

  async insertNew(rows: readonly AlertRow[]): Promise<Set<string>> {
    await this.ensure();
    if (rows.length === 0) return new Set();
    const existing = await this.run(`SELECT alert_id FROM ${ALERTS_TABLE} WHERE alert_id IN (${rows.map((r) => quoteString(r.alertId)).join(', ')})`);
    const stored = new Set(existing.rows.map((row) => String(row[0])));
    const fresh = rows.filter((row) => !stored.has(row.alertId));
    if (fresh.length === 0) return new Set();
    const values = fresh.map((r) =>
      [
        quoteString(r.alertId), quoteString(r.ruleId), quoteString(r.ruleVersion), quoteString(r.ruleName), quoteString(r.severity),
        quoteString(r.displayName), timestamp(r.queryStart), timestamp(r.queryEnd), quoteString(r.json), 'current_timestamp::TIMESTAMP',
      ].join(', '),
    );
    await this.run(
      `INSERT INTO ${ALERTS_TABLE}
       SELECT * FROM (VALUES (${values.join('), (')})) AS v(alert_id, rule_id, rule_version, rule_name, severity, display_name, query_start, query_end, alert_json, stored_at)
       WHERE NOT EXISTS (SELECT 1 FROM ${ALERTS_TABLE} AS a WHERE a.alert_id = v.alert_id)`,
    );
    return new Set(fresh.map((row) => row.alertId));
  }

  async list(query: AlertQuery): Promise<string[]> {
    await this.ensure();
    const conditions: string[] = [];
    if (query.sinceMicros !== undefined) conditions.push(`query_end >= ${timestamp(query.sinceMicros)}`);
    if (query.ruleId !== undefined) conditions.push(`rule_id = ${quoteString(query.ruleId)}`);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const result = await this.run(`SELECT alert_json FROM ${ALERTS_TABLE} ${where} ORDER BY query_end, display_name, alert_id`);
    return result.rows.map((row) => String(row[0]));
  }

  async remove(alertIds: readonly string[]): Promise<number> {
    await this.ensure();
    let removed = 0;
    // In slices, so that a statement stays of a reasonable size whatever the number of alerts.
    for (let start = 0; start < alertIds.length; start += 1000) {
      const slice = alertIds.slice(start, start + 1000);
      const result = await this.run(`DELETE FROM ${ALERTS_TABLE} WHERE alert_id IN (${slice.map(quoteString).join(', ')})`);
      removed += Number(result.rows[0]?.[0] ?? 0);
    }
    return removed;
  }

  async lastQueryEnd(ruleId: string, beforeMicros: number): Promise<number | undefined> {
    await this.ensure();
    const result = await this.run(
      `SELECT max(epoch_us(query_end)) FROM ${ALERTS_TABLE} WHERE rule_id = ${quoteString(ruleId)} AND query_end < ${timestamp(beforeMicros)}`,
    );
    const micros = result.rows[0]?.[0];
    return micros === null || micros === undefined ? undefined : Number(micros);
  }
}

export class DuckDbPlanTable implements PlanTable {
  private ready = false;

  constructor(private readonly run: Run) {}

  private async ensure(): Promise<void> {
    if (this.ready) return;
    await this.run(PLANS_DDL);
    this.ready = true;
  }

  async get(key: string): Promise<string | undefined> {
    await this.ensure();
    const result = await this.run(`SELECT template_json FROM ${PLANS_TABLE} WHERE plan_key = ${quoteString(key)}`);
    const json = result.rows[0]?.[0];
    return typeof json === 'string' ? json : undefined;
  }

  async put(key: string, fingerprint: string, templateJson: string): Promise<void> {
    await this.ensure();
    await this.run(`DELETE FROM ${PLANS_TABLE} WHERE fingerprint <> ${quoteString(fingerprint)}`);
    await this.run(
      `INSERT INTO ${PLANS_TABLE} VALUES (${quoteString(key)}, ${quoteString(fingerprint)}, current_timestamp::TIMESTAMP, ${quoteString(templateJson)})
       ON CONFLICT (plan_key) DO NOTHING`,
    );
  }
}
