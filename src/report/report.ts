/**
 * `smbwatch report`: one self-contained HTML file — styles, Apache ECharts, the chart data and the script that
 * draws them are all inside it, and its Content-Security-Policy forbids any fetch — holding the period's alerts
 * (each explained: sentences, its daily chart with the baseline band and the recent window marked, destinations,
 * stage counts), a chart of alerts per day per rule, and the catalog pages of the rules involved.
 */
import { liveFigures } from '../catalog/live.js';
import { catalogPage } from '../catalog/page.js';
import type { Alert } from '../alerts/types.js';
import { explainAlert, type Explanation } from '../explain/explain.js';
import { storedAlerts } from '../explain/find.js';
import { applyParameters } from '../rules/parameters.js';
import type { Rule } from '../rules/rule.js';
import type { Store } from '../store/engine.js';
import { CHARTS_CLIENT, chartDiv, echartsScript, type MultiChart } from '../web/charts.js';
import { count, esc, table } from '../web/html.js';
import { alertSection, catalogSection, STYLES } from '../web/sections.js';

/** Alerts explained in full in one report; the rest are listed. */
export const MAX_EXPLAINED = 50;

export interface ReportOptions {
  readonly from?: Date;
  readonly to?: Date;
  readonly ruleId?: string;
  /** Shown in the header: where the data came from. */
  readonly storeLabel: string;
  readonly generatedAt?: Date;
}

export interface ReportResult {
  readonly html: string;
  readonly alerts: number;
  readonly explained: number;
  readonly rules: number;
}

/** No network: nothing may be fetched; inline scripts and styles only. */
export const REPORT_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

export async function buildReport(store: Pick<Store, 'query' | 'engine' | 'alerts'>, rules: readonly Rule[], options: ReportOptions): Promise<ReportResult> {
  const alerts = await storedAlerts(store, { ...(options.from ? { from: options.from } : {}), ...(options.to ? { to: options.to } : {}), ...(options.ruleId ? { ruleId: options.ruleId } : {}) });
  const byId = new Map(rules.map((r) => [r.id, r]));
  const explained: Array<{ alert: Alert; explanation?: Explanation; problem?: string }> = [];
  for (const alert of alerts.slice(0, MAX_EXPLAINED)) {
    const rule = byId.get(alert.ruleId);
    if (!rule) {
      explained.push({ alert, problem: `rule ${alert.ruleId} is not loaded (give --rules)` });
      continue;
    }
    explained.push({ alert, explanation: await explainAlert(store, rule, alert) });
  }
  const ruleIds = [...new Set([...(options.ruleId ? [options.ruleId.toLowerCase()] : []), ...alerts.map((a) => a.ruleId)])].filter((id) => byId.has(id));
  const catalog: string[] = [];
  for (const id of ruleIds) {
    const rule = byId.get(id)!;
    const page = catalogPage(rule);
    const last = alerts.filter((a) => a.ruleId === id && Object.keys(a.parameters).length === 0).at(-1);
    const live = last ? await liveFigures(store, applyParameters(rule, {}), rule.queryPeriodMs, page.pipeline, new Date(last.queryEndTime)) : undefined;
    catalog.push(catalogSection(page, live, `rule-${id}`));
  }
  const html = document(options, alerts, explained, catalog);
  return { html, alerts: alerts.length, explained: explained.filter((e) => e.explanation).length, rules: ruleIds.length };
}

/** Alerts per UTC day of their run time, per rule, every day of the span (zero days included). */
export function alertsPerDay(alerts: readonly Alert[]): MultiChart {
  const days: string[] = [];
  if (alerts.length > 0) {
    const first = Date.parse(alerts[0]!.queryEndTime.slice(0, 10));
    const last = Math.max(...alerts.map((a) => Date.parse(a.queryEndTime.slice(0, 10))));
    for (let t = first; t <= last; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  }
  const names = [...new Set(alerts.map((a) => `${a.ruleName}${a.ruleVersion ? ` v${a.ruleVersion}` : ''}`))];
  return {
    kind: 'stacked',
    title: 'Alerts per day (run time, UTC) per rule',
    labels: days,
    series: names.map((name) => ({
      name,
      values: days.map((day) => alerts.filter((a) => a.queryEndTime.startsWith(day) && `${a.ruleName}${a.ruleVersion ? ` v${a.ruleVersion}` : ''}` === name).length),
    })),
  };
}

function document(options: ReportOptions, alerts: readonly Alert[], explained: ReadonlyArray<{ alert: Alert; explanation?: Explanation; problem?: string }>, catalog: readonly string[]): string {
  const period = `${options.from ? options.from.toISOString() : 'the first alert'} to ${options.to ? options.to.toISOString() : 'the last alert'}`;
  const list = table(
    ['run time', 'severity', 'alert', 'entities', 'id'],
    alerts.map((a, i) => [
      esc(a.queryEndTime.replace(/\.\d+Z$/, 'Z')),
      esc(a.severity),
      i < MAX_EXPLAINED ? `<a href="#alert-${esc(a.alertId)}">${esc(a.displayName)}</a>` : esc(a.displayName),
      esc(a.entities.map(({ type, ...ids }) => `${type}:${Object.values(ids).join('/')}`).join(' ')),
      `<code>${esc(a.alertId.slice(0, 8))}</code>`,
    ]),
    { html: [0, 1, 2, 3, 4], className: 'alerts' },
  );
  const sections = explained.map(({ alert, explanation, problem }) =>
    explanation
      ? alertSection(explanation, { rule: (id) => `#rule-${id}` }, `alert-${alert.alertId}`)
      : `<section class="alert" id="alert-${esc(alert.alertId)}"><h3>${esc(alert.displayName)}</h3><p class="error">${esc(problem ?? '')}</p></section>`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>smbwatch report</title>
<style>${STYLES}</style>
</head>
<body>
<header class="top"><span class="brand">smbwatch</span><span>report</span></header>
<main>
<h1>Alerts from ${esc(period)}</h1>
<p class="note">Store ${esc(options.storeLabel)} · generated ${esc((options.generatedAt ?? new Date()).toISOString())} · ${count(alerts.length)} alert${alerts.length === 1 ? '' : 's'}${alerts.length > MAX_EXPLAINED ? ` (the first ${MAX_EXPLAINED} explained)` : ''}. Everything in this file works offline.</p>
${alerts.length > 0 ? chartDiv(alertsPerDay(alerts), 'alerts-per-day') : '<p>No alerts in this period.</p>'}
${alerts.length > 0 ? list : ''}
<h2>Alerts</h2>
${sections.join('\n')}
<h2>Rules</h2>
${catalog.join('\n')}
</main>
<script>${echartsScript().replace(/<\/script/gi, '<\\/script')}</script>
<script>${CHARTS_CLIENT}</script>
</body>
</html>
`;
}
