/**
 * `smbwatch alerts`: the alerts kept in the store — listed (the default), one shown in full (`alerts show ID`),
 * or removed (`alerts rm`: by id, rule, time range or run), e.g. after an experiment.
 */
import { Option, type Command } from 'commander';
import { alertsById, listAlerts, type AlertFilter } from '../alerts/store.js';
import { entityText, renderAlertList } from '../alerts/render.js';
import type { Alert, KustoValue } from '../alerts/types.js';
import { parseSentinelDuration } from '../rules/duration.js';
import type { Store } from '../store/engine.js';
import { addressText, isStoreError, openStore, storeAddress, storeErrorStatus, storeMayExist } from '../store/engines.js';
import { fitTable, tableNotes } from '../util/table.js';
import { anyTimestampToMicros } from '../util/time.js';
import { EXIT_FAILED, EXIT_USAGE } from './exit.js';
import { dbOption } from './options.js';
import { screenTable } from './output.js';

type Output = 'table' | 'json' | 'jsonl';

interface SelectOptions {
  db?: string;
  since?: string;
  until?: string;
  run?: string;
  rule?: string;
}

interface ListOptions extends SelectOptions {
  output: Output;
  wide?: boolean;
}

interface ShowOptions {
  db?: string;
  output: 'text' | 'json';
  wide?: boolean;
}

interface RemoveOptions extends SelectOptions {
  all?: boolean;
  dryRun?: boolean;
}


/** A user-facing problem with its exit status. */
class AlertsError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

function selectOptions(command: Command): Command {
  return command
    .addOption(dbOption())
    .option('--rule <id>', 'only alerts of this rule id')
    .option('--since <time>', 'only alerts of runs at or after this time: ISO 8601 (2024-03-04T00:00:00Z) or a duration ago (7d, 12h)')
    .option('--until <time>', 'only alerts of runs at or before this time (ISO 8601 or a duration ago)')
    .option('--run <time>', 'only alerts of the run at this time T (ISO 8601)');
}

export function register(program: Command): void {
  const alerts = program
    .command('alerts')
    .description('List the alerts kept in the store; `alerts show ID` shows one, `alerts rm` removes alerts')
    .addHelpText(
      'after',
      `
Examples:
  npx smbwatch alerts --since 7d                                  # alerts of the last week's runs
  npx smbwatch alerts show b6d9cc0f                               # one alert in full (any unique id prefix)
  npx smbwatch alerts rm --run 2025-02-19T00:00:00Z --dry-run     # what removing one run's alerts would remove
  npx smbwatch alerts rm --rule 8717e498-7b5d-4e23-9e7c-fa4913dbfd79 --since 2024-03-01 --until 2024-03-31`,
    );
  selectOptions(alerts.command('list', { isDefault: true }).description('List the alerts (the default)'))
    .addOption(new Option('--output <kind>', 'output format').choices(['table', 'json', 'jsonl']).default('table'))
    .option('--wide', 'table output: every value whole, however wide')
    .addHelpText('after', `
Examples:
  npx smbwatch alerts list --since 7d                     # the same as smbwatch alerts --since 7d
  npx smbwatch alerts list --run 2025-02-19T00:00:00Z --output jsonl`)
    .action((options: ListOptions) => run('alerts', options.db, (store) => listCommand(store, options)));
  alerts
    .command('show')
    .description('Show one alert in full: rule, window, entities, custom details and the result rows it covers')
    .argument('<id>', 'the alert id, or any unique prefix of it (tables show the first 8 digits)')
    .addOption(dbOption())
    .addOption(new Option('--output <kind>', 'output format').choices(['text', 'json']).default('text'))
    .option('--wide', 'every value of the rows whole, however wide')
    .addHelpText('after', `
Examples:
  npx smbwatch alerts show b6d9cc0f                       # any unique prefix of the id
  npx smbwatch alerts show b6d9cc0f --output json`)
    .action((id: string, options: ShowOptions) => run('alerts show', options.db, (store) => showCommand(store, id, options)));
  selectOptions(alerts.command('rm').description('Remove alerts from the store: by id, rule, time range or run'))
    .argument('[ids...]', 'alert ids or unique prefixes')
    .option('--all', 'every alert the other options select (needed when none is given)')
    .option('--dry-run', 'only say what would be removed')
    .addHelpText(
      'after',
      `
Removing alerts also ends their effect on suppression. Alerts already handed to a watch sink stay delivered.
Exit status 0 on success (also when the options select no alert), 1 on a failure (also an id that names no
alert), 2 on a wrong command line.

Examples:
  npx smbwatch alerts rm b6d9cc0f                                 # one alert
  npx smbwatch alerts rm --run 2025-02-19T00:00:00Z --dry-run     # what removing one run's alerts would remove
  npx smbwatch alerts rm --rule 8717e498-7b5d-4e23-9e7c-fa4913dbfd79 --since 2024-03-01 --until 2024-03-31`,
    )
    .action((ids: string[], options: RemoveOptions) => run('alerts rm', options.db, (store) => removeCommand(store, ids, options)));
}

async function run(command: string, db: string | undefined, body: (store: Store) => Promise<number>): Promise<void> {
  try {
    const address = storeAddress(db);
    if (!storeMayExist(address)) throw new AlertsError(`no store at ${addressText(address)}`, EXIT_FAILED);
    const store = await openStore(address);
    try {
      process.exitCode = await body(store);
    } finally {
      await store.close();
    }
  } catch (error) {
    if (error instanceof AlertsError || isStoreError(error)) {
      process.stderr.write(`smbwatch ${command}: ${error.message}\n`);
      process.exitCode = error instanceof AlertsError ? error.status : storeErrorStatus(error);
      return;
    }
    throw error;
  }
}

/** An absolute time, or a Sentinel duration counted back from `now`. */
export function parseSince(text: string, now: Date = new Date()): Date | undefined {
  const ago = parseSentinelDuration(text);
  if (ago !== undefined && !/^\d+$/.test(text.trim())) return new Date(now.getTime() - ago);
  const micros = anyTimestampToMicros(text);
  return micros === null ? undefined : new Date(Math.floor(micros / 1000));
}

function timeOption(name: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const time = parseSince(text);
  if (!time) throw new AlertsError(`${name} must be an ISO 8601 time or a duration like 7d; got "${text}"`, EXIT_USAGE);
  return time;
}

function filterOf(options: SelectOptions): AlertFilter {
  const since = timeOption('--since', options.since);
  const until = timeOption('--until', options.until);
  const runAt = timeOption('--run', options.run);
  return { ...(since ? { since } : {}), ...(until ? { until } : {}), ...(runAt ? { runAt } : {}), ...(options.rule ? { ruleId: options.rule } : {}) };
}

async function listCommand(store: Store, options: ListOptions): Promise<number> {
  const alerts = await listAlerts(store, filterOf(options));
  process.stdout.write(renderAlerts(alerts, options.output, options.wide === true));
  return 0;
}

export function renderAlerts(alerts: readonly Alert[], output: Output, wide = false): string {
  if (output === 'json') return `${JSON.stringify(alerts, null, 2)}\n`;
  if (output === 'jsonl') return alerts.map((alert) => `${JSON.stringify(alert)}\n`).join('');
  const summary = `${alerts.length} alert${alerts.length === 1 ? '' : 's'}`;
  return alerts.length === 0 ? `${summary}\n` : `${renderAlertList(alerts, screenTable({ wide, cutCells: true }))}\n${summary}\n`;
}

/** The one alert an id prefix names; none or several is an error naming them. */
async function oneAlert(store: Store, id: string): Promise<Alert> {
  const found = await alertsById(store, id);
  if (found.length === 0) throw new AlertsError(`no alert with id ${id} (see smbwatch alerts)`, EXIT_FAILED);
  if (found.length > 1) {
    const list = found.slice(0, 10).map((alert) => `  ${alert.alertId}  ${alert.queryEndTime}  ${alert.displayName}`).join('\n');
    throw new AlertsError(`${found.length} alerts have ids starting with ${id}; give more of the id:\n${list}`, EXIT_FAILED);
  }
  return found[0]!;
}

async function showCommand(store: Store, id: string, options: ShowOptions): Promise<number> {
  const alert = await oneAlert(store, id);
  process.stdout.write(options.output === 'json' ? `${JSON.stringify(alert, null, 2)}\n` : alertText(alert, options.wide === true));
  return 0;
}

function valueText(value: KustoValue): string {
  if (value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** One alert for reading: its fields, then the result rows it covers as a table. */
export function alertText(alert: Alert, wide = false): string {
  const parameters = Object.entries(alert.parameters).map(([name, value]) => `${name}=${value}`).join(', ');
  const fields: Array<[string, string]> = [
    ['alert', alert.alertId],
    ['name', alert.displayName],
    ['rule', `${alert.ruleName}${alert.ruleVersion ? ` v${alert.ruleVersion}` : ''} (${alert.ruleId})${parameters ? `, with ${parameters}` : ''}`],
    ['severity', alert.severity],
    ['tactics', [...alert.tactics, ...alert.techniques].join(', ')],
    ['run time', alert.queryEndTime],
    ['window', `[${alert.queryStartTime}, ${alert.queryEndTime}]`],
    ['grouping', alert.aggregationKind],
    ['entities', alert.entities.length === 0 ? '(none)' : `${alert.entities.length}: ${alert.entities.map(entityText).join(' ')}`],
    ...Object.entries(alert.customDetails).map(([name, values]): [string, string] => [`detail ${name}`, values.map(valueText).join(', ')]),
    ['description', alert.description.trim().replace(/\s*\n\s*/g, ' ')],
  ];
  const width = Math.max(...fields.map(([name]) => name.length));
  const lines = fields.map(([name, value]) => `${name.padEnd(width)}  ${value}`);
  const columns = [...new Set(alert.rows.flatMap((row) => Object.keys(row)))];
  lines.push('', `${alert.rows.length} result row${alert.rows.length === 1 ? '' : 's'}:`);
  if (alert.rows.length > 0) {
    const table = fitTable(columns, alert.rows.map((row) => columns.map((column) => valueText(row[column] ?? null))), screenTable({ wide, cutCells: true }));
    lines.push(table.text, ...tableNotes(table));
  }
  return `${lines.join('\n')}\n`;
}

async function removeCommand(store: Store, ids: readonly string[], options: RemoveOptions): Promise<number> {
  const filter = filterOf(options);
  if (ids.length === 0 && Object.keys(filter).length === 0 && !options.all) {
    throw new AlertsError('say which alerts: ids, --rule, --since/--until, --run — or --all for every alert', EXIT_USAGE);
  }
  if (!store.alerts.remove) throw new AlertsError(`the ${store.engine} store cannot remove alerts`, EXIT_FAILED);
  let selected = await listAlerts(store, filter);
  if (ids.length > 0) {
    const named = new Set<string>();
    for (const id of ids) named.add((await oneAlert(store, id)).alertId);
    selected = selected.filter((alert) => named.has(alert.alertId));
  }
  if (options.dryRun) {
    process.stdout.write(`${selected.length > 0 ? renderAlerts(selected, 'table') : ''}${selected.length} alert${selected.length === 1 ? '' : 's'} would be removed (--dry-run: nothing removed)\n`);
    return 0;
  }
  const removed = selected.length === 0 ? 0 : await store.alerts.remove(selected.map((alert) => alert.alertId));
  process.stdout.write(`Removed ${removed} alert${removed === 1 ? '' : 's'}.\n`);
  return 0;
}
