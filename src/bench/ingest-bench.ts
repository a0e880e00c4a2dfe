/**
 * Ingest benchmark (issues 2 and 13): whole `smbwatch ingest` processes, as a user runs them.
 *   - one big Zeek conn.log against DuckDB's own read_csv of it into a typed table (goal ≤ 1.2×);
 *   - the same records as hourly gzipped files, and as a directory of thousands of small files, against the one big
 *     plain file, in records per second (goal ≥ 0.8);
 *   - peak memory for 10× the records (goal: flat).
 * Every pair runs in turn (A B A B…), each process on a fresh store; the ratio is taken pair by pair.
 */
import { createReadStream, createWriteStream, mkdirSync, rmSync, statSync, mkdtempSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGzip } from 'node:zlib';
import { child, count, cpuRatios, machineLoad, median, mib, pairRuns, runChild, secs, type Child, type Pairing } from './processes.js';
import { writeZeekConnLog } from './zeek-generator.js';

/** Both processes run DuckDB with the same memory limit, so peak memory compares like for like. */
const MEMORY_LIMIT = '1GB';
const PAIRS = 3;
const HOURLY_FILES = 48;
const SMALL_FILE_RECORDS = 1000;

/**
 * The records of a conn.log split into `parts` files, each with the header and a #close trailer, as Zeek rotates
 * them; gzipped or plain. Returns the directory.
 */
async function splitZeekLog(log: string, dir: string, parts: number, records: number, gzip: boolean): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const header: string[] = [];
  let trailer = '';
  let part = -1;
  let written = 0;
  let out: NodeJS.WritableStream | undefined;
  let sink: ReturnType<typeof createWriteStream> | undefined;
  const close = async () => {
    if (!out || !sink) return;
    out.write(`${trailer || '#close\t2024-03-15-00-00-00'}\n`);
    out.end();
    await once(sink, 'finish');
  };
  for await (const line of createInterface({ input: createReadStream(log, { highWaterMark: 1 << 20 }), crlfDelay: Infinity })) {
    if (line.startsWith('#')) {
      if (line.startsWith('#close')) trailer = line;
      else header.push(line);
      continue;
    }
    const wanted = Math.floor((written * parts) / records);
    if (wanted !== part) {
      await close();
      part = wanted;
      sink = createWriteStream(join(dir, `conn.${String(part).padStart(5, '0')}.log${gzip ? '.gz' : ''}`));
      if (gzip) {
        const zip = createGzip();
        zip.pipe(sink);
        out = zip;
      } else {
        out = sink;
      }
      out.write(`${header.join('\n')}\n`);
    }
    if (!out!.write(`${line}\n`)) await once(out!, 'drain');
    written++;
  }
  await close();
  return dir;
}

function directorySize(dir: string, files: number, gzip: boolean): number {
  let bytes = 0;
  for (let part = 0; part < files; part++) bytes += statSync(join(dir, `conn.${String(part).padStart(5, '0')}.log${gzip ? '.gz' : ''}`)).size;
  return bytes;
}

function ingest(db: string, input: string): Child {
  return child('./cli-child.js', 'ingest', '--db', db, '--memory-limit', MEMORY_LIMIT, '--progress', 'none', '--output', 'json', input);
}

function checkRecords(what: string, pairing: Pairing, records: number): void {
  for (const figures of pairing.a) {
    const summary = JSON.parse(figures.stdout) as { inputs: Array<{ records: number; status: string }> };
    const stored = summary.inputs.reduce((sum, input) => sum + input.records, 0);
    if (stored !== records) throw new Error(`ingest benchmark, ${what}: ${stored} records stored of ${records}`);
  }
}

export async function ingestBenchmark(records: number): Promise<string> {
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'smbwatch-bench-'));
  const fresh = (db: string) => () => {
    rmSync(db, { force: true });
    rmSync(`${db}.wal`, { force: true });
  };
  try {
    const big = join(dir, 'conn.log');
    const huge = join(dir, 'conn-10x.log');
    process.stderr.write(`ingest: generating ${count(records)} Zeek conn records, and their splits…\n`);
    await writeZeekConnLog(big, records);
    const hourly = await splitZeekLog(big, join(dir, 'hourly'), HOURLY_FILES, records, true);
    const smallFiles = Math.max(1, Math.round(records / SMALL_FILE_RECORDS));
    const small = await splitZeekLog(big, join(dir, 'small'), smallFiles, records, false);
    const size = statSync(big).size;
    const gzBytes = directorySize(hourly, HOURLY_FILES, true);
    const ours = join(dir, 'ours.duckdb');
    const theirs = join(dir, 'theirs.duckdb');
    const prepare = (which: 'a' | 'b'): void => fresh(which === 'a' ? ours : theirs)();

    const loadBefore = machineLoad();
    process.stderr.write('ingest: one plain file vs DuckDB read_csv…\n');
    const plain = pairRuns(ingest(ours, big), child('./baseline-child.js', theirs, big, MEMORY_LIMIT), PAIRS, prepare);
    checkRecords('one plain file', plain, records);
    process.stderr.write(`ingest: ${HOURLY_FILES} gzipped files vs the plain file…\n`);
    const gz = pairRuns(ingest(ours, hourly), ingest(theirs, big), PAIRS, prepare);
    checkRecords('hourly gzipped files', gz, records);
    process.stderr.write(`ingest: ${count(smallFiles)} small files vs the plain file…\n`);
    const many = pairRuns(ingest(ours, small), ingest(theirs, big), PAIRS, prepare);
    checkRecords('small files', many, records);

    process.stderr.write(`ingest: ${count(records * 10)} records (memory)…\n`);
    rmSync(join(dir, 'hourly'), { recursive: true, force: true });
    rmSync(join(dir, 'small'), { recursive: true, force: true });
    await writeZeekConnLog(huge, records * 10);
    fresh(ours)();
    const tenfold = runChild(ingest(ours, huge));

    const oursPlain = median(plain.a.map((f) => f.seconds));
    const baseline = median(plain.b.map((f) => f.seconds));
    const loadAfter = machineLoad();
    const speed = (pairing: Pairing) => median(pairing.ratios.map((ratio) => 1 / ratio));
    const cpuSpeed = (pairing: Pairing) => median(cpuRatios(pairing).map((ratio) => 1 / ratio));
    const memory = median(plain.a.map((f) => f.maxRssBytes));
    const rate = (seconds: number) => count(records / seconds);
    const gzSeconds = median(gz.a.map((f) => f.seconds));
    const manySeconds = median(many.a.map((f) => f.seconds));
    return `## Ingest: Zeek conn.log, whole processes (issues 2 and 13)

Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}.
Input: ${count(records)} generated conn records, ${(size / 1024 ** 2).toFixed(0)} MiB of TSV; the same records as ${HOURLY_FILES} hourly gzipped files
(${(gzBytes / 1024 ** 2).toFixed(0)} MiB, as Zeek rotates them) and as ${count(smallFiles)} plain files of ${count(SMALL_FILE_RECORDS)} records. Every process whole (start-up to exit), on a
fresh store, DuckDB memory_limit ${MEMORY_LIMIT} and preserve_insertion_order false in all; ${PAIRS} pairs in turn after a warm-up
pair, medians, ratios pair by pair.

| | time | CPU | records/s | peak memory | ratio (wall) | ratio (CPU) | goal |
|---|---:|---:|---:|---:|---:|---:|---:|
| baseline: DuckDB \`read_csv\` into a typed table | ${secs(baseline)} | ${secs(median(plain.b.map((f) => f.cpuSeconds)))} | ${rate(baseline)} | ${mib(median(plain.b.map((f) => f.maxRssBytes)))} | | | |
| smbwatch ingest, one plain file | ${secs(oursPlain)} | ${secs(median(plain.a.map((f) => f.cpuSeconds)))} | ${rate(oursPlain)} | ${mib(memory)} | **${median(plain.ratios).toFixed(2)}×** the baseline's time | **${median(cpuRatios(plain)).toFixed(2)}×** | ≤ 1.2× |
| smbwatch ingest, ${HOURLY_FILES} hourly .gz files | ${secs(gzSeconds)} | ${secs(median(gz.a.map((f) => f.cpuSeconds)))} | ${rate(gzSeconds)} | ${mib(median(gz.a.map((f) => f.maxRssBytes)))} | **${speed(gz).toFixed(2)}×** the plain file's records/s | **${cpuSpeed(gz).toFixed(2)}×** | ≥ 0.8× |
| smbwatch ingest, ${count(smallFiles)} small files | ${secs(manySeconds)} | ${secs(median(many.a.map((f) => f.cpuSeconds)))} | ${rate(manySeconds)} | ${mib(median(many.a.map((f) => f.maxRssBytes)))} | **${speed(many).toFixed(2)}×** the plain file's records/s | **${cpuSpeed(many).toFixed(2)}×** | ≥ 0.8× |
| smbwatch ingest, one plain file of ${count(records * 10)} records | ${secs(tenfold.seconds)} | ${secs(tenfold.cpuSeconds)} | ${count((records * 10) / tenfold.seconds)} | ${mib(tenfold.maxRssBytes)} | **${(tenfold.maxRssBytes / memory).toFixed(2)}×** the peak memory at ${count(records)} | | ≈ 1× |

Machine load (1-minute average) ${loadBefore} when the pairs began, ${loadAfter} when they ended, on ${cpus().length} cores: where
it is above the core count, other work shared the cores and the wall-time ratios carry its noise; the CPU ratios
(user + system time of every thread of each process) do not.
`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
