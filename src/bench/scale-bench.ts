/**
 * The scale benchmark (`npm run bench -- --scale`, issue 13): 14 days of traffic at increasing sizes, each in a
 * store of its own. The first size is ingested as a sensor leaves it — hourly gzipped Zeek conn.log files, through
 * `smbwatch ingest` —; larger sizes are generated straight into the store by SQL, as the same records ingest would
 * store (scale-traffic.ts). For each: the store's bytes per record against the gzipped Zeek logs, the seed rule's run
 * and smbwatch's own SMB rule's run (whole `smbwatch run` processes with --memory-limit, median of 3), and their
 * peak memory. A size is skipped, and said so, when the disk has no room for it.
 */
import { mkdirSync, rmSync, statfsSync, statSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { builtinRules, DEFAULT_RULE_ID } from '../rules/load.js';
import { child, count, median, mib, runChild, secs, type ProcessFigures } from './processes.js';
import { PLANTED_RECORDS, SCALE_END_US } from './scale-traffic.js';

/** smbwatch's own SMB lateral-movement rule, once it is built in. */
export const OWN_SMB_RULE_ID = '332f0f21-4ae7-4075-9fc6-c228b4fa3555';
const GiB = 1024 ** 3;
/** Disk left free for everything else on the machine. */
const DISK_HEADROOM = 10 * GiB;

export interface ScaleOptions {
  /** Record counts, increasing; the first is ingested from files, the others generated into the store. */
  readonly sizes: readonly number[];
  /** Where stores and logs go (large). */
  readonly dir: string;
  /** DuckDB's memory limit for ingest and runs. */
  readonly memoryLimit: string;
}

interface RuleRun {
  readonly seconds: number;
  readonly maxRssBytes: number;
  readonly alerts: number;
}

interface SizeFigures {
  readonly records: number;
  readonly storeBytes: number;
  readonly ingest?: ProcessFigures & { readonly gzipBytes: number; readonly files: number };
  readonly fillSeconds?: number;
  readonly seed: RuleRun;
  readonly own?: RuleRun;
}

const atIso = new Date(SCALE_END_US / 1000).toISOString();

function storeSize(db: string): number {
  return [db, `${db}.wal`].filter(existsSync).reduce((sum, path) => sum + statSync(path).size, 0);
}

function freeBytes(dir: string): number {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

/** `smbwatch run` of a rule, three times (the first one stores the alerts): the median, and the largest peak memory. */
function runRule(db: string, ruleId: string, memoryLimit: string): RuleRun {
  const runs: ProcessFigures[] = [];
  for (let i = 0; i < 3; i++) runs.push(runChild(child('./cli-child.js', 'run', '--db', db, '--rule', ruleId, '--at', atIso, '--memory-limit', memoryLimit, '--output', 'json')));
  const summary = JSON.parse(runs[runs.length - 1]!.stdout) as { alertCount: number };
  return {
    seconds: median(runs.map((run) => run.seconds)),
    maxRssBytes: Math.max(...runs.map((run) => run.maxRssBytes)),
    alerts: summary.alertCount,
  };
}

function ownRuleBuiltIn(): boolean {
  return builtinRules().some((rule) => rule.id === OWN_SMB_RULE_ID);
}

async function measureSize(records: number, first: boolean, options: ScaleOptions, bytesPerRecordGuess: number): Promise<SizeFigures | string> {
  const dir = join(options.dir, `scale-${records}`);
  const db = join(dir, 'store.duckdb');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    const needed = records * bytesPerRecordGuess * 1.3 + DISK_HEADROOM;
    if (freeBytes(options.dir) < needed) {
      return `not run: it needs about ${(needed / GiB).toFixed(0)} GiB of disk, ${(freeBytes(options.dir) / GiB).toFixed(0)} GiB are free`;
    }
    let ingest: SizeFigures['ingest'];
    let fillSeconds: number | undefined;
    if (first) {
      const logs = join(dir, 'zeek');
      process.stderr.write(`scale: writing ${count(records)} records as hourly gzipped Zeek conn.log files…\n`);
      const written = runChild(child('./scale-child.js', 'zeek', logs, String(records)));
      process.stderr.write('scale: smbwatch ingest of them…\n');
      const figures = runChild(child('./cli-child.js', 'ingest', '--db', db, '--memory-limit', options.memoryLimit, '--progress', 'none', '--output', 'json', logs));
      const summary = JSON.parse(figures.stdout) as { inputs?: Array<{ records: number; status: string }> };
      const ingested = (summary.inputs ?? []).reduce((sum, outcome) => sum + outcome.records, 0);
      if (ingested !== records + PLANTED_RECORDS) throw new Error(`scale: ingest stored ${ingested} records of ${records + PLANTED_RECORDS}`);
      ingest = { ...figures, gzipBytes: Number(written.report.bytes), files: summary.inputs?.length ?? 0 };
      rmSync(logs, { recursive: true, force: true });
    } else {
      process.stderr.write(`scale: generating ${count(records)} records straight into a store…\n`);
      fillSeconds = runChild(child('./scale-child.js', 'fill', db, String(records), options.memoryLimit)).seconds;
    }
    const storeBytes = storeSize(db);
    process.stderr.write('scale: the seed rule…\n');
    const seed = runRule(db, DEFAULT_RULE_ID, options.memoryLimit);
    const own = ownRuleBuiltIn() ? (process.stderr.write("scale: smbwatch's own SMB rule…\n"), runRule(db, OWN_SMB_RULE_ID, options.memoryLimit)) : undefined;
    return { records: records + PLANTED_RECORDS, storeBytes, ingest, fillSeconds, seed, own };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function scaleBenchmark(options: ScaleOptions): Promise<string> {
  const results: Array<{ records: number; figures: SizeFigures | string }> = [];
  let bytesPerRecord = 60; // a guess until the first store is measured
  for (const [index, records] of options.sizes.entries()) {
    const figures = await measureSize(records, index === 0, options, bytesPerRecord);
    if (typeof figures !== 'string') bytesPerRecord = figures.storeBytes / figures.records;
    results.push({ records, figures });
  }
  const measured = results.map((r) => r.figures).filter((f): f is SizeFigures => typeof f !== 'string');
  const ingested = measured.find((f) => f.ingest);
  const gzipPerRecord = ingested?.ingest ? ingested.ingest.gzipBytes / ingested.records : undefined;
  const own = ownRuleBuiltIn();
  const row = ({ records, figures }: (typeof results)[number]): string => {
    if (typeof figures === 'string') return `| ${count(records)} | ${figures} | | | | | |`;
    const perRecord = figures.storeBytes / figures.records;
    const how = figures.ingest
      ? `ingested: ${figures.ingest.files} files, ${secs(figures.ingest.seconds)}, **${count(figures.records / figures.ingest.seconds)}/s**, peak ${mib(figures.ingest.maxRssBytes)}`
      : `generated by SQL in ${secs(figures.fillSeconds ?? 0)}`;
    const rule = (run: RuleRun | undefined) => (run ? `**${secs(run.seconds)}**, ${mib(run.maxRssBytes)}, ${run.alerts} alerts` : 'not built in yet');
    return `| ${count(figures.records)} | ${how} | ${(figures.storeBytes / GiB).toFixed(1)} GiB | ${perRecord.toFixed(1)}${gzipPerRecord ? ` (${(perRecord / gzipPerRecord).toFixed(2)}× gzip)` : ''} | ${rule(figures.seed)} | ${own ? rule(figures.own) : 'not built in yet'} |`;
  };
  const largest = measured[measured.length - 1];
  return `## Scale: 14 days at increasing sizes (issue 13)

Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores, ${(totalmem() / GiB).toFixed(0)} GiB, Node ${process.version}; DuckDB --memory-limit ${options.memoryLimit}
for ingest and runs. Traffic: src/bench/scale-traffic.ts (≈20,000 internal hosts, 400 servers, 35% SMB, 1% public and
1% IPv6 sources, ten planted SMB bursts in the last 12 hours). The first size is ingested from hourly gzipped Zeek
conn.log files (${ingested?.ingest ? `${(gzipPerRecord ?? 0).toFixed(1)} bytes per record gzipped` : 'not measured'}); the larger ones are generated straight into the store by SQL, through
the same mapping as the bulk reader (a test holds the two equal). Rules run at ${atIso} over the 14-day look-back
(all the records), as whole \`smbwatch run\` processes, median of 3; memory is the largest peak.

| records | how the store was filled | store | bytes/record | seed rule run, peak memory | own SMB rule run, peak memory |
|---:|---|---:|---:|---:|---:|
${results.map(row).join('\n')}

- **Goal**: the seed rule over 1,000,000,000 records in under 60 s on 2 cores, memory bounded by --memory-limit.
  Largest size run: ${largest ? `${count(largest.records)} records, seed rule ${secs(largest.seed.seconds)}, peak ${mib(largest.seed.maxRssBytes)} with --memory-limit ${options.memoryLimit}` : 'none'}.
`;
}
