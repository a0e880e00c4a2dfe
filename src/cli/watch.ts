/**
 * `smbwatch watch --config smbwatch.yaml`: the scheduled mode. Ingests what appears in the watched inputs, runs
 * each rule at its scheduled times (catching up after downtime), delivers alerts to the configured sinks, and
 * stops cleanly on SIGINT/SIGTERM: the step in hand finishes, the store is closed, the exit status is 0.
 * A second signal exits at once (status 130), for a step that hangs.
 */
import type { Command } from 'commander';
import { createSink } from '../alerts/sinks/create.js';
import type { BackoffPolicy } from '../alerts/sinks/backoff.js';
import type { AlertSink } from '../alerts/sinks/types.js';
import { openDuckDbStore } from '../store/duckdb.js';
import { formatDuration } from '../rules/duration.js';
import { systemClock } from '../watch/clock.js';
import { ConfigError, describeSinkConfig, loadWatchConfig, type WatchConfig } from '../watch/config.js';
import { streamLog } from '../watch/log.js';
import { resolveRules } from '../watch/rules.js';
import { Watcher, type ScheduledRule } from '../watch/watcher.js';
import { builtinSummaryRules } from '../summaries/rule.js';

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
      return 1;
    }
    throw error;
  }
  describe(config, rules, log.info);
  if (options.check) return 0;

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
    openStore: () => openDuckDbStore(config.db),
    log,
    summaryRules: builtinSummaryRules(),
    ...(options.watchlists === undefined ? {} : { watchlists: options.watchlists }),
    ...(backoffs.size > 0 ? { backoff: (sink: AlertSink) => backoffs.get(sink.name) ?? { baseMs: 1_000, maxMs: 3_600_000 } } : {}),
  });

  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      log.warn(`${signal} again: exiting now`);
      process.exit(130);
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
  info(`config ${config.file}; store ${config.db}; poll every ${formatDuration(config.pollIntervalMs)}`);
  for (const input of config.inputs) info(`input ${input}`);
  const anchor = config.schedule.anchor.toISOString();
  for (const { rule, params } of rules) {
    const overrides = Object.entries(params).map(([name, value]) => `${name}=${value}`).join(' ');
    info(`rule ${rule.name} (${rule.id} v${rule.version || '?'}) every ${rule.queryFrequency} from ${anchor}, looking back ${rule.queryPeriod}${overrides ? `; ${overrides}` : ''}`);
  }
  for (const sink of config.sinks) info(`sink ${describeSinkConfig(sink)}`);
}
