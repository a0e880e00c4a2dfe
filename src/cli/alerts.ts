/**
 * `smbwatch alerts`: the alerts kept in the store.
 */
import { Option, type Command } from 'commander';
import { listAlerts } from '../alerts/store.js';
import { renderAlertList } from '../alerts/render.js';
import type { Alert } from '../alerts/types.js';
import { parseSentinelDuration } from '../rules/duration.js';
import { addressText, isStoreError, openStore, storeAddress, storeErrorStatus, storeMayExist } from '../store/engines.js';
import { anyTimestampToMicros } from '../util/time.js';
import { dbOption } from './options.js';
import { screenTable } from './output.js';

interface AlertsOptions {
  db?: string;
  since?: string;
  rule?: string;
  output: 'table' | 'json' | 'jsonl';
  wide?: boolean;
}

export function register(program: Command): void {
  program
    .command('alerts')
    .description('List the alerts kept in the store')
    .addOption(dbOption())
    .option('--since <time>', 'only alerts of runs at or after this time: ISO 8601 (2024-03-04T00:00:00Z) or a duration ago (7d, 12h)')
    .option('--rule <id>', 'only alerts of this rule id')
    .addOption(new Option('--output <kind>', 'output format').choices(['table', 'json', 'jsonl']).default('table'))
    .option('--wide', 'table output: every value whole, however wide')
    .action(async (options: AlertsOptions) => {
      try {
        process.exitCode = await alertsCommand(options);
      } catch (error) {
        if (!isStoreError(error)) throw error;
        process.stderr.write(`smbwatch alerts: ${error.message}\n`);
        process.exitCode = storeErrorStatus(error);
      }
    });
}

/** An absolute time, or a Sentinel duration counted back from `now`. */
export function parseSince(text: string, now: Date = new Date()): Date | undefined {
  const ago = parseSentinelDuration(text);
  if (ago !== undefined && !/^\d+$/.test(text.trim())) return new Date(now.getTime() - ago);
  const micros = anyTimestampToMicros(text);
  return micros === null ? undefined : new Date(Math.floor(micros / 1000));
}

async function alertsCommand(options: AlertsOptions): Promise<number> {
  const address = storeAddress(options.db);
  if (!storeMayExist(address)) {
    process.stderr.write(`smbwatch alerts: no store at ${addressText(address)}\n`);
    return 1;
  }
  const since = options.since === undefined ? undefined : parseSince(options.since);
  if (options.since !== undefined && since === undefined) {
    process.stderr.write(`smbwatch alerts: --since must be an ISO 8601 time or a duration like 7d; got "${options.since}"\n`);
    return 2;
  }
  const store = await openStore(address);
  try {
    const alerts = await listAlerts(store, { ...(since ? { since } : {}), ...(options.rule ? { ruleId: options.rule } : {}) });
    process.stdout.write(renderAlerts(alerts, options.output, options.wide === true));
    return 0;
  } finally {
    await store.close();
  }
}

export function renderAlerts(alerts: readonly Alert[], output: 'table' | 'json' | 'jsonl', wide = false): string {
  if (output === 'json') return `${JSON.stringify(alerts, null, 2)}\n`;
  if (output === 'jsonl') return alerts.map((alert) => `${JSON.stringify(alert)}\n`).join('');
  const summary = `${alerts.length} alert${alerts.length === 1 ? '' : 's'}`;
  return alerts.length === 0 ? `${summary}\n` : `${renderAlertList(alerts, screenTable({ wide, cutCells: true }))}\n${summary}\n`;
}
