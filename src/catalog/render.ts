/**
 * A catalog page as text for a terminal and as Markdown for a wiki; JSON is the page object itself.
 */
import { renderTable } from '../util/table.js';
import type { LiveFigures, StageCount } from './live.js';
import type { CatalogPage } from './page.js';
import { allStages, type Stage } from './pipeline.js';

const count = (n: number): string => n.toLocaleString('en-US');

/** Rows for the tables shared by both renderings. */
export function pageTables(page: CatalogPage, live?: LiveFigures) {
  const figures = new Map((live?.stages ?? []).map((s) => [s.stage, s]));
  const stageRow = (stage: Stage): string[] => {
    const depth = stage.number.split('.').length - 1;
    const row = [`${'  '.repeat(depth)}${stage.number}`, stage.kind, stage.let ?? '', stage.kql];
    return live ? [...row, rowsIn(figures.get(stage.number)), outCount(figures.get(stage.number))] : row;
  };
  return {
    parameters: {
      headers: ['name', 'type', 'value', 'as written'],
      rows: page.parameters.map((p) => [p.name, p.kustoType, p.value, p.defaultText]),
    },
    lets: {
      headers: ['let', 'kind', 'derives from', 'reads', 'KQL'],
      rows: page.lets.map((l) => [l.name, l.kind === 'scalar' ? l.type : l.kind, l.derivesFrom.join(', '), l.reads.join(', '), l.kql]),
    },
    stages: {
      headers: live ? ['stage', 'kind', 'let', 'KQL', 'rows in', 'rows out'] : ['stage', 'kind', 'let', 'KQL'],
      rows: allStages(page.pipeline).map(stageRow),
    },
    indicators: {
      headers: ['field', 'kind', 'operator', 'values', 'stages'],
      rows: page.indicators.map((i) => [i.field, i.kind, i.operator, i.values.join(', '), i.stages.join(', ')]),
    },
    outputs: {
      headers: ['field', 'type', 'stage', 'produced by'],
      rows: page.outputFields.map((f) => [f.name, f.type, f.stage, f.expression === undefined ? `${f.stageKind} (table column)` : `${f.stageKind}: ${f.expression}`]),
    },
  };
}

function rowsIn(figure: StageCount | undefined): string {
  return figure?.rowsIn ? figure.rowsIn.map(count).join(' + ') : '';
}

function outCount(figure: StageCount | undefined): string {
  return figure ? count(figure.rowsOut) : '';
}

function entityText(page: CatalogPage): string {
  return page.entities.map((e) => `${e.type}: ${e.fields.map((f) => `${f.identifier} ← ${f.column}`).join(', ')}`).join('; ') || '(none)';
}

function headerLines(page: CatalogPage): Array<[string, string]> {
  const details = Object.entries(page.customDetails).map(([k, v]) => `${k} ← ${v}`).join(', ');
  return [
    ['id', page.rule.id],
    ['severity', page.rule.severity],
    ['source', page.rule.source],
    ['MITRE ATT&CK', [page.mitre.tactics.join(', '), page.mitre.techniques.join(', ')].filter((s) => s !== '').join(' · ') || '(none)'],
    ['schedule', `${page.schedule.text} (queryFrequency ${page.schedule.queryFrequency}, queryPeriod ${page.schedule.queryPeriod})`],
    ['suppression', page.schedule.suppression ?? 'off'],
    ['trigger', `result rows ${page.trigger.operator} ${page.trigger.threshold}; ${page.trigger.aggregationKind === 'AlertPerResult' ? 'one alert per result row' : 'one alert per run'} (${page.trigger.aggregationKind})`],
    ['entities', entityText(page)],
    ['custom details', details || '(none)'],
  ];
}

function title(page: CatalogPage): string {
  return `${page.rule.name}${page.rule.version ? ` v${page.rule.version}` : ''}`;
}

function liveLine(live: LiveFigures): string {
  return `Live figures at ${live.at} over the look-back [${live.window.start}, ${live.window.end}]`;
}

export function renderPageText(page: CatalogPage, live?: LiveFigures): string {
  const t = pageTables(page, live);
  const width = Math.max(...headerLines(page).map(([k]) => k.length));
  const section = (name: string, table: { headers: string[]; rows: string[][] }): string[] =>
    table.rows.length === 0 ? [name, '  (none)', ''] : [name, ...renderTable(table.headers, table.rows).split('\n').map((l) => `  ${l}`), ''];
  const overrides = Object.entries(page.overrides).map(([k, v]) => `${k}=${v}`);
  return [
    title(page),
    '',
    ...page.rule.description.split('\n').map((l) => l.trim()).filter((l) => l !== ''),
    '',
    ...headerLines(page).map(([k, v]) => `${k.padEnd(width)}  ${v}`),
    ...(overrides.length > 0 ? [`${'overrides'.padEnd(width)}  ${overrides.join(', ')}`] : []),
    '',
    ...section('Parameters (top-level lets with a literal value; --param NAME=VALUE overrides)', t.parameters),
    ...section('Let bindings', t.lets),
    ...section(live ? `Stages (main pipeline, from the source). ${liveLine(live)}` : 'Stages (main pipeline, from the source)', t.stages),
    ...section('Indicators (field · kind · values)', t.indicators),
    ...section('Output fields', t.outputs),
  ].join('\n');
}

function markdownTable(table: { headers: string[]; rows: string[][] }): string[] {
  if (table.rows.length === 0) return ['(none)', ''];
  const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  // GFM splits table cells at `|` even inside code spans; `\|` there shows as `|`.
  const code = (s: string, column: string): string => (['KQL', 'produced by'].includes(column) && s !== '' ? `\`${cell(s.replace(/`/g, "'"))}\`` : cell(s));
  return [
    `| ${table.headers.join(' | ')} |`,
    `|${table.headers.map(() => '---').join('|')}|`,
    ...table.rows.map((row) => `| ${row.map((c, i) => code(c.trim(), table.headers[i] ?? '')).join(' | ')} |`),
    '',
  ];
}

export function renderPageMarkdown(page: CatalogPage, live?: LiveFigures): string {
  const t = pageTables(page, live);
  return [
    `# ${title(page)}`,
    '',
    page.rule.description.split('\n').map((l) => l.trim()).filter((l) => l !== '').join(' '),
    '',
    '| | |',
    '|---|---|',
    ...headerLines(page).map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`),
    '',
    '## Parameters',
    '',
    ...markdownTable(t.parameters),
    '## Let bindings',
    '',
    ...markdownTable(t.lets),
    '## Stages',
    '',
    ...(live ? [`${liveLine(live)}.`, ''] : []),
    ...markdownTable(t.stages),
    '## Indicators',
    '',
    ...markdownTable(t.indicators),
    '## Output fields',
    '',
    ...markdownTable(t.outputs),
  ].join('\n');
}
