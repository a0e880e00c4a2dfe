/**
 * Running summary rules into the store, as Sentinel does: each rule once per bin of `binSize` minutes, aligned to
 * the epoch, `binDelay` minutes after the bin ends, with `now()` at that moment; the rows go to the rule's
 * destination table with the fields Log Analytics adds (`Type`, `_RuleName`, `_BinSize`, `_BinStartTime`). A bin run
 * again replaces its rows (idempotent), so `watch` restarted, or `smbwatch summarize` over a range, never doubles one.
 *
 * The query is compiled against the store's catalog like a rule (the solution's per-source parsers: smbwatch's one
 * ASIM table is read through `_Im_NetworkSession_NativeV03`) and runs in the store's engine, rows never leaving it.
 */
import { ASIM_TABLE } from '../asim/schema.js';
import { compileKql, type CompiledQuery } from '../kql/compile.js';
import { generateSql } from '../kql/sql/generate.js';
import { buildTemplate, instantiate, NotTemplatableError, type QueryTemplate } from '../rules/cache/template.js';
import { catalogFingerprint, type Catalog } from '../kql/catalog.js';
import { quoteString } from '../store/sql.js';
import type { Store, SummaryColumn } from '../store/engine.js';

export { SUMMARY_FIELDS } from './tables.js';
import { SUMMARY_FIELDS, SUMMARY_TABLES } from './tables.js';
import type { SummaryRule } from './rule.js';

const MICROS_PER_MINUTE = 60_000_000;
const ASIM_TABLE_SQL = `"${ASIM_TABLE}"`;

export interface BinRun {
  readonly rule: string;
  readonly table: string;
  /** Microseconds. */
  readonly binStart: number;
  readonly binEnd: number;
  readonly rows: number;
}

export class SummaryRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SummaryRuleError';
  }
}

/** The table's columns as the rule's query yields them, then the added fields; checked against SUMMARY_TABLES. */
function destinationColumns(rule: SummaryRule, queryColumns: readonly SummaryColumn[]): SummaryColumn[] {
  const declared = SUMMARY_TABLES.get(rule.destinationTable);
  const produced = [...queryColumns, { name: 'Type', type: 'string' as const }];
  if (declared && JSON.stringify(declared) !== JSON.stringify(produced)) {
    throw new SummaryRuleError(`${rule.displayName}: its query yields ${produced.map((c) => `${c.name}:${c.type}`).join(', ')}, not the columns of ${rule.destinationTable} (${declared.map((c) => `${c.name}:${c.type}`).join(', ')})`);
  }
  return [...produced, ...SUMMARY_FIELDS];
}

/**
 * One summary rule run bin after bin, as `watch` does: each bin [binStart, binStart + binSize) (microseconds,
 * aligned) into the rule's table, with `now()` when the bin is due and the time range of the bin alone (Sentinel runs
 * the query over the bin). The query is compiled once per catalog (a template, rules/cache/template.ts) and
 * instantiated per bin, so catching up on days of bins does not parse the query for each.
 */
export class BinSummarizer {
  private compiled: { readonly fingerprint: string; readonly template: QueryTemplate | null } | undefined;

  constructor(readonly rule: SummaryRule) {}

  async run(store: Store, binStart: number, catalog: Catalog): Promise<BinRun> {
    const lookback = (this.rule.binSize + this.rule.binDelay) * MICROS_PER_MINUTE;
    const now = binStart + lookback;
    const fingerprint = catalogFingerprint(catalog);
    if (this.compiled?.fingerprint !== fingerprint) this.compiled = { fingerprint, template: templateOrNull(this.rule.query, now, lookback, catalog) };
    const { template } = this.compiled;
    const compiled = template ? instantiate(template, now, store.dialect) : compileKql(this.rule.query, { engine: store.dialect, now, lookback, catalog });
    return writeBin(store, this.rule, binStart, compiled);
  }
}

function templateOrNull(query: string, at: number, lookback: number, catalog: Catalog): QueryTemplate | null {
  try {
    return buildTemplate(query, at, lookback, catalog);
  } catch (error) {
    if (error instanceof NotTemplatableError) return null;
    throw error;
  }
}

/**
 * Summarizes every bin of [from, to) that holds records (a bin without any yields no row), oldest first: the query
 * is compiled once (a template, rules/cache/template.ts) and instantiated per bin. For `smbwatch summarize` over
 * logs ingested after the fact, and tests.
 */
export async function summarizeRange(store: Store, rule: SummaryRule, from: number, to: number, catalog: Catalog, onBin?: (run: BinRun) => void): Promise<BinRun[]> {
  if (!store.summaries || store.engine !== 'duckdb') throw new SummaryRuleError(`the store ${store.location} (${store.engine}) does not hold summary tables`);
  const size = rule.binSize * MICROS_PER_MINUTE;
  const lookback = (rule.binSize + rule.binDelay) * MICROS_PER_MINUTE;
  const first = Math.floor(from / size) * size;
  const held = await store.query(
    `SELECT DISTINCT CAST(floor(epoch_us("TimeGenerated") / ${size}) AS BIGINT) * ${size} AS b FROM ${ASIM_TABLE_SQL} ` +
      `WHERE "TimeGenerated" >= make_timestamp(${first}) AND "TimeGenerated" < make_timestamp(${to}) ORDER BY b`,
  );
  const bins = held.rows.map(([b]) => Number(b)).filter((b) => b + size <= to);
  if (bins.length === 0) return [];
  const dialect = store.dialect;
  let template: QueryTemplate | undefined;
  try {
    template = buildTemplate(rule.query, bins[0]! + lookback, lookback, catalog);
  } catch (error) {
    if (!(error instanceof NotTemplatableError)) throw error;
  }
  const runs: BinRun[] = [];
  for (const binStart of bins) {
    const now = binStart + lookback;
    const compiled = template ? instantiate(template, now, dialect) : compileKql(rule.query, { engine: dialect, now, lookback, catalog });
    const run = await writeBin(store, rule, binStart, compiled);
    runs.push(run);
    onBin?.(run);
  }
  return runs;
}

async function writeBin(store: Store, rule: SummaryRule, binStart: number, compiled: CompiledQuery): Promise<BinRun> {
  if (!store.summaries) throw new SummaryRuleError(`the store ${store.location} (${store.engine}) does not hold summary tables`);
  const size = rule.binSize * MICROS_PER_MINUTE;
  if (binStart % size !== 0) throw new SummaryRuleError(`bin start ${new Date(binStart / 1000).toISOString()} is not aligned to ${rule.binSize} minutes`);
  const binEnd = binStart + size;
  const columns = destinationColumns(rule, compiled.columns as readonly SummaryColumn[]);
  const d = store.engine;
  // The relation with the engine's own types (a result query turns datetimes into numbers for JavaScript).
  const relationSql = generateSql(compiled.ir, { dialect: store.dialect, text: rule.query });
  const micros = (value: number): string => (d === 'duckdb' ? `make_timestamp(${value})` : `toDateTime64(${value / 1e6}, 6, 'UTC')`);
  const select = `SELECT *, ${quoteString(rule.destinationTable)} AS "Type", ${quoteString(rule.displayName)} AS "_RuleName", ` +
    `CAST(${rule.binSize} AS INTEGER) AS "_BinSize", ${micros(binStart)} AS "_BinStartTime" FROM (${relationSql}) AS __rule` +
    ` WHERE "TimeGenerated" >= ${micros(binStart)} AND "TimeGenerated" < ${micros(binEnd)}`;
  const rows = await store.summaries.replaceBin(rule.destinationTable, columns, binStart, binEnd, select);
  return { rule: rule.displayName, table: rule.destinationTable, binStart, binEnd, rows };
}

/**
 * The bins of a rule that are due at `at` (microseconds): those that ended at least `binDelay` before it, from the
 * first bin overlapping [from, at) on.
 */
export function dueBins(rule: SummaryRule, from: number, at: number): number[] {
  const size = rule.binSize * MICROS_PER_MINUTE;
  const lastStart = Math.floor((at - rule.binDelay * MICROS_PER_MINUTE) / size) * size - size;
  const bins: number[] = [];
  for (let start = Math.floor(from / size) * size; start <= lastStart; start += size) bins.push(start);
  return bins;
}
