/**
 * An explanation in words and tables for a terminal. The sentences are built from the figures only, so they hold
 * for any alert of a counting rule; the seed rule's peculiarities (AvgCount is a total) come out of its plan.
 */
import { renderTable } from '../util/table.js';
import type { KustoValue } from '../kql/values.js';
import type { Explanation, MeasureEvidence, Scoring } from './explain.js';

const count = (n: number): string => n.toLocaleString('en-US');
const plural = (n: number, word: string, many = `${word}s`): string => `${count(n)} ${n === 1 ? word : many}`;

export function readable(value: KustoValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number' && !Number.isInteger(value)) return String(Math.round(value * 1000) / 1000);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function seconds(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

/** The alert's custom details (what the rule chose to carry), one line each. */
export function customDetailLines(details: Readonly<Record<string, readonly KustoValue[]>>): string[] {
  return Object.entries(details).map(([key, values]) => `${key}: ${values.map((v) => readable(v)).join(', ')}`);
}

/** Headline sentences about the measured group: what changed, where it went, how much failed. */
export function measureSentences(m: MeasureEvidence): string[] {
  const group = Object.entries(m.keys).map(([k, v]) => `${k}=${readable(v)}`).join(', ');
  const lines: string[] = [];
  const recentDays = Math.max((Date.parse(m.windows.recent.end) - Date.parse(m.windows.recent.start)) / 86_400_000, 1 / 24);
  if (m.totals.baseline !== undefined && m.windows.baseline) {
    const days = m.totals.baselineDays ?? 0;
    const perDay = days > 0 ? m.totals.baseline / days : 0;
    lines.push(
      `${group}: ${plural(m.totals.recent, 'session')} in the recent window [${m.windows.recent.start}, ${m.windows.recent.end}] ` +
        `against a baseline of ${plural(m.totals.baseline, 'session')} in ${plural(days, 'day')} [${m.windows.baseline.start}, ${m.windows.baseline.end}] ` +
        `(${readable(perDay)} a day; the recent window ran at ${perDay > 0 ? `${readable(m.totals.recent / recentDays / perDay)} times that rate` : 'a rate never seen before'}).`,
    );
  } else {
    lines.push(`${group}: ${plural(m.totals.recent, 'session')} in [${m.windows.recent.start}, ${m.windows.recent.end}].`);
  }
  const source = m.sourceKey ? `${readable(m.keys[m.sourceKey])}` : 'the source';
  if (m.windows.baseline) {
    const never = m.neverContacted === null ? '' : ` (${count(m.neverContacted)} never contacted by ${source} on any port in the baseline)`;
    lines.push(
      `${plural(m.destinationCount, 'destination')} in the recent window; ${count(m.newDestinations)} of them ${m.newDestinations === 1 ? 'was' : 'were'} not seen from ${source} in the baseline${never}.`,
    );
  } else {
    lines.push(`${plural(m.destinationCount, 'destination')}.`);
  }
  const unanswered = m.failures.unanswered > 0 ? `; ${count(m.failures.unanswered)} more got no reply (DstPackets 0)` : '';
  lines.push(
    `Failures: ${count(m.failures.failed)} of ${plural(m.failures.sessions, 'session')} (${readable(Math.round(m.failures.share * 1000) / 10)}%) did not succeed (EventResult Failure)${unanswered}.`,
  );
  return lines;
}

/** Longer formulas (a rule building a sentence with strcat) are left to the rule's page; their value is shown. */
const LONGEST_FORMULA = 600;

export function scoringSentences(s: Scoring): string[] {
  return [
    ...s.formulas.map((f) =>
      f.expression.length + f.withValues.length > LONGEST_FORMULA
        ? `${f.field} = ${readable(f.value)} (stage ${f.stage}; its formula is on the rule's page)`
        : `${f.field} = ${f.expression} = ${f.withValues} = ${readable(f.value)} (stage ${f.stage})`,
    ),
    ...s.notes,
    ...s.conditions.map((c) => `Stage ${c.stage} keeps the row: ${c.predicate}, here ${c.withValues}.`),
  ];
}

/** For a seed-rule-like baseline: what the aggregated figure is, in numbers. */
function baselineNote(e: Explanation): string[] {
  const m = e.measure;
  if (!m || m.totals.baseline === undefined || !e.scoring || e.scoring.notes.length === 0) return [];
  const days = m.totals.baselineDays ?? 0;
  return [
    `So the baseline compared with is the ${readable(days)}-day total, ${plural(m.totals.baseline, 'session')}, not a daily average (${readable(days > 0 ? m.totals.baseline / days : 0)}).`,
  ];
}

export function renderExplanationText(e: Explanation): string {
  const a = e.alert;
  const entities = a.entities.map(({ type, ...ids }) => `${type}:${Object.values(ids).join('/')}`).join(' ') || '(none)';
  const lines = [
    `Alert ${a.alertId}`,
    `  ${a.displayName} · ${a.severity} · rule ${e.rule.id}${e.rule.version ? ` v${e.rule.version}` : ''}${Object.keys(a.parameters).length > 0 ? ` (${Object.entries(a.parameters).map(([k, v]) => `${k}=${v}`).join(', ')})` : ''}`,
    `  run at ${seconds(e.at)}, look-back [${seconds(e.window.start)}, ${seconds(e.window.end)}]; entities ${entities}`,
    ...a.rows.slice(0, 3).map((row) => `  row: ${Object.entries(row).map(([k, v]) => `${k}=${readable(v)}`).join(' ')}`),
    ...(a.rows.length > 3 ? [`  (+${a.rows.length - 3} more rows)`] : []),
    ...customDetailLines(a.customDetails).map((l) => `  ${l}`),
    '',
  ];
  if (e.measure) {
    lines.push('What changed', ...measureSentences(e.measure).map((l) => `  ${l}`), '');
  }
  if (e.scoring) {
    lines.push('How the rule scored it', ...[...scoringSentences(e.scoring), ...baselineNote(e)].map((l) => `  ${l}`), '');
  }
  if (e.measure) {
    const m = e.measure;
    lines.push(
      `Sessions per ${m.bucket} (${Object.keys(m.keys).join(', ')} as the rule counts them; zero ${m.bucket}s included)`,
      ...renderTable(
        [m.bucket === 'day' ? 'day starting' : 'hour starting', 'window', 'sessions', 'destinations'],
        m.series.map((p) => [seconds(p.start), p.window, count(p.count), count(p.destinations)]),
        ['left', 'left', 'right', 'right'],
      ).split('\n').map((l) => `  ${l}`),
      '',
      `Destinations in the recent window (${count(m.destinationCount)}${m.destinations.length < m.destinationCount ? `, the ${m.destinations.length} busiest listed` : ''})`,
      ...renderTable(
        ['destination', 'sessions', 'failed', 'no reply', 'first', 'last', 'in baseline', 'contacted before'],
        m.destinations.map((d) => [
          d.address,
          count(d.sessions),
          count(d.failures),
          count(d.unanswered),
          seconds(d.first),
          seconds(d.last),
          d.baselineSessions === 0 ? 'new' : count(d.baselineSessions),
          d.contactedInBaseline === null ? '' : d.contactedInBaseline ? 'yes' : 'never',
        ]),
        ['left', 'right', 'right', 'right', 'left', 'left', 'right', 'left'],
      ).split('\n').map((l) => `  ${l}`),
      '',
    );
  }
  lines.push(
    `Stage counts at ${seconds(e.stages.at)} (rows in → rows out)`,
    ...renderTable(
      ['stage', 'rows in', 'rows out'],
      e.stages.stages.map((s) => [s.stage, s.rowsIn ? s.rowsIn.map(count).join(' + ') : '', count(s.rowsOut)]),
      ['left', 'right', 'right'],
    ).split('\n').map((l) => `  ${l}`),
    '',
    `The rule's stages: smbwatch rules show ${e.rule.id}`,
  );
  return `${lines.join('\n')}\n`;
}
