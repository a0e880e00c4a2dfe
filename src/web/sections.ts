/**
 * Page sections shared by the report and the UI: an alert's explanation (sentences, chart, destinations, stage
 * counts) and a rule's catalog page (stages with live counts, indicators, output fields).
 */
import type { LiveFigures } from '../catalog/live.js';
import type { CatalogPage } from '../catalog/page.js';
import { pageTables } from '../catalog/render.js';
import type { Explanation } from '../explain/explain.js';
import { customDetailLines, measureSentences, readable, scoringSentences } from '../explain/render.js';
import { chartDiv, seriesChart } from './charts.js';
import { count, esc, table } from './html.js';

export interface SectionLinks {
  /** The href of a rule's page (UI), or of its section (report). */
  readonly rule: (id: string) => string;
}

const seconds = (iso: string): string => iso.replace(/\.\d+Z$/, 'Z');

/** The destinations listed on a page (the busiest); the counts above cover all. */
const SHOWN_DESTINATIONS = 25;

export function alertSection(e: Explanation, links: SectionLinks, id: string): string {
  const a = e.alert;
  const entities = a.entities.map(({ type, ...ids }) => `${type}:${Object.values(ids).join('/')}`).join(' ');
  const parts = [
    `<section class="alert" id="${esc(id)}">`,
    `<h3>${esc(a.displayName)} <span class="sev sev-${esc(a.severity.toLowerCase())}">${esc(a.severity)}</span></h3>`,
    `<p class="meta">Alert <code>${esc(a.alertId)}</code> · rule <a href="${esc(links.rule(a.ruleId))}">${esc(e.rule.name)}${e.rule.version ? ` v${esc(e.rule.version)}` : ''}</a>` +
      ` · run at ${esc(seconds(e.at))} · look-back [${esc(seconds(e.window.start))}, ${esc(seconds(e.window.end))}] · ${esc(entities)}</p>`,
    table(Object.keys(a.rows[0] ?? {}), a.rows.slice(0, 10).map((row) => Object.values(row).map((v) => readable(v))), { className: 'row' }),
  ];
  const details = customDetailLines(a.customDetails);
  if (details.length > 0) parts.push(`<h4>Custom details</h4><ul class="details">${details.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>`);
  if (e.measure) {
    const m = e.measure;
    parts.push(`<ul class="facts">${measureSentences(m).map((s) => `<li>${esc(s)}</li>`).join('')}</ul>`);
    parts.push(chartDiv(seriesChart(`Sessions per ${m.bucket}, ${Object.entries(m.keys).map(([k, v]) => `${k}=${readable(v)}`).join(', ')}`, m.series), `${id}-series`));
  }
  if (e.scoring) parts.push(`<h4>How the rule scored it</h4><ul class="scoring">${scoringSentences(e.scoring).map((s) => `<li>${esc(s)}</li>`).join('')}</ul>`);
  if (e.measure) {
    const m = e.measure;
    const shown = m.destinations.slice(0, SHOWN_DESTINATIONS);
    parts.push(
      `<h4>Destinations in the recent window (${count(m.destinationCount)}${shown.length < m.destinationCount ? `, the ${shown.length} busiest` : ''})</h4>`,
      table(
        ['destination', 'sessions', 'failed', 'no reply', 'first', 'last', 'in baseline', 'contacted before'],
        shown.map((d) => [
          d.address, count(d.sessions), count(d.failures), count(d.unanswered), seconds(d.first), seconds(d.last),
          d.baselineSessions === 0 ? 'new' : count(d.baselineSessions),
          d.contactedInBaseline === null ? '' : d.contactedInBaseline ? 'yes' : 'never',
        ]),
        { numeric: [1, 2, 3, 6], className: 'destinations' },
      ),
    );
  }
  parts.push(
    `<h4>Stage counts at ${esc(seconds(e.stages.at))}</h4>`,
    table(['stage', 'rows in', 'rows out'], e.stages.stages.map((s) => [s.stage, s.rowsIn ? s.rowsIn.map(count).join(' + ') : '', count(s.rowsOut)]), { numeric: [1, 2], className: 'stage-counts' }),
    '</section>',
  );
  return parts.join('\n');
}

export function catalogSection(page: CatalogPage, live: LiveFigures | undefined, id: string): string {
  const t = pageTables(page, live);
  const facts: Array<[string, string]> = [
    ['id', page.rule.id],
    ['severity', page.rule.severity],
    ['MITRE ATT&CK', [page.mitre.tactics.join(', '), page.mitre.techniques.join(', ')].filter((s) => s).join(' · ')],
    ['schedule', page.schedule.text],
    ['trigger', `result rows ${page.trigger.operator} ${page.trigger.threshold}, ${page.trigger.aggregationKind}`],
    ['entities', page.entities.map((e) => `${e.type}: ${e.fields.map((f) => `${f.identifier} ← ${f.column}`).join(', ')}`).join('; ')],
  ];
  const stageIndex = t.stages.headers.indexOf('KQL');
  return [
    `<section class="rule" id="${esc(id)}">`,
    `<h3>${esc(page.rule.name)}${page.rule.version ? ` v${esc(page.rule.version)}` : ''}</h3>`,
    `<p>${esc(page.rule.description)}</p>`,
    `<dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`,
    '<h4>Parameters</h4>', table(t.parameters.headers, t.parameters.rows, { className: 'parameters' }),
    `<h4>Stages${live ? ` — live at ${esc(seconds(live.at))}` : ''}</h4>`,
    table(t.stages.headers, t.stages.rows.map((r) => r.map((c, i) => (i === stageIndex ? c : c.trim()))), { numeric: live ? [4, 5] : [], className: 'stages' }),
    '<h4>Indicators</h4>', table(t.indicators.headers, t.indicators.rows, { className: 'indicators' }),
    '<h4>Output fields</h4>', table(t.outputs.headers, t.outputs.rows, { className: 'outputs' }),
    '</section>',
  ].join('\n');
}

export const STYLES = `
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --accent: #5b7aa8; --alarm: #d1495b; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0; }
header.top { background: #243b53; color: #fff; padding: 10px 24px; display: flex; gap: 24px; align-items: baseline; }
header.top a { color: #d9e2ec; text-decoration: none; } header.top a.here { color: #fff; font-weight: 600; }
header.top .brand { font-weight: 700; font-size: 16px; color: #fff; }
main { padding: 16px 24px 48px; max-width: 1200px; }
h1 { font-size: 22px; } h2 { font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; margin-top: 32px; }
h3 { font-size: 16px; margin-bottom: 4px; } h4 { font-size: 14px; margin: 16px 0 6px; color: var(--muted); }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 10px 3px 0; text-align: left; vertical-align: top; }
th { color: var(--muted); font-weight: 600; } td.num, th.num { text-align: right; white-space: nowrap; }
table.stages td:nth-child(4) { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.meta { color: var(--muted); margin-top: 0; }
.sev { font-size: 12px; padding: 1px 6px; border-radius: 3px; background: #e4e7eb; }
.sev-high { background: #f8d7da; } .sev-medium { background: #fde8c8; } .sev-low { background: #e3f0d8; }
section.alert, section.rule { border-top: 1px solid var(--line); padding-top: 8px; margin-top: 24px; }
figure.chart { margin: 8px 0 12px; } figure.chart figcaption { color: var(--muted); font-size: 13px; }
.chart-canvas { width: 100%; max-width: 900px; height: 280px; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end; margin: 8px 0 16px; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
form.filters input, form.filters select { font: inherit; padding: 3px 6px; }
.error { color: var(--alarm); } .note { color: var(--muted); }
`;
