/**
 * Scoring a rule's daily runs over a lab against the lab's labels.
 *
 * Every result row is one flagged source at one run (what an analyst would triage: the seed rule's rows per
 * source and port count separately, and Sentinel's 150-alert cap is ignored so that a rule flagging thousands of
 * sources is charged for each). A row's source is the address of the rule's IP entity mapping.
 *
 * - An attack is **detected** when some run flags one of its sources on a day it was active (the run at T judges
 *   the UTC day before T).
 * - A **false alert** is a row flagging a source that no attack has. Rows on an attack's source on other days are
 *   counted apart ("late"), neither detections nor false alerts.
 * - False alerts per 1,000 host-days: false alerts × 1000 / (hosts × runs).
 */
import type { KustoValue } from '../alerts/types.js';
import type { EpisodeLabel } from '../demo/lab/episodes.js';
import type { LabManifest } from '../demo/lab/generate.js';
import type { RuleRun } from '../rules/evaluate.js';
import type { Rule } from '../rules/rule.js';

const MICROS_PER_DAY = 86_400_000_000;

export interface FlaggedRow {
  readonly at: string;
  /** The UTC day (lab index) the run judged. */
  readonly day: number;
  readonly source: string;
  readonly row: Readonly<Record<string, KustoValue>>;
}

export interface AttackResult {
  readonly label: EpisodeLabel;
  readonly detected: boolean;
  /** The first run that flagged one of its sources on an active day. */
  readonly detectedAt?: string;
  readonly rows: readonly FlaggedRow[];
}

export interface LookalikeResult {
  readonly label: EpisodeLabel;
  /** Rows flagging its sources on its days. */
  readonly falseAlerts: number;
}

export interface LabScore {
  readonly hosts: number;
  readonly runs: number;
  readonly hostDays: number;
  readonly rows: number;
  readonly attacks: readonly AttackResult[];
  readonly lookalikes: readonly LookalikeResult[];
  readonly falseAlerts: number;
  readonly lateAlerts: number;
  readonly falsePer1000HostDays: number;
  readonly alertsPerDay: number;
  /** The sources with the most false alerts, with what the labels say of them. */
  readonly topFalseSources: ReadonlyArray<{ readonly source: string; readonly alerts: number; readonly lookalike?: string }>;
}

/** The result column that holds the source address: the rule's IP entity `Address` mapping. */
export function sourceColumn(rule: Rule): string {
  for (const mapping of rule.entityMappings) {
    if (mapping.entityType !== 'IP') continue;
    const address = mapping.fieldMappings.find((f) => f.identifier === 'Address');
    if (address) return address.columnName;
  }
  throw new Error(`rule ${rule.id} maps no IP entity Address: the evaluation cannot tell which source it flags`);
}

export function flaggedRows(rule: Rule, runs: readonly RuleRun[], manifest: LabManifest): FlaggedRow[] {
  const column = sourceColumn(rule);
  const start = Date.parse(manifest.period.start) * 1000;
  const rows: FlaggedRow[] = [];
  for (const run of runs) {
    const day = Math.round((run.at.getTime() * 1000 - start) / MICROS_PER_DAY) - 1;
    const seen = new Set<Readonly<Record<string, KustoValue>>>();
    for (const alert of run.alerts) {
      for (const row of alert.rows) {
        if (seen.has(row)) continue;
        seen.add(row);
        rows.push({ at: run.at.toISOString(), day, source: String(row[column] ?? ''), row });
      }
    }
  }
  return rows;
}

export function scoreLab(manifest: LabManifest, rows: readonly FlaggedRow[]): LabScore {
  const attacks = manifest.episodes.filter((e) => e.malicious);
  const lookalikes = manifest.episodes.filter((e) => !e.malicious);
  const attackSources = new Set(attacks.flatMap((a) => a.sources));
  const attackResults = attacks.map((label): AttackResult => {
    const mine = rows.filter((r) => label.sources.includes(r.source) && label.days.includes(r.day));
    const first = mine.map((r) => r.at).sort()[0];
    return { label, detected: mine.length > 0, ...(first ? { detectedAt: first } : {}), rows: mine };
  });
  const falseRows = rows.filter((r) => !attackSources.has(r.source));
  const lookalikeResults = lookalikes.map((label) => ({
    label,
    falseAlerts: falseRows.filter((r) => label.sources.includes(r.source) && label.days.includes(r.day)).length,
  }));
  const detectedRows = new Set(attackResults.flatMap((a) => a.rows));
  const lateAlerts = rows.filter((r) => attackSources.has(r.source) && !detectedRows.has(r)).length;
  const runs = manifest.runTimes.length;
  const hostDays = manifest.hosts.total * runs;
  const bySource = new Map<string, number>();
  for (const r of falseRows) bySource.set(r.source, (bySource.get(r.source) ?? 0) + 1);
  const topFalseSources = [...bySource.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 5)
    .map(([source, alerts]) => {
      const lookalike = lookalikes.find((l) => l.sources.includes(source))?.kind;
      return { source, alerts, ...(lookalike ? { lookalike } : {}) };
    });
  return {
    hosts: manifest.hosts.total,
    runs,
    hostDays,
    rows: rows.length,
    attacks: attackResults,
    lookalikes: lookalikeResults,
    falseAlerts: falseRows.length,
    lateAlerts,
    falsePer1000HostDays: (falseRows.length * 1000) / hostDays,
    alertsPerDay: rows.length / runs,
    topFalseSources,
  };
}
