/**
 * `smbwatch backtest`: a rule run at every scheduled time in [--from, --to] (rules/backtest.ts), printed per run
 * with totals — to see what a threshold would have raised over past data.
 */
import { Option, type Command } from 'commander';
import { storeAlerts } from '../alerts/store.js';
import { backtest, BacktestError, type BacktestResult } from '../rules/backtest.js';
import { formatDuration } from '../rules/duration.js';
import type { RuleRun } from '../rules/evaluate.js';
import {
  collect, CommandError, isoSeconds, openExistingStore, parseTimeOption, reportErrors, ruleLabel, selectRuleAndParameters,
} from './run.js';
import { dbOption, watchlistsOption } from './options.js';
import { storeCatalog } from '../summaries/catalog.js';
import { renderTable } from '../util/table.js';
import { screenTable } from './output.js';

interface BacktestOptions {
  db?: string;
  rule?: string;
  rules?: string;
  from: string;
  to: string;
  param: string[];
  output: 'table' | 'json';
  store?: boolean;
  watchlists?: string;
}

export function register(program: Command): void {
  program
    .command('backtest')
    .description('Run a rule at every scheduled time in [--from, --to] and show what each run would have raised')
    .addOption(dbOption())
    .requiredOption('--from <time>', 'first time of the range, ISO 8601 (UTC unless a zone is given)')
    .requiredOption('--to <time>', 'last time of the range, ISO 8601')
    .option('--rule <id|file>', 'the rule: an id (see `smbwatch rules`) or a rule YAML file; default: the built-in SMB rule')
    .option('--rules <path>', 'also load the rules in this YAML file or directory')
    .option('--param <name=value>', "override a top-level `let` of the rule's query (repeatable)", collect, [])
    .addOption(new Option('--output <format>', 'output format').choices(['table', 'json']).default('table'))
    .addOption(watchlistsOption())
    .option('--store', 'also store the alerts in the store, as `smbwatch run` at each time would (default: a what-if, nothing stored)')
    .addHelpText(
      'after',
      `
Runs happen where \`smbwatch watch\` would run them: at 1970-01-01T00:00:00Z + k x queryFrequency (a 1d rule at
00:00 UTC each day), for every such time in [--from, --to]. Each run is exactly \`smbwatch run --at\` that time;
suppression is simulated within the backtest. Exit status 0 on success, 1 on a failure, 2 on a wrong command line.

Examples:
  npx smbwatch backtest --from 2024-03-01 --to 2024-03-31                           # every daily run of March
  npx smbwatch backtest --from 2024-03-01 --to 2024-03-31 --param threshold=0.5     # the same as rule v1.0.1
  npx smbwatch backtest --from 2024-03-01 --to 2024-03-31 --store                   # and keep the alerts
  npx smbwatch backtest --rule 332f0f21-4ae7-4075-9fc6-c228b4fa3555 --from 2024-03-01 --to 2024-03-31 --output json
                                             # smbwatch's lateral-movement rule; alertNames say which source and why`,
    )
    .action(async (options: BacktestOptions) => {
      process.exitCode = await reportErrors('backtest', () => backtestCommand(options));
    });
}

async function backtestCommand(options: BacktestOptions): Promise<number> {
  const { rule, parameters } = selectRuleAndParameters(options);
  const from = parseTimeOption('--from', options.from);
  const to = parseTimeOption('--to', options.to);
  const store = await openExistingStore(options.db);
  let result: BacktestResult;
  let stored = 0;
  try {
    const started = performance.now();
    const catalog = await storeCatalog(store, options.watchlists);
    result = await backtest(store, rule, parameters, from, to, {
      catalog,
      onStep: async (run) => {
        if (options.store) stored += (await storeAlerts(store, run.alerts)).length;
      },
    }).catch((error: unknown) => {
      throw error instanceof BacktestError ? new CommandError(error.message) : error;
    });
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(render(result, { rule: ruleLabel(rule, parameters), schedule: schedule(rule), seconds, stored: options.store ? stored : undefined }, options.output));
  } finally {
    await store.close();
  }
  return 0;
}

function schedule(rule: { queryFrequencyMs: number; queryPeriodMs: number }): string {
  return `every ${formatDuration(rule.queryFrequencyMs)}, look back ${formatDuration(rule.queryPeriodMs)}`;
}

interface Context {
  readonly rule: string;
  readonly schedule: string;
  readonly seconds: number;
  /** Alerts newly stored with --store; undefined without it. */
  readonly stored: number | undefined;
}

function totals(runs: readonly RuleRun[]) {
  return {
    runs: runs.length,
    suppressedRuns: runs.filter((run) => run.suppressed).length,
    triggeredRuns: runs.filter((run) => run.triggered).length,
    resultRows: runs.reduce((sum, run) => sum + run.resultRows, 0),
    alerts: runs.reduce((sum, run) => sum + run.alerts.length, 0),
  };
}

function render(result: BacktestResult, context: Context, output: 'table' | 'json'): string {
  const sum = totals(result.runs);
  if (output === 'json') {
    const runs = result.runs.map((run) => ({
      at: run.at.toISOString(),
      queryStartTime: run.window.start.toISOString(),
      queryEndTime: run.window.end.toISOString(),
      suppressed: run.suppressed,
      resultRows: run.resultRows,
      alerts: run.alerts.length,
      entities: [...new Set(run.alerts.flatMap((alert) => alert.entities.map(entityText)))],
      alertIds: run.alerts.map((alert) => alert.alertId),
      // The alerts' names: a rule with alertDetailsOverride says there which source and why.
      alertNames: run.alerts.map((alert) => alert.displayName),
    }));
    return `${JSON.stringify({ rule: context.rule, schedule: context.schedule, runs, totals: { ...sum, ...(context.stored === undefined ? {} : { storedAlerts: context.stored }) } }, null, 2)}\n`;
  }
  if (result.runs.length === 0) return `${context.rule}: no scheduled time (${context.schedule}) in the range\n`;
  const rows = result.runs.map((run) => [
    isoSeconds(run.at),
    run.suppressed ? 'suppressed' : String(run.resultRows),
    String(run.alerts.length),
    [...new Set(run.alerts.flatMap((alert) => alert.entities.map(entityText)))].join(' '),
  ]);
  rows.push(['total', String(sum.resultRows), String(sum.alerts), `${sum.triggeredRuns} of ${sum.runs} runs fired`]);
  const storedNote = context.stored === undefined ? 'nothing stored (--store to keep the alerts)' : `${context.stored} new alerts stored`;
  return (
    `${context.rule}, ${context.schedule}\n` +
    `${renderTable(['run time', 'rows', 'alerts', 'entities'], rows, screenTable({ align: ['left', 'right', 'right', 'left'], cutCells: true }))}\n` +
    `${sum.runs} runs from ${isoSeconds(result.times[0]!)} to ${isoSeconds(result.times[result.times.length - 1]!)}` +
    `${sum.suppressedRuns > 0 ? ` (${sum.suppressedRuns} suppressed)` : ''}: ${sum.resultRows} result rows, ${sum.alerts} alerts; ` +
    `${storedNote}; ${context.seconds.toFixed(2)} s\n`
  );
}

function entityText(entity: { type: string; readonly [identifier: string]: string }): string {
  const { type, ...identifiers } = entity;
  return `${type}:${Object.values(identifiers).join('/')}`;
}
