/**
 * The UI's pages as HTML: a layout with the navigation, and one function per page. Data comes in already read;
 * every value is escaped (web/html.ts). Charts are drawn by /assets/charts.js from their inline JSON.
 */
import type { Alert } from '../alerts/types.js';
import { MAX_ALERTS_PER_RUN } from '../alerts/build.js';
import type { LiveFigures } from '../catalog/live.js';
import type { CatalogPage } from '../catalog/page.js';
import type { Explanation } from '../explain/explain.js';
import { readable } from '../explain/render.js';
import { alertsPerDay } from '../report/report.js';
import type { Rule } from '../rules/rule.js';
import { SEVERITIES } from '../rules/rule.js';
import { chartDiv, type MultiChart } from '../web/charts.js';
import { count, esc, table } from '../web/html.js';
import { alertSection, catalogSection, STYLES } from '../web/sections.js';
import type { Sweep } from './backtest.js';

export type Section = 'alerts' | 'rules' | 'backtest' | 'ingest';

export function layout(title: string, here: Section, body: string): string {
  const nav = (
    [['alerts', '/', 'Alerts'], ['rules', '/rules', 'Rules'], ['backtest', '/backtest', 'Backtest'], ['ingest', '/ingest', 'Ingest']] as const
  ).map(([key, href, label]) => `<a href="${href}"${key === here ? ' class="here"' : ''}>${label}</a>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · smbwatch</title><style>${STYLES}</style></head>
<body><header class="top"><span class="brand">smbwatch</span>${nav.join('')}</header>
<main>${body}</main>
<script src="/assets/echarts.js"></script><script src="/assets/charts.js"></script>
</body></html>`;
}

export function errorPage(status: number, message: string): string {
  return layout(`${status}`, 'alerts', `<h1>${status}</h1><p class="error">${esc(message)}</p><p><a href="/">Alerts</a></p>`);
}

const seconds = (iso: string): string => iso.replace(/\.\d+Z$/, 'Z');
const entityText = (a: Alert): string => a.entities.map(({ type, ...ids }) => `${type}:${Object.values(ids).join('/')}`).join(' ');

export interface AlertFilters {
  readonly rule?: string;
  readonly severity?: string;
  readonly from?: string;
  readonly to?: string;
  readonly entity?: string;
}

export function alertsPage(alerts: readonly Alert[], rules: readonly Rule[], filters: AlertFilters, total: number): string {
  const option = (value: string, label: string, selected: string | undefined): string => `<option value="${esc(value)}"${value === selected ? ' selected' : ''}>${esc(label)}</option>`;
  const form = `<form class="filters" method="get" action="/">
<label>rule<select name="rule">${option('', 'any', filters.rule)}${rules.map((r) => option(r.id, `${r.name}${r.version ? ` v${r.version}` : ''}`, filters.rule)).join('')}</select></label>
<label>severity<select name="severity">${option('', 'any', filters.severity)}${SEVERITIES.map((s) => option(s, s, filters.severity)).join('')}</select></label>
<label>from (run time)<input name="from" placeholder="2025-02-01T00:00:00Z" value="${esc(filters.from ?? '')}"></label>
<label>to<input name="to" placeholder="2025-02-28T00:00:00Z" value="${esc(filters.to ?? '')}"></label>
<label>entity<input name="entity" placeholder="10.10.19.24" value="${esc(filters.entity ?? '')}"></label>
<button type="submit">Filter</button></form>`;
  const rows = alerts.map((a) => [
    esc(seconds(a.queryEndTime)),
    `<span class="sev sev-${esc(a.severity.toLowerCase())}">${esc(a.severity)}</span>`,
    `<a class="alert-link" href="/alerts/${esc(a.alertId)}">${esc(a.displayName)}</a>`,
    esc(entityText(a)),
    esc(a.rows[0] ? Object.entries(a.rows[0]).map(([k, v]) => `${k}=${readable(v)}`).join(' ') : ''),
    `<a href="/rules/${esc(a.ruleId)}?at=${esc(encodeURIComponent(a.queryEndTime))}">${esc(a.ruleId.slice(0, 8))}</a>`,
    `<code>${esc(a.alertId.slice(0, 8))}</code>`,
  ]);
  return layout(
    'Alerts',
    'alerts',
    `<h1>Alerts</h1>${form}
<p class="note" id="alert-count">${count(alerts.length)} of ${count(total)} stored alert${total === 1 ? '' : 's'}</p>
${alerts.length > 0 ? chartDiv(alertsPerDay(alerts), 'alerts-per-day') : ''}
${table(['run time', 'severity', 'alert', 'entities', 'result', 'rule', 'id'], rows, { html: [0, 1, 2, 3, 4, 5, 6], className: 'alerts' })}`,
  );
}

export function alertPage(e: Explanation): string {
  return layout(e.alert.displayName, 'alerts', `<p><a href="/">← Alerts</a></p>${alertSection(e, { rule: (id) => `/rules/${id}?at=${encodeURIComponent(e.at)}` }, 'alert')}`);
}

export function rulesPage(rules: readonly Rule[]): string {
  return layout(
    'Rules',
    'rules',
    `<h1>Rules</h1>${table(
      ['rule', 'severity', 'schedule', 'source'],
      rules.map((r) => [`<a href="/rules/${esc(r.id)}">${esc(r.name)}${r.version ? ` v${esc(r.version)}` : ''}</a>`, esc(r.severity), esc(`every ${r.queryFrequency}, look back ${r.queryPeriod}`), esc(r.source)]),
      { html: [0, 1, 2, 3], className: 'rules' },
    )}`,
  );
}

export function rulePage(page: CatalogPage, live: LiveFigures | undefined, at: string | undefined): string {
  const form = `<form class="filters" method="get"><label>live stage counts at (run time)<input name="at" value="${esc(at ?? '')}" placeholder="2025-02-19T00:00:00Z"></label><button type="submit">Count</button></form>`;
  return layout(page.rule.name, 'rules', `${form}${live ? '' : '<p class="note">Give a run time to count the rows entering and leaving each stage.</p>'}${catalogSection(page, live, 'rule')}`);
}

export interface BacktestForm {
  readonly rule?: string;
  readonly from?: string;
  readonly to?: string;
  readonly param?: string;
  readonly values?: string;
}

export function backtestPage(rules: readonly Rule[], numeric: ReadonlyMap<string, readonly string[]>, form: BacktestForm, sweep: Sweep | undefined, problem: string | undefined): string {
  const ruleOptions = rules.map((r) => `<option value="${esc(r.id)}"${r.id === form.rule ? ' selected' : ''}>${esc(r.name)}${r.version ? ` v${esc(r.version)}` : ''}</option>`).join('');
  const params = [...new Set([...numeric.values()].flat())];
  const formHtml = `<form class="filters" id="backtest-form" method="get" action="/backtest">
<label>rule<select name="rule">${ruleOptions}</select></label>
<label>from<input name="from" value="${esc(form.from ?? '')}" placeholder="2025-02-10T00:00:00Z"></label>
<label>to<input name="to" value="${esc(form.to ?? '')}" placeholder="2025-02-19T00:00:00Z"></label>
<label>parameter<select name="param">${params.map((p) => `<option${p === form.param ? ' selected' : ''}>${esc(p)}</option>`).join('')}</select></label>
<label>values (comma-separated)<input name="values" value="${esc(form.values ?? '')}" placeholder="50, 20, 5"></label>
<button type="submit">Run backtest</button></form>`;
  let result = '';
  if (sweep) {
    const chart: MultiChart = {
      kind: 'lines',
      title: `Alerts per run, by ${sweep.parameter}`,
      labels: sweep.times.map((t) => t.replace(/:00\.000Z$/, '').replace('T00:00', '')),
      series: sweep.values.map((v, i) => ({ name: `${sweep.parameter}=${v}`, values: sweep.alerts[i] ?? [] })),
    };
    const sum = (values: readonly number[] | undefined): number => (values ?? []).reduce((a, b) => a + b, 0);
    const totals = sweep.values.map((v, i) => {
      const raised = sweep.entities[i] ?? [];
      return [
        `${sweep.parameter}=${v}`,
        count(sum(sweep.alerts[i])),
        count((sweep.alerts[i] ?? []).filter((n) => n > 0).length),
        count(sum(sweep.rows[i])),
        `${raised.slice(0, 10).join(' ')}${raised.length > 10 ? ` (+${count(raised.length - 10)} more)` : ''}`,
      ];
    });
    result =
      `${chartDiv(chart, 'sweep')}<p class="note">A run raises at most ${MAX_ALERTS_PER_RUN} alerts, as in Sentinel (with one alert per result row, the last one covers the rest); result rows are not capped.</p>` +
      `<h4>Totals over ${count(sweep.times.length)} runs</h4>${table(['value', 'alerts', 'runs alerting', 'result rows', 'entities'], totals, { numeric: [1, 2, 3], className: 'sweep' })}`;
  }
  return layout(
    'Backtest',
    'backtest',
    `<h1>Backtest and tuning</h1><p class="note">Runs the rule at every scheduled time in the range, once per value of the parameter, reading the store only (nothing is stored).</p>${formHtml}${problem ? `<p class="error">${esc(problem)}</p>` : ''}${result}`,
  );
}

export interface IngestData {
  readonly records: number;
  readonly first?: string;
  readonly last?: string;
  readonly inputs: number;
  readonly rejects: number;
  readonly perDay: MultiChart;
  readonly products: ReadonlyArray<readonly string[]>;
  readonly rejectRows: ReadonlyArray<readonly string[]>;
}

export function ingestPage(d: IngestData): string {
  return layout(
    'Ingest',
    'ingest',
    `<h1>Ingest status</h1>
<dl class="facts"><dt>records</dt><dd id="records">${count(d.records)}</dd><dt>time span</dt><dd>${esc(d.first ?? '—')} to ${esc(d.last ?? '—')}</dd><dt>inputs ingested</dt><dd>${count(d.inputs)}</dd><dt>rejected lines</dt><dd>${count(d.rejects)}</dd></dl>
${d.perDay.labels.length > 0 ? chartDiv(d.perDay, 'records-per-day') : ''}
<h4>Sources</h4>${table(['vendor', 'product', 'event type', 'records', 'first', 'last'], d.products, { numeric: [3], className: 'products' })}
<h4>Rejects (first 50)</h4>${table(['input', 'line', 'field', 'reason'], d.rejectRows, { numeric: [1], className: 'rejects' })}`,
  );
}
