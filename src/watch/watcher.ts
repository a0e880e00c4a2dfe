/**
 * The watch loop. Each tick, in order:
 *   1. ingest what is new in the watched inputs (runIngest: atomic per input, resumes grown files);
 *   2. run every summary rule (src/summaries/) for each bin that is due: ended `binDelay` ago, not yet summarized;
 *   3. run every rule at each of its due scheduled times, oldest first (catching up after downtime); each run's
 *      alerts are stored, queued for every sink and the run recorded in one transaction. Rules compile against the
 *      store's catalog (its summary tables, the watchlists);
 *   4. deliver the outbox (new alerts and earlier failures whose retry time has come).
 * The store is opened for the tick and closed after it, so other smbwatch commands can use it between ticks.
 * A stop request (AbortSignal) is honoured between steps: the step in hand finishes, nothing is half-done.
 */
import { deliverOutbox, enqueueAlerts, requeueParked, outboxEntries, DEFAULT_OUTBOX_BACKOFF, type DeliveryOutcome } from '../alerts/sinks/outbox.js';
import { storeAlerts, lastAlertTime } from '../alerts/store.js';
import type { AlertSink } from '../alerts/sinks/types.js';
import type { BackoffPolicy } from '../alerts/sinks/backoff.js';
import { runIngest } from '../ingest/run.js';
import { evaluateRule, type QueryRunner } from '../rules/evaluate.js';
import type { Rule } from '../rules/rule.js';
import type { Store } from '../store/engine.js';
import type { Clock } from './clock.js';
import { InputTracker, type Candidate } from './inputs.js';
import { storeQueryRunner } from './kql-runner.js';
import type { WatchLog } from './log.js';
import { dueTimes, lastRunTime, nextDueTime, recordRun, scheduleGrid, type Grid } from './schedule.js';
import type { Catalog } from '../kql/catalog.js';
import { storeCatalog } from '../summaries/catalog.js';
import { BinSummarizer, dueBins, type BinRun } from '../summaries/run.js';
import type { SummaryRule } from '../summaries/rule.js';

export interface ScheduledRule {
  readonly rule: Rule;
  readonly params: Readonly<Record<string, string>>;
  /** Identifies the schedule in the store (rule id + parameters). */
  readonly key: string;
}

export interface WatcherOptions {
  readonly inputs: readonly string[];
  readonly timezone?: string;
  readonly pollIntervalMs: number;
  readonly schedule: { readonly anchor: Date; readonly start?: Date; readonly end?: Date; readonly delayMs: number };
  readonly rules: readonly ScheduledRule[];
  readonly sinks: readonly AlertSink[];
  readonly clock: Clock;
  readonly openStore: () => Promise<Store>;
  readonly log: WatchLog;
  /** Default: the KQL compiler over the tick's store and its catalog. */
  readonly runner?: (store: Store, catalog: Catalog) => QueryRunner;
  /** Summary rules to maintain (default none); each bin runs once, from the schedule's start (or the first tick). */
  readonly summaryRules?: readonly SummaryRule[];
  /** A directory (or file) of user watchlists, besides the built-in ones. */
  readonly watchlists?: string;
  /** Between-tick backoff per sink (default DEFAULT_OUTBOX_BACKOFF). */
  readonly backoff?: (sink: AlertSink) => BackoffPolicy;
  readonly random?: () => number;
  /** Wall-clock time for judging file modification times (they are real, even when the clock is not). */
  readonly fileSystemNow?: () => number;
  /** During a catch-up, a progress line at most this often (real time; default 10 s). */
  readonly progressIntervalMs?: number;
}

export interface RuleRunReport {
  readonly key: string;
  readonly ruleId: string;
  readonly at: Date;
  readonly suppressed: boolean;
  readonly resultRows: number;
  readonly alerts: number;
  readonly newAlerts: number;
}

export interface TickReport {
  readonly at: Date;
  readonly ingestedRecords: number;
  readonly ingestedInputs: number;
  /** Summary bins written this tick. */
  readonly summaries?: BinRun[];
  readonly runs: RuleRunReport[];
  readonly deliveries: DeliveryOutcome[];
  /** The earliest time a rule becomes due after this tick (undefined if no rule is configured). */
  readonly nextRunAt?: Date;
  /** A problem that ended the tick early (store unavailable); the next tick tries again. */
  readonly failure?: string;
}

export class Watcher {
  private readonly inputs: InputTracker;
  private readonly reportedProblems = new Set<string>();
  private readonly summarizers = new Map<string, BinSummarizer>();

  constructor(private readonly options: WatcherOptions) {
    this.inputs = new InputTracker(options.inputs);
  }

  /** Loops until `signal` aborts: a tick, then a sleep until the next poll or the next due run, whichever is first. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const report = await this.tick(signal);
      if (signal.aborted) break;
      const now = this.options.clock.now().getTime();
      const untilRun = report.nextRunAt ? Math.max(0, report.nextRunAt.getTime() - now) : Infinity;
      await this.options.clock.sleep(Math.min(this.options.pollIntervalMs, untilRun), signal);
    }
  }

  async tick(signal: AbortSignal = new AbortController().signal): Promise<TickReport> {
    const at = this.options.clock.now();
    let store: Store;
    try {
      store = await this.options.openStore();
    } catch (error) {
      const failure = `cannot open the store: ${message(error)} (trying again next tick)`;
      this.options.log.warn(failure);
      return { at, ingestedRecords: 0, ingestedInputs: 0, runs: [], deliveries: [], failure };
    }
    try {
      const ingested = await this.ingest(store, signal);
      const summaries = signal.aborted ? [] : await this.runDueSummaries(store, signal);
      const deliveries: DeliveryOutcome[] = [];
      const runs = signal.aborted ? [] : await this.runDueRules(store, signal, deliveries);
      if (!signal.aborted) deliveries.push(...(await this.deliver(store, signal)));
      const nextRunAt = await this.nextRunAt(store);
      return { at, ...ingested, ...(summaries.length > 0 ? { summaries } : {}), runs, deliveries, ...(nextRunAt ? { nextRunAt } : {}) };
    } finally {
      await store.close();
    }
  }

  /** Parked alerts (permanent failures) back in the queue; returns how many. */
  async retryParked(): Promise<number> {
    const store = await this.options.openStore();
    try {
      return await requeueParked(store, this.options.clock.now());
    } finally {
      await store.close();
    }
  }

  /** Warnings worth seeing at start: parked alerts, and queued alerts for sinks no longer configured. */
  async outboxWarnings(): Promise<string[]> {
    const store = await this.options.openStore();
    try {
      const entries = await outboxEntries(store);
      const configured = new Set(this.options.sinks.map((sink) => sink.name));
      const counts = new Map<string, number>();
      for (const entry of entries) {
        const kind = !configured.has(entry.sink) ? 'queued for a sink that is not configured' : entry.state === 'parked' ? 'parked after a permanent failure' : '';
        if (kind) counts.set(`${entry.sink}\u0000${kind}`, (counts.get(`${entry.sink}\u0000${kind}`) ?? 0) + 1);
      }
      return [...counts].map(([key, count]) => {
        const [sink, kind] = key.split('\u0000');
        return `${count} alert${count === 1 ? '' : 's'} ${kind} (sink ${sink})${kind?.startsWith('parked') ? '; fix the cause, then start with --retry-parked' : ''}`;
      });
    } finally {
      await store.close();
    }
  }

  // -------------------------------------------------------------------------------------------------------------

  private async ingest(store: Store, signal: AbortSignal): Promise<{ ingestedRecords: number; ingestedInputs: number }> {
    const scan = await this.inputs.scan(this.options.fileSystemNow?.() ?? Date.now());
    for (const error of scan.errors) this.reportOnce(`input ${error.path}: ${error.reason}`);
    let ingestedRecords = 0;
    let ingestedInputs = 0;
    for (const file of scan.changed) {
      if (signal.aborted) break; // the rest is found changed again on the next start
      const counts = await this.ingestFile(store, file);
      ingestedRecords += counts.records;
      ingestedInputs += counts.inputs;
      await this.letOthersIn(store, signal);
    }
    return { ingestedRecords, ingestedInputs };
  }

  private async ingestFile(store: Store, file: Candidate): Promise<{ records: number; inputs: number }> {
    const parse = this.options.timezone === undefined ? {} : { timezone: this.options.timezone };
    const result = await runIngest(store, [file.path], { parse, holdPartialLastLine: file.live === true });
    let records = 0;
    let inputs = 0;
    let failed = false;
    for (const outcome of result.outcomes) {
      // runIngest treats a path it is given as named by the user: a file that is not a network-session log
      // (dns.log next to conn.log) comes back as an error. In a watched directory it is simply not ours.
      const notOurs = outcome.status === 'error' && !outcome.format && (outcome.detection !== undefined || outcome.reason === 'empty');
      if (outcome.status === 'ingested') {
        records += outcome.records;
        inputs++;
        const resumed = outcome.resumedAfterLine ? ` (resumed after line ${outcome.resumedAfterLine})` : '';
        const rejects = outcome.rejects > 0 ? `, ${outcome.rejects} rejected (see smbwatch rejects)` : '';
        this.options.log.info(`ingested ${outcome.name}: ${outcome.records} records${rejects}${resumed}`);
      } else if (outcome.status === 'rejected') {
        this.options.log.warn(`ingest ${outcome.name}: ${outcome.reason ?? 'every record rejected'} (see smbwatch rejects)`);
      } else if (outcome.status === 'error' && !notOurs) {
        failed = true;
        this.options.log.warn(`ingest ${outcome.name}: ${outcome.reason ?? 'failed'} (trying again next tick)`);
      }
    }
    for (const error of result.errors) {
      failed = true;
      this.options.log.warn(`ingest ${error.path}: ${error.reason}`);
    }
    if (!failed) this.inputs.settled(file);
    return { records, inputs };
  }

  /**
   * Each summary rule's due bins, oldest first. The last bin written is kept in the schedule table (key
   * `summary:<id>`); the first run starts at the schedule's start, else with the bin before the tick's. A bounded
   * replay (schedule.end) summarizes no bin after its end, as it runs no rule after it.
   */
  private summarizer(rule: SummaryRule): BinSummarizer {
    let summarizer = this.summarizers.get(rule.id);
    if (!summarizer) this.summarizers.set(rule.id, (summarizer = new BinSummarizer(rule)));
    return summarizer;
  }

  private async runDueSummaries(store: Store, signal: AbortSignal): Promise<BinRun[]> {
    const rules = this.options.summaryRules ?? [];
    if (rules.length === 0 || !store.summaries) return [];
    const now = this.options.clock.now().getTime() * 1000;
    const runs: BinRun[] = [];
    let catalog: Catalog | undefined;
    for (const rule of rules) {
      const key = `summary:${rule.id}`;
      const size = rule.binSize * 60_000_000;
      const last = await lastRunTime(store, key);
      const from = last ? last.getTime() * 1000 + size : (this.options.schedule.start?.getTime() ?? now / 1000) * 1000 - size;
      const end = this.options.schedule.end;
      const until = end ? Math.min(now, end.getTime() * 1000 + rule.binDelay * 60_000_000) : now;
      for (const binStart of dueBins(rule, from, until)) {
        if (signal.aborted) return runs;
        try {
          catalog ??= await storeCatalog(store, this.options.watchlists);
          const run = await this.summarizer(rule).run(store, binStart, catalog);
          await recordRun(store, key, rule.id, new Date(binStart / 1000), this.options.clock.now());
          runs.push(run);
          catalog = undefined; // the table may have just been created
          this.options.log.info(`summarized ${rule.displayName} for ${new Date(binStart / 1000).toISOString()}: ${run.rows} rows into ${run.table}`);
        } catch (error) {
          this.options.log.error(`summary rule ${rule.displayName} for ${new Date(binStart / 1000).toISOString()}: ${message(error)} (trying again next tick)`);
          break;
        }
      }
    }
    return runs;
  }

  /**
   * Every due run of every rule, oldest first. A run that raised alerts is delivered at once (sinks need not wait
   * for a long catch-up to end); between runs, smbwatch commands waiting for the store get it (letOthersIn). A
   * catch-up (more than one due run) logs the runs that raised alerts, a progress line every
   * `progressIntervalMs`, and a summary — not a line per empty run.
   */
  private async runDueRules(store: Store, signal: AbortSignal, deliveries: DeliveryOutcome[]): Promise<RuleRunReport[]> {
    const runner = (this.options.runner ?? storeQueryRunner)(store, await storeCatalog(store, this.options.watchlists));
    const reports: RuleRunReport[] = [];
    for (const scheduled of this.options.rules) {
      const last = await lastRunTime(store, scheduled.key);
      const times = dueTimes(this.grid(scheduled.rule), last, this.options.clock.now());
      const progress = times.length > 1 ? new CatchUp(scheduled.rule, times, this.options.log, this.options.progressIntervalMs) : undefined;
      for (const at of times) {
        if (signal.aborted) break;
        let report: RuleRunReport;
        try {
          report = await this.runOnce(store, runner, scheduled, at, progress === undefined);
        } catch (error) {
          // The schedule does not advance: this time is tried again next tick, never skipped.
          this.options.log.error(`rule ${scheduled.rule.id} at ${at.toISOString()}: ${message(error)} (trying again next tick)`);
          break;
        }
        reports.push(report);
        progress?.ran(report);
        if (report.alerts > 0 && !signal.aborted) deliveries.push(...(await this.deliver(store, signal)));
        await this.letOthersIn(store, signal);
      }
      progress?.done();
    }
    return reports;
  }

  /** Lets smbwatch commands waiting for the store (`--wait`) use it, then goes on. */
  private async letOthersIn(store: Store, signal: AbortSignal): Promise<void> {
    const started = performance.now();
    const waiting = await store.letOthersIn?.(signal);
    if (waiting && waiting.length > 0) {
      this.options.log.info(`let ${waiting.join(', ')} use the store (${((performance.now() - started) / 1000).toFixed(1)} s); going on`);
    }
  }

  private async runOnce(store: Store, runner: QueryRunner, scheduled: ScheduledRule, at: Date, logEveryRun: boolean): Promise<RuleRunReport> {
    const { rule, params, key } = scheduled;
    const lastAlertAt = await lastAlertTime(store, rule.id, at);
    const run = await evaluateRule(rule, params, runner, at, lastAlertAt ? { lastAlertAt } : {});
    const write = async (): Promise<number> => {
      const fresh = (await storeAlerts(store, run.alerts)).length;
      // Every alert of a scheduled run goes to every sink once, even if an earlier `smbwatch run` stored it.
      await enqueueAlerts(store, run.alerts, this.options.sinks.map((sink) => sink.name), this.options.clock.now());
      await recordRun(store, key, rule.id, at, this.options.clock.now());
      return fresh;
    };
    let fresh: number;
    if (store.watchTables) {
      // No transactions (a ClickHouse server): the writes go in this order, each a no-op when repeated, so a crash
      // between them leaves the run unrecorded and the next tick does it again, adding only what is missing.
      fresh = await write();
    } else {
      await store.query('BEGIN TRANSACTION');
      try {
        fresh = await write();
        await store.query('COMMIT');
      } catch (error) {
        await store.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }
    if (logEveryRun || run.alerts.length > 0) {
      const what = run.suppressed ? 'suppressed' : `${run.resultRows} rows, ${run.alerts.length} alerts (${fresh} new)`;
      this.options.log.info(`ran ${rule.name} (${rule.id}) at ${at.toISOString()}: ${what}`);
    }
    return { key, ruleId: rule.id, at, suppressed: run.suppressed, resultRows: run.resultRows, alerts: run.alerts.length, newAlerts: fresh };
  }

  private async deliver(store: Store, signal: AbortSignal): Promise<DeliveryOutcome[]> {
    return deliverOutbox(store, this.options.sinks, {
      now: this.options.clock.now(),
      signal,
      backoff: this.options.backoff ?? (() => DEFAULT_OUTBOX_BACKOFF),
      ...(this.options.random ? { random: this.options.random } : {}),
      onOutcome: (outcome) => {
        const where = `alert ${outcome.entry.alertId} to ${outcome.entry.sink}`;
        if (outcome.kind === 'retry') this.options.log.warn(`delivering ${where} failed (attempt ${outcome.entry.attempts}): ${outcome.error}; next attempt at ${outcome.nextAttemptAt.toISOString()}`);
        else if (outcome.kind === 'parked') this.options.log.error(`delivering ${where} failed permanently: ${outcome.error}; parked (start with --retry-parked once fixed)`);
      },
    });
  }

  private async nextRunAt(store: Store): Promise<Date | undefined> {
    const now = this.options.clock.now();
    let earliest: Date | undefined;
    for (const scheduled of this.options.rules) {
      const next = nextDueTime(this.grid(scheduled.rule), await lastRunTime(store, scheduled.key), now);
      if (next && (!earliest || next < earliest)) earliest = next;
    }
    return earliest;
  }

  private grid(rule: Rule): Grid {
    return scheduleGrid(this.options.schedule, rule);
  }

  private reportOnce(problem: string): void {
    if (this.reportedProblems.has(problem)) return;
    this.reportedProblems.add(problem);
    this.options.log.warn(problem);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** How a catch-up of many due runs of one rule is reported: progress now and then, a summary at the end. */
class CatchUp {
  private count = 0;
  private withAlerts = 0;
  private alerts = 0;
  private fresh = 0;
  private lastAt: Date | undefined;
  private lastReport = performance.now();

  constructor(
    private readonly rule: Rule,
    private readonly times: readonly Date[],
    private readonly log: WatchLog,
    private readonly intervalMs = 10_000,
  ) {
    log.info(`catching up ${rule.name} (${rule.id}): ${times.length} runs due from ${times[0]!.toISOString()} to ${times[times.length - 1]!.toISOString()}`);
  }

  ran(report: RuleRunReport): void {
    this.count++;
    this.lastAt = report.at;
    if (report.alerts > 0) this.withAlerts++;
    this.alerts += report.alerts;
    this.fresh += report.newAlerts;
    if (performance.now() - this.lastReport >= this.intervalMs && this.count < this.times.length) {
      this.lastReport = performance.now();
      this.log.info(`catching up ${this.rule.name}: ${this.count} of ${this.times.length} runs done (up to ${report.at.toISOString()}), ${this.alerts} alerts so far`);
    }
  }

  done(): void {
    const range = this.lastAt ? ` from ${this.times[0]!.toISOString()} to ${this.lastAt.toISOString()}` : '';
    const left = this.times.length - this.count;
    this.log.info(
      `caught up ${this.rule.name}: ${this.count} of ${this.times.length} runs${range}, ${this.withAlerts} with alerts ` +
        `(${this.alerts} alerts, ${this.fresh} new)${left > 0 ? `; ${left} left for the next tick` : ''}`,
    );
  }
}
