/**
 * EVALUATION.md: every rule side by side, per family (the held-out family reported apart), per attack kind, per
 * look-alike, per lab, and every miss with its reason.
 */
import { ATTACK_KINDS, BENIGN_KINDS } from '../demo/lab/episodes.js';
import type { LabFamily } from '../demo/lab/profile.js';
import type { Evaluation, LabEvaluation } from './run.js';

export interface ReportContext {
  readonly generatedAt: Date;
  readonly machine: string;
  readonly command: string;
}

interface Totals {
  attacks: number;
  detected: number;
  falseAlerts: number;
  hostDays: number;
  rows: number;
  runs: number;
}

export function renderEvaluation(evaluation: Evaluation, context: ReportContext): string {
  const out: string[] = [];
  const families = (['dev', 'holdout'] as const).filter((f) => evaluation.labs.some((l) => l.spec.family === f));
  out.push('# Evaluation', '');
  out.push(
    `Produced by \`${context.command}\` on ${context.generatedAt.toISOString().slice(0, 10)} (${context.machine}) in ` +
      `${Math.round(evaluation.seconds)} s: ${evaluation.labs.length} labeled lab networks, ${evaluation.rules.length} rules, ` +
      `each rule backtested day by day over every lab. How the labs are built and scored: docs/detector.md, "Evaluation".`,
    '',
  );
  out.push('Rules:', '');
  for (const rule of evaluation.rules) {
    const params = Object.entries(rule.parameters).map(([k, v]) => `${k}=${v}`).join(', ');
    out.push(`- **${rule.key}**: ${rule.title} — \`${rule.id}\` v${rule.version}${params ? ` with ${params}` : ''}`);
  }
  out.push('');
  for (const family of families) {
    const labs = evaluation.labs.filter((l) => l.spec.family === family);
    out.push(`## ${familyTitle(family)}`, '');
    out.push(familyNote(family, labs), '');
    out.push(table(['rule', 'attacks detected', 'recall', 'false alerts', 'false / 1,000 host-days', 'alerts / day'],
      evaluation.rules.map((rule) => {
        const t = totals(labs, rule.key);
        return [rule.key, `${t.detected} / ${t.attacks}`, percent(t.detected, t.attacks), String(t.falseAlerts), fixed((t.falseAlerts * 1000) / t.hostDays, 3), fixed(t.rows / t.runs, 1)];
      })));
    out.push('');
  }
  out.push('## Attacks by kind (detected / planted, all labs)', '');
  out.push(table(['attack', ...evaluation.rules.map((r) => r.key)], ATTACK_KINDS.map((kind) => [kind, ...evaluation.rules.map((rule) => {
    const results = evaluation.labs.flatMap((lab) => lab.rules.find((r) => r.key === rule.key)!.score.attacks.filter((a) => a.label.kind === kind));
    return `${results.filter((a) => a.detected).length} / ${results.length}`;
  })])));
  out.push('');
  out.push('## Benign look-alikes (false alerts on their sources and days, all labs)', '');
  out.push(table(['look-alike', ...evaluation.rules.map((r) => r.key)], BENIGN_KINDS.map((kind) => [kind, ...evaluation.rules.map((rule) => {
    const results = evaluation.labs.flatMap((lab) => lab.rules.find((r) => r.key === rule.key)!.score.lookalikes.filter((l) => l.label.kind === kind));
    return String(results.reduce((n, l) => n + l.falseAlerts, 0));
  })])));
  out.push('');
  out.push('## Labs', '');
  out.push(table(
    ['lab', 'hosts', 'sensors', 'records', 'generate s', 'ingest s', ...evaluation.rules.map((r) => `${r.key}: found, false/1k, s`)],
    evaluation.labs.map((lab) => [
      lab.id, String(lab.manifest.hosts.total), lab.spec.sensors, lab.records.toLocaleString('en-US'), fixed(lab.seconds.generate, 0), fixed(lab.seconds.ingest, 0),
      ...evaluation.rules.map((rule) => {
        const r = lab.rules.find((x) => x.key === rule.key)!;
        return `${r.score.attacks.filter((a) => a.detected).length}/${r.score.attacks.length}, ${fixed(r.score.falsePer1000HostDays, 2)}, ${fixed(r.seconds, 1)}`;
      }),
    ]),
  ));
  out.push('');
  out.push('## Misses and why', '');
  for (const rule of evaluation.rules) {
    const misses = evaluation.labs.flatMap((lab) => Object.entries(lab.rules.find((r) => r.key === rule.key)!.misses).map(([id, why]) => `- \`${id}\`: ${why}`));
    out.push(`### ${rule.key} (${misses.length})`, '');
    out.push(...(misses.length > 0 ? misses : ['None.']), '');
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

function familyTitle(family: LabFamily): string {
  return family === 'dev' ? 'Development labs (the detector was tuned on these)' : 'Held-out labs (never used for tuning)';
}

function familyNote(family: LabFamily, labs: readonly LabEvaluation[]): string {
  const sizes = labs.map((l) => l.spec.workstations).join(', ');
  const hostDays = labs.reduce((n, l) => n + l.manifest.hosts.total * l.manifest.runTimes.length, 0);
  return `${labs.length} labs (seeds ${labs.map((l) => l.spec.seed).join(', ')}; ${sizes} workstations; sensors ${[...new Set(labs.map((l) => l.spec.sensors))].join(', ')}), ` +
    `${hostDays.toLocaleString('en-US')} host-days${family === 'holdout' ? '; other time zones, work weeks, habits and noise levels than the development family' : ''}.`;
}

function totals(labs: readonly LabEvaluation[], key: string): Totals {
  const t: Totals = { attacks: 0, detected: 0, falseAlerts: 0, hostDays: 0, rows: 0, runs: 0 };
  for (const lab of labs) {
    const score = lab.rules.find((r) => r.key === key)!.score;
    t.attacks += score.attacks.length;
    t.detected += score.attacks.filter((a) => a.detected).length;
    t.falseAlerts += score.falseAlerts;
    t.hostDays += score.hostDays;
    t.rows += score.rows;
    t.runs += score.runs;
  }
  return t;
}

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|');
  return [`| ${header.map(escape).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(escape).join(' | ')} |`)].join('\n');
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '—' : `${((100 * part) / whole).toFixed(1)}%`;
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}
