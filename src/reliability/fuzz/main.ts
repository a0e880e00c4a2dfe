/**
 * `npm run fuzz`: mutation fuzzing of every source format (and, in containers.ts, the gzip/zip layer), bounded
 * and seeded. Options:
 *   --seed N         the run's seed (default 1); a finding names (seed, format, document) and is reproduced by
 *                    `--format F --from D --to D+1 --seed N`
 *   --inputs N       mutated inputs per format family (default 1,000,000)
 *   --family F / --format F   fuzz only these
 *   --units N        mutated units per document (default 32)
 *   --jobs N         parallel workers (default 2)
 *   --hang-ms N      a document whose check takes longer than N ms plus 2 s per MB is a hang (default 10,000)
 *   --findings DIR   where reduced reproducers go (default fuzz-findings/)
 *   --report FILE    write the figures into FILE's fuzz section (e.g. RELIABILITY.md)
 */
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { writeSection } from '../../bench/report.js';
import { BINARY_FORMATS, FAMILIES, loadTemplates, type Family } from './corpus.js';
import { fuzzContainers, type ContainerStats } from './containers.js';
import { fuzzParquet } from './parquet.js';
import { assemble } from './document.js';
import { emptyStats, fuzzDocument, type Finding, type FormatStats } from './runner.js';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    inputs: { type: 'string', default: '1000000' },
    family: { type: 'string' },
    format: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    units: { type: 'string', default: '32' },
    jobs: { type: 'string', default: '2' },
    'hang-ms': { type: 'string', default: '10000' },
    'ingest-every': { type: 'string', default: '64' },
    parquet: { type: 'string', default: '2000' },
    containers: { type: 'string', default: '20000' },
    findings: { type: 'string', default: 'fuzz-findings' },
    fixtures: { type: 'string', default: 'test/fixtures' },
    report: { type: 'string' },
  },
});

const seed = Number(values.seed);
const unitsPerDocument = Number(values.units);
const hangMs = Number(values['hang-ms']);
const fixtures = resolve(values.fixtures!);
const findingsDir = resolve(values.findings!);
const templates = loadTemplates(fixtures);
const families = (values.family ? [values.family] : FAMILIES) as Family[];

interface Job {
  readonly format: string;
  readonly from: number;
  readonly to: number;
}

const jobs: Job[] = [];
for (const family of families) {
  const formats = [...new Set(templates.filter((template) => template.family === family).map((template) => template.format))].filter(
    (format) => !values.format || format === values.format,
  );
  const documents = Math.ceil(Number(values.inputs) / Math.max(1, formats.length) / unitsPerDocument);
  for (const format of formats) {
    const from = values.from ? Number(values.from) : 0;
    const to = values.to ? Number(values.to) : from + documents;
    // Ranges of at most 2,000 documents, so the workers share the work evenly.
    for (let start = from; start < to; start += 2000) jobs.push({ format, from: start, to: Math.min(to, start + 2000) });
  }
}

const stats = new Map<string, FormatStats>();
/** Workers loading modules on a busy machine are not judged by the hang bound. */
const STARTUP_MS = 120_000;
/** Documents that stalled once but ran within the bound when run again alone. */
let stalls = 0;
const started = performance.now();
let done = 0;

function merge(into: FormatStats, part: FormatStats): void {
  into.documents += part.documents;
  into.mutatedInputs += part.mutatedInputs;
  into.differentialDocuments += part.differentialDocuments;
  into.ingestChecks += part.ingestChecks;
  into.bytes += part.bytes;
  into.totalParseMs += part.totalParseMs;
  into.maxMsPerLine = Math.max(into.maxMsPerLine, part.maxMsPerLine);
  into.maxDocumentMs = Math.max(into.maxDocumentMs, part.maxDocumentMs);
  into.findings.push(...part.findings);
}

/**
 * Runs a job in a worker. A document that outlives the hang bound is run again alone in a fresh worker: only if
 * it hangs there too is it a hang (a busy machine can stall a worker for a while); a worker that dies or runs out
 * of memory is a finding. Either way the rest of the range goes on.
 */
function runJob(job: Job, confirming = false): Promise<'ok' | 'hung'> {
  return new Promise((resolveJob) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: { ...job, fixtures, seed, unitsPerDocument, ingestEvery: Number(values['ingest-every']), findingsDir },
      resourceLimits: { maxOldGenerationSizeMb: 4096 },
    });
    let current = job.from;
    let currentBytes = 0;
    let lastBeat = performance.now();
    let started = false;
    let finished = false;
    const total = stats.get(job.format) ?? emptyStats(job.format);
    stats.set(job.format, total);
    const finish = async (problem: { kind: string; message: string } | undefined): Promise<void> => {
      if (finished) return;
      finished = true;
      clearInterval(watchdog);
      if (!problem) return resolveJob('ok');
      await worker.terminate();
      if (problem.kind === 'hang' && confirming) return resolveJob('hung');
      const confirmed = problem.kind !== 'hang' || (await runJob({ ...job, from: current, to: current + 1 }, true)) === 'hung';
      if (confirmed) {
        const reproducer = saveDocument(job.format, current, problem.kind);
        total.findings.push({ ...problem, format: job.format, seed, document: current, mutators: [], reproducer });
      } else stalls++;
      if (current + 1 < job.to) await runJob({ ...job, from: current + 1 });
      resolveJob('ok');
    };
    const watchdog = setInterval(() => {
      const limit = started ? (hangMs + (currentBytes / 1e6) * 2000) * (confirming ? 3 : 1) : STARTUP_MS;
      if (performance.now() - lastBeat > limit) void finish({ kind: 'hang', message: `document took longer than ${hangMs} ms (twice, the second time alone)` });
    }, 250);
    worker.on('message', (message: { type: string; number?: number; bytes?: number; stats?: FormatStats }) => {
      lastBeat = performance.now();
      started = true;
      if (message.type === 'document' && message.bytes !== 0) {
        current = message.number!;
        currentBytes = message.bytes ?? 0;
      }
      if (message.type === 'done') {
        if (!confirming) merge(total, message.stats!);
        void finish(undefined);
      }
    });
    worker.on('error', (error) => void finish({ kind: /memory/i.test(error.message) ? 'out-of-memory' : 'crash', message: error.message }));
    worker.on('exit', (code) => {
      if (!finished && code !== 0) void finish({ kind: 'crash', message: `worker exited with code ${code}` });
    });
  });
}

function saveDocument(format: string, number: number, kind: string): string {
  mkdirSync(findingsDir, { recursive: true });
  const document = fuzzDocument({ templates: templates.filter((template) => template.format === format), seed, format, unitsPerDocument }, number);
  const path = join(findingsDir, `${format}-${kind}-seed${seed}-doc${number}.bin`);
  writeFileSync(path, assemble(document).bytes);
  return path;
}

async function pool(): Promise<void> {
  const queue = [...jobs];
  const lanes = Array.from({ length: Math.max(1, Number(values.jobs)) }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      await runJob(job);
      done++;
      process.stderr.write(`\rfuzz: ${done}/${jobs.length} ranges, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
  });
  await Promise.all(lanes);
  process.stderr.write('\n');
}

await pool();
const containerStats: ContainerStats | undefined =
  !values.format && (!values.family || values.family === 'containers') && Number(values.containers) > 0
    ? await fuzzContainers({ seed, inputs: Number(values.containers), findingsDir })
    : undefined;
const parquetStats =
  (!values.format || values.format === 'asim-parquet') && (!values.family || values.family === 'asim') && Number(values.parquet) > 0
    ? await fuzzParquet({ seed, inputs: Number(values.parquet), fixtures, findingsDir })
    : undefined;
if (parquetStats) stats.set('asim-parquet', parquetStats);

const seconds = (performance.now() - started) / 1000;
const report = renderReport();
process.stdout.write(`${report}\n`);
if (values.report) writeSection(resolve(values.report), 'fuzz', report);
const findings = [...stats.values()].flatMap((entry) => entry.findings).length + (containerStats?.findings.length ?? 0);
process.exitCode = findings > 0 ? 1 : 0;

function renderReport(): string {
  const familyOf = new Map<string, string>([...templates.map((t) => [t.format, t.family] as const), ...BINARY_FORMATS.map((b) => [b.format, b.family] as const)]);
  const rows = [...stats.values()].sort((a, b) => (familyOf.get(a.format) ?? '').localeCompare(familyOf.get(b.format) ?? '') || a.format.localeCompare(b.format));
  const perFamily = new Map<string, number>();
  for (const row of rows) perFamily.set(familyOf.get(row.format) ?? '?', (perFamily.get(familyOf.get(row.format) ?? '?') ?? 0) + row.mutatedInputs);
  const lines = [
    `Command: \`npm run fuzz -- --seed ${seed} --inputs ${values.inputs} --units ${unitsPerDocument}\` (${seconds.toFixed(0)} s, ${values.jobs} workers).`,
    '',
    `Hang bound ${hangMs} ms + 2 s per MB per document; stalls not reproduced when run again alone: ${stalls}.`,
    '',
    `Mutated inputs per family: ${[...perFamily].map(([family, count]) => `${family} ${count.toLocaleString('en-US')}`).join(', ')}${containerStats ? `, containers ${containerStats.inputs.toLocaleString('en-US')}` : ''}.`,
    '',
    '| family | format | mutated inputs | documents | differential checked | ingest checks | MB parsed | slowest ms/line | findings |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (row) =>
        `| ${familyOf.get(row.format)} | ${row.format} | ${row.mutatedInputs.toLocaleString('en-US')} | ${row.documents.toLocaleString('en-US')} | ${row.differentialDocuments.toLocaleString('en-US')} | ${row.ingestChecks} | ${(row.bytes / 1e6).toFixed(0)} | ${row.maxMsPerLine.toFixed(2)} | ${row.findings.length} |`,
    ),
    ...(containerStats
      ? [`| containers | gzip, zip, zip+gzip | ${containerStats.inputs.toLocaleString('en-US')} | ${containerStats.inputs.toLocaleString('en-US')} | – | – | ${(containerStats.bytes / 1e6).toFixed(0)} | – | ${containerStats.findings.length} |`]
      : []),
  ];
  const all = [...rows.flatMap((row) => row.findings), ...(containerStats?.findings ?? [])];
  if (all.length > 0) {
    lines.push('', 'Findings:', '');
    for (const finding of all) lines.push(`- ${finding.format} ${finding.kind} (seed ${finding.seed}, document ${finding.document}): ${finding.message}${finding.reproducer ? ` — ${finding.reproducer}` : ''}`);
  }
  return lines.join('\n');
}
