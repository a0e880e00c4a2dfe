/**
 * `npm run torture`: crash safety under `kill -9`, bounded and seeded. Each trial starts a real `smbwatch`
 * process, kills it with SIGKILL at a seeded random instant within the time a clean run takes, checks that the
 * store still opens, runs the same command again to completion (what a user does after a crash), and compares
 * the result with a clean run's:
 *   ingest-bulk, ingest-lines, ingest-archive, ingest-many-files: the records (every column, as a multiset), the
 *     rejects and the ledger equal a clean ingest's — nothing lost, nothing doubled;
 *   run: every alert of a clean run is in the store exactly once;
 *   watch: alerts in the store once, the JSON-lines sink holds each alert once, the webhook (a loopback receiver
 *     here) got every alert at least once under its stable id (Idempotency-Key), and the outbox is empty.
 * Options: --seed N (default 1), --trials N per operation (default 50), --op NAME (repeatable: only these),
 * --work DIR (default a temporary directory), --report FILE (write the figures into FILE's torture section).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSection } from '../../bench/report.js';
import { Random } from '../../demo/random.js';
import { OPERATIONS, type Operation, type TrialOutcome } from './operations.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    trials: { type: 'string', default: '50' },
    op: { type: 'string', multiple: true },
    work: { type: 'string' },
    report: { type: 'string' },
  },
});

const seed = Number(values.seed);
const trials = Number(values.trials);
const work = values.work ? resolve(values.work) : mkdtempSync(join(tmpdir(), 'smbwatch-torture-'));
const selected = OPERATIONS.filter((operation) => !values.op || values.op.includes(operation.name));
const started = performance.now();

interface Figures {
  readonly operation: Operation;
  readonly cleanSeconds: number;
  readonly outcomes: TrialOutcome[];
}

const figures: Figures[] = [];
try {
  for (const operation of selected) {
    const dir = join(work, operation.name);
    const prepared = await operation.prepare(dir);
    const random = new Random(seed ^ hash(operation.name));
    const outcomes: TrialOutcome[] = [];
    for (let trial = 0; trial < trials; trial++) {
      const outcome = await prepared.trial(trial, random.next());
      outcomes.push(outcome);
      process.stderr.write(`\rtorture ${operation.name}: ${trial + 1}/${trials}${outcome.problems.length > 0 ? ` FAILED: ${outcome.problems.join('; ')}\n` : ''}`);
    }
    process.stderr.write('\n');
    await prepared.close();
    figures.push({ operation, cleanSeconds: prepared.cleanSeconds, outcomes });
  }
} finally {
  if (!values.work) rmSync(work, { recursive: true, force: true });
}

const report = render();
process.stdout.write(`${report}\n`);
if (values.report) writeSection(resolve(values.report), 'torture', report, '# Reliability\n');
process.exitCode = figures.some((entry) => entry.outcomes.some((outcome) => outcome.problems.length > 0)) ? 1 : 0;

function render(): string {
  const seconds = (performance.now() - started) / 1000;
  const lines = [
    `Command: \`npm run torture -- --seed ${seed} --trials ${trials}\` (${seconds.toFixed(0)} s).`,
    '',
    '| operation | what is checked after kill -9 and a rerun | clean run (s) | trials | killed mid-way | finished before the kill | store opened after the kill | clean outcome |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...figures.map(({ operation, cleanSeconds, outcomes }) => {
      const killed = outcomes.filter((outcome) => outcome.killed).length;
      const opened = outcomes.filter((outcome) => outcome.storeOpened).length;
      const clean = outcomes.filter((outcome) => outcome.problems.length === 0).length;
      return `| ${operation.name} | ${operation.checks} | ${cleanSeconds.toFixed(2)} | ${outcomes.length} | ${killed} | ${outcomes.length - killed} | ${opened}/${outcomes.length} | ${clean}/${outcomes.length} |`;
    }),
  ];
  const failures = figures.flatMap(({ operation, outcomes }) => outcomes.flatMap((outcome, index) => outcome.problems.map((problem) => `- ${operation.name} trial ${index}: ${problem}`)));
  if (failures.length > 0) lines.push('', 'Failures:', '', ...failures);
  return lines.join('\n');
}

function hash(label: string): number {
  let value = 0x811c9dc5;
  for (const char of label) value = Math.imul(value ^ char.charCodeAt(0), 0x01000193);
  return value >>> 0;
}
