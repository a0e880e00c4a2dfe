/**
 * `smbwatch demo` (and `npm start`): a simulated office network's Zeek logs, with a lateral-movement episode
 * and the seed rule's edge cases planted, ingested into a demo store; then what the seed rule sees at T.
 */
import { resolve, join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_DEMO_OPTIONS } from '../demo/generate.js';
import { MAX_WORKSTATIONS, MIN_WORKSTATIONS } from '../demo/network.js';
import { ingestProblems, runDemo } from '../demo/run.js';
import { renderStory } from '../demo/story.js';
import { createProgress, type ProgressMode } from './progress.js';
import { COMMANDS } from './commands.js';
import { EXIT_FAILED, EXIT_OK } from './exit.js';

const DEFAULT_DIR = './smbwatch-demo';

interface DemoOptions {
  dir: string;
  db?: string;
  seed: number;
  workstations: number;
  progress: ProgressMode;
}

function integerIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || value < min || value > max) throw new InvalidArgumentError(`an integer from ${min} to ${max}`);
    return value;
  };
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('Generate a realistic office network (Zeek logs with a planted lateral movement), ingest it, and show what the seed rule sees')
    .addOption(new Option('--dir <path>', 'where the generated logs and manifest.json go').default(DEFAULT_DIR))
    .addOption(new Option('--db <path>', 'DuckDB store for the demo').default(undefined, '<dir>/demo.duckdb'))
    .addOption(new Option('--seed <n>', 'generator seed: the same seed writes the same bytes').argParser(integerIn(0, 2 ** 32 - 1)).default(DEFAULT_DEMO_OPTIONS.seed))
    .addOption(
      new Option('--workstations <n>', 'size of the network')
        .argParser(integerIn(MIN_WORKSTATIONS, MAX_WORKSTATIONS))
        .default(DEFAULT_DEMO_OPTIONS.workstations),
    )
    .addOption(new Option('--progress <mode>', 'ingest progress display').choices(['auto', 'bar', 'log', 'none']).default('auto'))
    .addHelpText(
      'after',
      `
The data is generated once per seed and size (a rerun reuses it and ingests nothing twice). It covers
fifteen days ending at T = 2025-02-19T00:00:00Z, the instant the seed rule is evaluated at, plus the hour
after T. manifest.json lists the hosts, the planted episode and edge cases, and the rule's expected result.
See docs/demo.md.

Examples:
  npx smbwatch demo                                   # the same as npm start
  npx smbwatch demo --seed 7 --workstations 100 --dir /tmp/small-demo   # another, smaller network`,
    )
    .action(async (options: DemoOptions) => {
      process.exitCode = await demoCommand(options);
    });
}

async function demoCommand(options: DemoOptions): Promise<number> {
  const dir = resolve(options.dir);
  const db = resolve(options.db ?? join(dir, 'demo.duckdb'));
  try {
    const progress = createProgress(options.progress);
    const result = await runDemo({ dir, db, seed: options.seed, workstations: options.workstations, ...(progress ? { progress } : {}) });
    const problems = ingestProblems(result.ingest);
    process.stdout.write(renderStory(result, { commands: new Set(COMMANDS.map((c) => c.name)), cwd: process.cwd() }));
    for (const problem of problems) process.stderr.write(`smbwatch demo: ${problem}\n`);
    return problems.length > 0 ? EXIT_FAILED : EXIT_OK;
  } catch (error) {
    process.stderr.write(`smbwatch demo: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILED;
  }
}
