/**
 * Run benchmark (issue 13): a whole `smbwatch run` of the seed rule, as a user starts it, against node running the
 * equivalent hand-written SQL on the same store, at two sizes. Both are whole processes (start-up, loading, opening the
 * store, the query, output), in turn A B A B…, the ratio taken pair by pair. The rule's plan is the one shipped with
 * smbwatch (compiled at build time), so no run loads Kusto.Language — the first run on the store included.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { child, count, cpuRatios, machineLoad, median, mib, pairRuns, runChild, secs } from './processes.js';
import { PLANTED_RECORDS, SCALE_END_US } from './scale-traffic.js';

const MEMORY_LIMIT = '2GB';
const PAIRS = 5;

interface SizeFigures {
  readonly records: number;
  readonly ours: number;
  readonly hand: number;
  readonly ratio: number;
  readonly cpuRatio: number;
  readonly load: string;
  readonly oursMemory: number;
  readonly handMemory: number;
}

function measure(dir: string, records: number): SizeFigures {
  const db = join(dir, `run-${records}.duckdb`);
  process.stderr.write(`run: generating ${count(records)} records into a store…\n`);
  runChild(child('./scale-child.js', 'fill', db, String(records), MEMORY_LIMIT));
  const at = new Date(SCALE_END_US / 1000).toISOString();
  const ours = child('./cli-child.js', 'run', '--db', db, '--at', at, '--memory-limit', MEMORY_LIMIT, '--output', 'json', '--verbose');
  const hand = child('./hand-sql-child.js', db, String(SCALE_END_US), MEMORY_LIMIT);
  process.stderr.write(`run: smbwatch run vs hand-written SQL, ${PAIRS} pairs…\n`);
  const load = machineLoad();
  const pairing = pairRuns(ours, hand, PAIRS);
  const alerts = (JSON.parse(pairing.a[0]!.stdout) as { alertCount: number }).alertCount;
  const rows = Number(pairing.b[0]!.report.rows);
  const plans = new Set(pairing.a.map((f) => f.stderr.trim()));
  if (plans.size !== 1 || !plans.has('plan: shipped; Kusto.Language loaded: no')) throw new Error(`run: unexpected plans: ${[...plans].join(' | ')}`);
  if (alerts !== rows) throw new Error(`run: smbwatch run fired ${alerts} alerts, the hand-written SQL returned ${rows} rows`);
  rmSync(db, { force: true });
  return {
    records: records + PLANTED_RECORDS,
    ours: median(pairing.a.map((f) => f.seconds)),
    hand: median(pairing.b.map((f) => f.seconds)),
    ratio: median(pairing.ratios),
    cpuRatio: median(cpuRatios(pairing)),
    load,
    oursMemory: median(pairing.a.map((f) => f.maxRssBytes)),
    handMemory: median(pairing.b.map((f) => f.maxRssBytes)),
  };
}

export async function runBenchmark(sizes: readonly number[]): Promise<string> {
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? process.env.TMPDIR ?? '/tmp', 'smbwatch-run-bench-'));
  try {
    const figures = sizes.map((records) => measure(dir, records));
    const version = runChild(child('./cli-child.js', '--version'));
    const row = (f: SizeFigures) =>
      `| ${count(f.records)} | ${secs(f.hand)}, ${mib(f.handMemory)} | ${secs(f.ours)}, ${mib(f.oursMemory)} | **${f.ratio.toFixed(2)}×** | **${f.cpuRatio.toFixed(2)}×** | ${f.load} |`;
    return `## Run: a whole \`smbwatch run\` vs node running the hand-written SQL (issue 13)

Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}.
Data: the scale benchmark's traffic (src/bench/scale-traffic.ts) over 14 days, in the DuckDB store. Both processes
run with DuckDB memory_limit ${MEMORY_LIMIT}; the seed rule at ${new Date(SCALE_END_US / 1000).toISOString()}, its plan shipped with smbwatch (no
Kusto.Language in any run). Whole processes, in turn, ${PAIRS} pairs after a warm-up pair; medians, the ratio pair by
pair. The alerts smbwatch fires equal the rows the SQL returns.

| records | node + hand-written SQL | smbwatch run | ratio, wall (goal ≤ 1.5×) | ratio, CPU | machine load |
|---:|---:|---:|---:|---:|---:|
${figures.map(row).join('\n')}

\`smbwatch --version\`: ${secs(version.seconds)}, ${mib(version.maxRssBytes)} (command modules load only when their command runs).
`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
