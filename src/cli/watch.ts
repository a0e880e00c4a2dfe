/**
 * `smbwatch watch --config smbwatch.yaml`: the scheduled mode. Ingests what appears in the watched inputs, runs
 * each rule at its scheduled times (catching up after downtime), delivers alerts to the configured sinks, and
 * stops cleanly on SIGINT/SIGTERM: the step in hand finishes, the store is closed, the exit status is 0.
 * A second signal exits at once (status 130), for a step that hangs.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { createSink } from '../alerts/sinks/create.js';
import type { BackoffPolicy } from '../alerts/sinks/backoff.js';
import type { AlertSink } from '../alerts/sinks/types.js';
import { openDuckDbStore } from '../store/duckdb.js';
import { addressText, isStoreError, openStore, storeAddress, storeMayExist } from '../store/engines.js';
import { StoreBusyError } from '../store/duckdb-lock.js';
import type { Store } from '../store/engine.js';
import { dueTimes, lastRunTime, nextDueTime, scheduleGrid } from '../watch/schedule.js';
import { formatDuration } from '../rules/duration.js';
import { systemClock } from '../watch/clock.js';
import { ConfigError, describeSinkConfig, loadWatchConfig, type WatchConfig } from '../watch/config.js';
import { streamLog, type WatchLog } from '../watch/log.js';
import { resolveRules } from '../watch/rules.js';
import { Watcher, type ScheduledRule } from '../watch/watcher.js';
import { summaryRulesFor } from '../summaries/rule.js';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from './exit.js';

interface WatchOptions {
  config: string;
  once?: boolean;
  check?: boolean;
  retryParked?: boolean;
  watchlists?: string;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function register(program: Command): void {
  program
    .command('watch')
    .description('Scheduled mode: ingest new logs as they appear, run the rules on their schedule, deliver alerts to sinks')
    .requiredOption('--config <file>', 'the watch configuration (YAML), e.g. smbwatch.yaml')
    .option('--once', 'run one tick (ingest, due runs, deliveries) and exit')
    .option('--check', 'validate the configuration and the rules, print what would run, and exit')
    .option('--retry-parked', 'put alerts parked after a permanent delivery failure back in the queue first')
    .option('--watchlists <dir>', "user watchlists (CSV files, first column the search key, or Sentinel watchlist JSON) for _GetWatchlist('alias'), besides the built-in ones")
    .addHelpText(
      'after',
      `
The store is open only while the watcher works (a tick; between its steps, a command run with --wait gets it),
so status, query, alerts and run work on the same store meanwhile. A catch-up of many due runs logs the runs
that raised alerts and a progress line, and delivers each run's alerts as soon as it is done. The
configuration is described in docs/watch.md (schedule.start and schedule.end bound a replay of past logs).

Examples:
  npx smbwatch watch --config smbwatch.yaml --check    # validate, and say which runs are due (a catch-up?)
  npx smbwatch watch --config smbwatch.yaml            # run until Ctrl-C / SIGTERM
  npx smbwatch watch --config smbwatch.yaml --once     # one tick, for cron or a systemd timer`,
    )
    .action(async (options: WatchOptions) => {
      process.exitCode = await watch(options);
    });
}

async function watch(options: WatchOptions): Promise<number> {
  const log = streamLog();
  let config: WatchConfig;
  let rules: ScheduledRule[];
  try {
    config = loadWatchConfig(options.config);
    rules = resolveRules(config, systemClock.now());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`smbwatch watch: invalid configuration\n${error.message}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
  describe(config, rules, log.info);
  if (options.check) return check(config, rules, log);

  const controller = new AbortController();
  const address = storeAddress(config.db);
  const created = config.sinks.map((spec) => createSink(spec));
  const sinks: AlertSink[] = created.map((entry) => entry.sink);
  const backoffs = new Map<string, BackoffPolicy>(created.flatMap((entry) => (entry.backoff ? [[entry.sink.name, entry.backoff] as const] : [])));
  const watcher = new Watcher({
    inputs: config.inputs,
    ...(config.timezone === undefined ? {} : { timezone: config.timezone }),
    pollIntervalMs: config.pollIntervalMs,
    schedule: config.schedule,
    rules,
    sinks,
    clock: systemClock,
    // A busy store is waited for (and the holder, if it is a long ingest or another watch, lets go between steps).
    openStore: () =>
      address.engine === 'clickhouse'
        ? openStore(address, { create: true })
        : openDuckDbStore(config.db, { waitMs: Infinity, signal: controller.signal, onWait: (holder) => log.info(`the store is in use by ${holder}: waiting for it`) }),
    log,
    summaryRules: summaryRulesFor(config.summaries, rules.map((scheduled) => scheduled.rule.query)),
    ...(options.watchlists === undefined ? {} : { watchlists: options.watchlists }),
    ...(backoffs.size > 0 ? { backoff: (sink: AlertSink) => backoffs.get(sink.name) ?? { baseMs: 1_000, maxMs: 3_600_000 } } : {}),
  });

  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      log.warn(`${signal} again: exiting now`);
      process.exit(EXIT_INTERRUPTED);
    }
    log.info(`${signal}: stopping after the current step`);
    controller.abort();
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  try {
    if (options.retryParked) log.info(`re-queued ${await watcher.retryParked()} parked alert(s)`);
    for (const warning of await watcher.outboxWarnings()) log.warn(warning);
    if (options.once) await watcher.tick(controller.signal);
    else await watcher.run(controller.signal);
    log.info('stopped');
    return 0;
  } finally {
    for (const signal of SIGNALS) process.off(signal, onSignal);
    await Promise.all(sinks.map((sink) => sink.close().catch(() => undefined)));
  }
}

function describe(config: WatchConfig, rules: readonly ScheduledRule[], info: (line: string) => void): void {
  info(`config ${config.file}; store ${addressText(storeAddress(config.db))}; poll every ${formatDuration(config.pollIntervalMs)}`);
  for (const input of config.inputs) info(`input ${input}`);
  const anchor = config.schedule.anchor.toISOString();
  for (const { rule, params } of rules) {
    const overrides = Object.entries(params).map(([name, value]) => `${name}=${value}`).join(' ');
    info(`rule ${rule.name} (${rule.id} v${rule.version || '?'}) every ${rule.queryFrequency} from ${anchor}, looking back ${rule.queryPeriod}${overrides ? `; ${overrides}` : ''}`);
  }
  for (const sink of config.sinks) info(`sink ${describeSinkConfig(sink)}`);
  const { start, end } = config.schedule;
  if (start || end) info(`schedule${start ? ` from ${start.toISOString()}` : ''}${end ? ` until ${end.toISOString()} (no run after it)` : ''}`);
}

/**
 * `--check`: the configuration loaded (described above); now what the watcher would meet — inputs that do not
 * exist, and per rule the runs due now (a catch-up after downtime, or a first start with schedule.start) or the
 * next one. Exit status 1 when an input is missing.
 */
async function check(config: WatchConfig, rules: readonly ScheduledRule[], log: WatchLog): Promise<number> {
  let problems = 0;
  for (const input of config.inputs) {
    if (/[*?[\]{}]/.test(input) || existsSync(input)) continue;
    log.error(`input ${input}: no such file or directory`);
    problems++;
  }
  const now = systemClock.now();
  const lastRuns = await recordedLastRuns(config, rules, log);
  if (lastRuns) {
    for (const scheduled of rules) {
      const grid = scheduleGrid(config.schedule, scheduled.rule);
      const last = lastRuns.get(scheduled.key);
      const due = dueTimes(grid, last, now);
      const next = nextDueTime(grid, due.length > 0 ? due[due.length - 1] : last, now);
      const ran = last ? `last ran at ${last.toISOString()}` : 'never ran';
      const later = next ? `; then next at ${next.toISOString()}` : '; no run after that (schedule.end)';
      if (due.length === 0) log.info(`rule ${scheduled.rule.name}: ${ran}; nothing due now${next ? `; next run at ${next.toISOString()}` : ' (past schedule.end)'}`);
      else if (due.length === 1) log.info(`rule ${scheduled.rule.name}: ${ran}; 1 run due now, at ${due[0]!.toISOString()}${later}`);
      else log.info(`rule ${scheduled.rule.name}: ${ran}; catch-up pending: ${due.length} runs due now, from ${due[0]!.toISOString()} to ${due[due.length - 1]!.toISOString()}${later}`);
    }
  }
  if (problems > 0) log.error(`${problems} problem${problems === 1 ? '' : 's'}: fix the configuration before starting`);
  return problems > 0 ? EXIT_FAILED : EXIT_OK;
}

/** Each rule's last recorded run, from the store if it exists (without waiting for it if it is busy). */
async function recordedLastRuns(config: WatchConfig, rules: readonly ScheduledRule[], log: WatchLog): Promise<Map<string, Date> | undefined> {
  const found = new Map<string, Date>();
  const address = storeAddress(config.db);
  if (!storeMayExist(address)) {
    log.info(`store ${config.db} does not exist yet: the first tick creates it`);
    return found;
  }
  let store: Store;
  try {
    store = address.engine === 'clickhouse' ? await openStore(address) : await openDuckDbStore(config.db, { waitMs: 0 });
  } catch (error) {
    if (address.engine === 'clickhouse' && isStoreError(error)) {
      log.warn(`cannot tell which runs are due: ${error.message}`);
      return undefined;
    }
    if (!(error instanceof StoreBusyError)) throw error;
    log.warn(`cannot tell which runs are due: ${error.message}`);
    return undefined;
  }
  try {
    for (const { key } of rules) {
      const last = await lastRunTime(store, key);
      if (last) found.set(key, last);
    }
    return found;
  } finally {
    await store.close();
  }
}
