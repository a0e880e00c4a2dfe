/**
 * `smbwatch run`: one run of a rule as Sentinel runs it at a time T (default now): now() = T, look-back
 * [T − queryPeriod, T], trigger on the result rows, alerts grouped per aggregationKind, stored once, suppression.
 * The plan comes from the plans shipped with smbwatch (built-in rules) or the plan cache (rules/cache/), so a built-in
 * rule, or a rule that ran before, does not load Kusto.Language.
 */
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { alreadyStored, lastAlertTime, storeAlerts } from '../alerts/store.js';
import type { Alert, KustoValue } from '../alerts/types.js';
import { KqlError } from '../kql/errors.js';
import { cachedQueryRunner, kustoLoaded, type PlanOrigin } from '../rules/cache/plan-cache.js';
import { formatDuration } from '../rules/duration.js';
import { evaluateRule, type RuleRun } from '../rules/evaluate.js';
import { loadRuleSet, RuleLoadError, selectRule } from '../rules/load.js';
import { applyParameters, ParameterError, parseParameterAssignments } from '../rules/parameters.js';
import type { Rule } from '../rules/rule.js';
import type { Store } from '../store/engine.js';
import { isStoreError, openStore, storeErrorStatus, storeAddress, withQueryEngine, type QueryEngine } from '../store/engines.js';
import { isoToMicros } from '../util/time.js';
import { EXIT_FAILED, EXIT_USAGE } from './exit.js';
import { dbOption, engineOption, memoryLimitOption, watchlistsOption } from './options.js';
import { storeCatalog } from '../summaries/catalog.js';
import { renderAlertTable } from '../alerts/render.js';
import { screenTable } from './output.js';
import { emptyWindowHint } from './hints.js';
import { diskFullMessage, isDiskFull } from '../store/disk-full.js';
import { isOutOfMemory, outOfMemoryMessage } from '../store/out-of-memory.js';

type Output = 'table' | 'json' | 'jsonl';

interface RunOptions {
  db?: string;
  rule?: string;
  rules?: string;
  at?: string;
  param: string[];
  output: Output;
  engine?: QueryEngine;
  memoryLimit?: string;
  verbose?: boolean;
  watchlists?: string;
  wide?: boolean;
  dryRun?: boolean;
  /** False with --no-store (the same as --dry-run). */
  store: boolean;
}

export { EXIT_FAILED, EXIT_USAGE };

/** A user-facing error with its exit status. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly status: number = EXIT_USAGE,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

export function register(program: Command): void {
  program
    .command('run')
    .description('Run a rule once, as Sentinel would at --at (default now), and store its alerts')
    .addOption(dbOption())
    .option('--rule <id|file>', 'the rule: an id (see `smbwatch rules`) or a rule YAML file; default: the built-in SMB rule')
    .option('--rules <path>', 'also load the rules in this YAML file or directory')
    .option('--at <time>', 'the run time T, ISO 8601 (UTC unless a zone is given); default: now')
    .option('--param <name=value>', "override a top-level `let` of the rule's query (repeatable)", collect, [])
    .addOption(new Option('--output <format>', 'output format').choices(['table', 'json', 'jsonl']).default('table'))
    .addOption(engineOption())
    .addOption(memoryLimitOption('run'))
    .addOption(watchlistsOption())
    .option('--dry-run', 'run and show the alerts, but store none (to explore a rule or a threshold)')
    .option('--no-store', 'the same as --dry-run')
    .option('--wide', 'table output: every value whole, however wide')
    .option('--verbose', 'say on stderr where the plan came from (cache or compile) and whether Kusto.Language was loaded')
    .addHelpText(
      'after',
      `
Time semantics: now() is T; the query sees records with TimeGenerated in [T - queryPeriod, T], both ends
included; the trigger counts result rows; alerts are stored once in the store (re-running at the same T adds
none; --dry-run stores none at all). When the window holds no records, the run says so, with the store's time
span and an --at to try. Exit status 0 whether or not alerts fired; 1 on a failure; 2 on a wrong command line.

Examples:
  npx smbwatch run                                              # the SMB rule as Sentinel would run it now
  npx smbwatch run --at 2024-03-15T00:00:00Z --param threshold=0.5 --dry-run   # explore, store nothing
  npx smbwatch run --rule rules/my-rule.yaml --at 2024-03-15T00:00:00Z --output jsonl`,
    )
    .action(async (options: RunOptions) => {
      process.exitCode = await reportErrors('run', () => runCommand(options));
    });
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Runs a command body; a CommandError, rule, parameter or KQL error becomes a message and an exit status. */
export async function reportErrors(command: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    const status =
      error instanceof CommandError ? error.status
      : error instanceof ParameterError ? EXIT_USAGE
      : isStoreError(error) ? storeErrorStatus(error) // missing, unreachable, a shard down; never with a password
      : EXIT_FAILED;
    if (error instanceof CommandError || error instanceof ParameterError || isStoreError(error)) {
      process.stderr.write(`smbwatch ${command}: ${error.message}\n`);
      return status;
    }
    if (isDiskFull(error)) {
      // Every store write is one transaction, so what the command had not committed is simply not there.
      process.stderr.write(`smbwatch ${command}: ${diskFullMessage(undefined, error as Error, 'nothing this command had not finished was stored')}\n`);
      return EXIT_FAILED;
    }
    if (isOutOfMemory(error)) {
      process.stderr.write(`smbwatch ${command}: ${outOfMemoryMessage(error as Error, 'nothing this command had not finished was stored', 'read less at a time (a shorter time range)')}\n`);
      return EXIT_FAILED;
    }
    if (error instanceof KqlError) {
      process.stderr.write(`smbwatch ${command}: the rule's query does not compile\n${error.message}\n`);
      return status;
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Arguments shared with `smbwatch backtest`

export interface RuleSelection {
  readonly rule: Rule;
  readonly parameters: Record<string, string>;
}

/** The built-in rules and those of --rules; rules that do not load are a CommandError naming every problem. */
export function loadRulesOption(rulesPath: string | undefined): Rule[] {
  try {
    return loadRuleSet(rulesPath);
  } catch (error) {
    if (error instanceof RuleLoadError) throw new CommandError(`invalid rules\n${error.message}`, EXIT_FAILED);
    throw error;
  }
}

/** The rule named by --rule/--rules and its --param values, checked against the query's lets. */
export function selectRuleAndParameters(options: { rule?: string; rules?: string; param: readonly string[] }): RuleSelection {
  const rules = loadRulesOption(options.rules);
  let rule: Rule;
  try {
    rule = selectRule(rules, options.rule);
  } catch (error) {
    // An unknown id (listing the known ones), or a --rule file that does not load.
    if (error instanceof RuleLoadError) throw new CommandError(error.message, options.rule !== undefined && existsSync(options.rule) ? EXIT_FAILED : EXIT_USAGE);
    throw error;
  }
  const parameters = parseParameterAssignments(options.param);
  applyParameters(rule, parameters); // throws ParameterError for an unknown name or a value of the wrong type
  return { rule, parameters };
}

/** An ISO 8601 time option as a Date (whole milliseconds: alert times are kept to the millisecond). */
export function parseTimeOption(name: string, text: string): Date {
  const micros = isoToMicros(text);
  if (micros === null) throw new CommandError(`${name}: not an ISO 8601 time (e.g. 2024-03-15T00:00:00Z): "${text}"`);
  if (micros % 1000 !== 0) throw new CommandError(`${name}: times finer than a millisecond are not supported: "${text}"`);
  return new Date(micros / 1000);
}

/** Opens the store named by --db, which must exist (a run never creates an empty store). */
export async function openExistingStore(db: string | undefined, memoryLimit?: string): Promise<Store> {
  return openStore(storeAddress(db), memoryLimit ? { memoryLimit } : {});
}

// ---------------------------------------------------------------------------------------------------------------
// The run

interface RunReport {
  readonly run: RuleRun;
  /** The alerts of this run that were not in the store yet (stored now, unless a dry run). */
  readonly fresh: readonly Alert[];
  readonly dryRun: boolean;
  /** Why the run saw nothing, when its window holds no records. */
  readonly hint?: string;
  readonly lastAlertAt: Date | undefined;
  readonly planOrigin: PlanOrigin | undefined;
}

async function runCommand(options: RunOptions): Promise<number> {
  const { rule, parameters } = selectRuleAndParameters(options);
  const at = options.at === undefined ? new Date() : parseTimeOption('--at', options.at);
  const dryRun = options.dryRun === true || options.store === false;
  const store = await openExistingStore(options.db, options.memoryLimit);
  let report: RunReport;
  try {
    const catalog = await storeCatalog(store, options.watchlists);
    report = await withQueryEngine(store, options.engine, async (sql, dialect) => {
      const runner = cachedQueryRunner(store, sql, dialect, catalog);
      const lastAlertAt = await lastAlertTime(store, rule.id, at);
      const run = await evaluateRule(rule, parameters, runner, at, lastAlertAt ? { lastAlertAt } : {});
      const fresh = dryRun ? await notStoredYet(store, run.alerts) : await storeAlerts(store, run.alerts);
      const hint = run.resultRows === 0 && !run.suppressed ? await emptyWindowHint(store, run.window, rule.queryFrequencyMs) : undefined;
      return { run, fresh, dryRun, lastAlertAt, planOrigin: runner.lastOrigin, ...(hint ? { hint } : {}) };
    });
  } finally {
    await store.close();
  }
  if (options.verbose) {
    const origin = report.planOrigin ?? 'none (suppressed: the query did not run)';
    process.stderr.write(`plan: ${origin}; Kusto.Language loaded: ${kustoLoaded() ? 'yes' : 'no'}\n`);
  }
  process.stdout.write(renderRun(report, options.output, options.wide === true));
  if (report.hint && options.output !== 'table') process.stderr.write(`${report.hint}\n`);
  return 0;
}

async function notStoredYet(store: Store, alerts: readonly Alert[]): Promise<Alert[]> {
  const stored = await alreadyStored(store, alerts);
  return alerts.filter((alert) => !stored.has(alert.alertId));
}

function renderRun(report: RunReport, output: Output, wide: boolean): string {
  const { run } = report;
  if (output === 'jsonl') return run.alerts.map((alert) => `${JSON.stringify(alert)}\n`).join('');
  if (output === 'json') return `${JSON.stringify({ ...runSummary(report), alerts: run.alerts }, null, 2)}\n`;
  const fresh = new Set(report.fresh.map((alert) => alert.alertId));
  const table = run.alerts.length === 0 ? '' : `${renderAlertTable(run.alerts, fresh, screenTable({ wide, cutCells: true }), report.dryRun ? 'new (not stored)' : 'new')}\n`;
  return `${table}${summaryLine(report)}\n${report.hint ? `${report.hint}\n` : ''}`;
}

function runSummary(report: RunReport) {
  const { run } = report;
  return {
    ruleId: run.rule.id,
    ruleName: run.rule.name,
    ruleVersion: run.rule.version,
    parameters: run.parameters,
    at: run.at.toISOString(),
    queryStartTime: run.window.start.toISOString(),
    queryEndTime: run.window.end.toISOString(),
    suppressed: run.suppressed,
    resultRows: run.resultRows,
    triggered: run.triggered,
    alertCount: run.alerts.length,
    dryRun: report.dryRun,
    newAlerts: report.fresh.length,
    alreadyStored: run.alerts.length - report.fresh.length,
  };
}

export function isoSeconds(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

export function ruleLabel(rule: Rule, parameters: Readonly<Record<string, string>>): string {
  const overrides = Object.entries(parameters).map(([name, value]) => `${name}=${value}`);
  return `${rule.name}${rule.version ? ` v${rule.version}` : ''}${overrides.length > 0 ? ` (${overrides.join(', ')})` : ''}`;
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** The one-line summary: rule, window, rows, alerts fired / new / already stored, or suppression. */
function summaryLine(report: RunReport): string {
  const { run } = report;
  const head = `${ruleLabel(run.rule, run.parameters)} at ${isoSeconds(run.at)}, window [${isoSeconds(run.window.start)}, ${isoSeconds(run.window.end)}]`;
  if (run.suppressed) {
    const duration = run.rule.suppressionDurationMs === undefined ? '' : formatDuration(run.rule.suppressionDurationMs);
    const since = report.lastAlertAt ? isoSeconds(report.lastAlertAt) : '?';
    return `${head}: suppressed (the rule alerted at ${since}; suppression ${duration}), the query did not run`;
  }
  const stored = run.alerts.length - report.fresh.length;
  const outcome = report.dryRun ? `dry run, nothing stored: ${report.fresh.length} new, ${stored} already stored` : `${report.fresh.length} new, ${stored} already stored`;
  return `${head}: ${plural(run.resultRows, 'result row')}, ${plural(run.alerts.length, 'alert')} fired (${outcome})`;
}
