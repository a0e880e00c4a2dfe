/**
 * Charts for the report and the UI, drawn in the browser by Apache ECharts (bundled with the package: the report
 * inlines it, the UI serves it; nothing is fetched from the network). The server writes each chart as a <div>
 * holding its data as JSON; `CHARTS_CLIENT` turns every such <div> into a chart and marks it `data-rendered`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { esc, json } from './html.js';

/** Daily (or hourly) counts of one group, the rule's baseline and recent windows told apart. */
export interface SeriesChart {
  readonly kind: 'series';
  readonly title: string;
  readonly labels: readonly string[];
  readonly values: readonly number[];
  readonly windows: readonly string[];
  /** Distinct destinations per bucket, drawn as a line over the bars. */
  readonly destinations?: readonly number[];
  /** The baseline's per-bucket range (min–max) and mean, drawn as a band and a line. */
  readonly band?: { readonly low: number; readonly high: number; readonly mean: number };
}

/** Several named series over the same labels: stacked bars (alerts per day per rule) or lines (a tuning sweep). */
export interface MultiChart {
  readonly kind: 'stacked' | 'lines';
  readonly title: string;
  readonly labels: readonly string[];
  readonly series: ReadonlyArray<{ readonly name: string; readonly values: readonly number[] }>;
}

export type ChartSpec = SeriesChart | MultiChart;

/** The <div> of a chart: its data inline, drawn by the client script. `data-points` is the number of labels. */
export function chartDiv(spec: ChartSpec, id: string): string {
  return (
    `<figure class="chart" id="${esc(id)}" data-kind="${spec.kind}" data-points="${spec.labels.length}">` +
    `<figcaption>${esc(spec.title)}</figcaption><div class="chart-canvas"></div>` +
    `<script type="application/json" class="chart-data">${json(spec)}</script></figure>`
  );
}

/** A series chart from explain's buckets: the baseline band from the baseline buckets. */
export function seriesChart(title: string, points: ReadonlyArray<{ start: string; count: number; window: string; destinations?: number }>): SeriesChart {
  const baseline = points.filter((p) => p.window === 'baseline').map((p) => p.count);
  const band =
    baseline.length === 0
      ? undefined
      : { low: Math.min(...baseline), high: Math.max(...baseline), mean: baseline.reduce((a, b) => a + b, 0) / baseline.length };
  return {
    kind: 'series',
    title,
    labels: points.map((p) => p.start.slice(0, p.start.endsWith('T00:00:00Z') ? 10 : 16)),
    values: points.map((p) => p.count),
    windows: points.map((p) => p.window),
    ...(points.every((p) => p.destinations !== undefined) ? { destinations: points.map((p) => p.destinations ?? 0) } : {}),
    ...(band ? { band } : {}),
  };
}

let echartsSource: string | undefined;

/** ECharts' prebuilt bundle (line, bar and the common components), from the installed package. */
export function echartsScript(): string {
  if (echartsSource === undefined) {
    const require = createRequire(import.meta.url);
    echartsSource = readFileSync(require.resolve('echarts/dist/echarts.common.min.js'), 'utf8');
  }
  return echartsSource;
}

/** The browser side: draws every `.chart` of the page with the SVG renderer. Plain ES5, no imports. */
export const CHARTS_CLIENT = String.raw`
(function () {
  var COLORS = { baseline: '#5b7aa8', recent: '#d1495b', 'look-back': '#9aa5b1' };
  function seriesOption(spec) {
    var data = spec.values.map(function (v, i) {
      return { value: v, itemStyle: { color: COLORS[spec.windows[i]] || '#9aa5b1' } };
    });
    var bar = { type: 'bar', name: 'sessions', data: data, barCategoryGap: '20%', barMaxWidth: 48 };
    var recent = [];
    spec.windows.forEach(function (w, i) { if (w === 'recent') recent.push(spec.labels[i]); });
    if (recent.length > 0) {
      bar.markArea = { silent: true, itemStyle: { color: 'rgba(209,73,91,0.08)' }, label: { show: true, position: 'insideTop', color: '#d1495b' },
        data: [[{ name: 'recent', xAxis: recent[0] }, { xAxis: recent[recent.length - 1] }]] };
    }
    var series = [bar];
    if (spec.band) {
      bar.markLine = { silent: true, symbol: 'none', lineStyle: { color: '#5b7aa8', type: 'dashed' },
        label: { formatter: 'baseline mean {c}', position: 'insideEndTop' }, data: [{ yAxis: Math.round(spec.band.mean * 100) / 100 }] };
      series.push({ type: 'line', name: 'baseline range', data: [], markArea: { silent: true, itemStyle: { color: 'rgba(91,122,168,0.15)' },
        data: [[{ yAxis: spec.band.low }, { yAxis: spec.band.high }]] } });
    }
    if (spec.destinations) {
      series.push({ type: 'line', name: 'destinations', data: spec.destinations, symbolSize: 6, lineStyle: { color: '#2a9d8f' }, itemStyle: { color: '#2a9d8f' } });
      return { legend: { top: 0, data: ['sessions', 'destinations'] }, series: series };
    }
    return { series: series };
  }
  function multiOption(spec) {
    return { legend: { top: 0 }, series: spec.series.map(function (s) {
      return spec.kind === 'stacked' ? { type: 'bar', stack: 'all', name: s.name, data: s.values, barMaxWidth: 48 } : { type: 'line', name: s.name, data: s.values, symbolSize: 6 };
    }) };
  }
  function draw(figure) {
    var spec = JSON.parse(figure.querySelector('.chart-data').textContent);
    var canvas = figure.querySelector('.chart-canvas');
    var chart = echarts.init(canvas, null, { renderer: 'svg' });
    var option = spec.kind === 'series' ? seriesOption(spec) : multiOption(spec);
    option.animation = false;
    option.grid = { left: 48, right: 16, top: 32, bottom: 56 };
    option.tooltip = { trigger: 'axis' };
    option.xAxis = { type: 'category', data: spec.labels, axisLabel: { rotate: spec.labels.length > 8 ? 45 : 0 } };
    option.yAxis = { type: 'value', minInterval: 1 };
    chart.setOption(option);
    figure.setAttribute('data-rendered', 'true');
  }
  function drawAll() {
    var figures = document.querySelectorAll('figure.chart');
    for (var i = 0; i < figures.length; i++) draw(figures[i]);
    document.documentElement.setAttribute('data-charts', String(figures.length));
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', drawAll); else drawAll();
})();
`;
