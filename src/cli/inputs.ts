/**
 * `smbwatch inputs`: what the ledger holds — each input ingested, its format, counts and time span — and
 * `smbwatch inputs rm PATTERN...`: removing inputs with their records and rejects, to undo an ingest.
 */
import { Option, type Command } from 'commander';
import { matchInputs } from '../ingest/input-patterns.js';
import { InputNotRemovableError, type InputSummary, type Store } from '../store/engine.js';
import { isStoreError, openStore, storeAddress, storeErrorStatus } from '../store/engines.js';
import { formatBytes, formatCount, renderTable } from '../util/table.js';
import { microsToIso } from '../util/time.js';
import { EXIT_FAILED } from './exit.js';
import { dbOption } from './options.js';
import { screenTable } from './output.js';

interface ListOptions {
  db?: string;
  output: 'table' | 'json';
}

interface RemoveOptions {
  db?: string;
  dryRun?: boolean;
}


export function register(program: Command): void {
  const inputs = program
    .command('inputs')
    .description('List the inputs the store holds (files, archive members) with their counts; `inputs rm` removes inputs')
    .addHelpText(
      'after',
      `
A PATTERN is an input's path (as ingested, or relative to here), a directory (every input under it), an archive
(all its members) or a quoted glob: 'conn.*.log.gz' matches file names, '/data/zeek/2024-03-0[1-7]/*' whole paths.

Examples:
  npx smbwatch inputs                                  # everything the store has read
  npx smbwatch inputs /data/zeek/2024-03-01/           # the inputs under a directory
  npx smbwatch inputs rm exports/nfcapd.csv            # undo one ingest: its records and rejects go
  npx smbwatch inputs rm --dry-run 'conn.*.log.gz'     # what would go`,
    );
  inputs
    .command('list', { isDefault: true })
    .description('List the inputs (all, or those the patterns name)')
    .argument('[patterns...]', 'paths, directories or quoted globs (see smbwatch inputs --help)')
    .addOption(dbOption())
    .addOption(new Option('--output <kind>', 'output format').choices(['table', 'json']).default('table'))
    .addHelpText('after', `
Examples:
  npx smbwatch inputs list                             # the same as smbwatch inputs
  npx smbwatch inputs list 'conn.*.log.gz' --output json`)
    .action(async (patterns: string[], options: ListOptions) => {
      process.exitCode = await withStore('inputs', options.db, (store) => listInputs(store, patterns, options));
    });
  inputs
    .command('rm')
    .description('Remove inputs from the store with their records, rejects and ledger entries (one transaction)')
    .argument('<patterns...>', 'paths, directories or quoted globs (see smbwatch inputs --help)')
    .addOption(dbOption())
    .option('--dry-run', 'only say what would be removed')
    .addHelpText('after', `
Alerts already raised from the records stay (smbwatch alerts rm removes alerts). Exit status 0 when every
pattern named an input and all were removed, 1 otherwise, 2 on a wrong command line.

Examples:
  npx smbwatch inputs rm exports/nfcapd.csv            # undo one ingest: its records and rejects go
  npx smbwatch inputs rm --dry-run /data/zeek/2024-03-01/`)
    .action(async (patterns: string[], options: RemoveOptions) => {
      process.exitCode = await withStore('inputs rm', options.db, (store) => removeInputs(store, patterns, options));
    });
}

async function withStore(command: string, db: string | undefined, body: (store: Store) => Promise<number>): Promise<number> {
  let store: Store;
  try {
    store = await openStore(storeAddress(db));
  } catch (error) {
    if (!isStoreError(error)) throw error;
    process.stderr.write(`smbwatch ${command}: ${error.message}\n`);
    return storeErrorStatus(error);
  }
  try {
    if (!store.inputs || !store.removeInputs) {
      process.stderr.write(`smbwatch ${command}: the ${store.engine} store does not list or remove inputs\n`);
      return EXIT_FAILED;
    }
    return await body(store);
  } finally {
    await store.close();
  }
}

function span(input: InputSummary): string {
  if (input.firstRecordMicros === undefined) return '';
  const day = (micros: number): string => microsToIso(micros).slice(0, 19).replace('T', ' ');
  return `${day(input.firstRecordMicros)} – ${day(input.lastRecordMicros ?? input.firstRecordMicros)}`;
}

async function listInputs(store: Store, patterns: readonly string[], options: ListOptions): Promise<number> {
  const all = await store.inputs!();
  const { matched, unmatched } = patterns.length === 0 ? { matched: all.map((i) => i.name), unmatched: [] } : matchInputs(all.map((i) => i.name), patterns);
  const wanted = new Set(matched);
  const inputs = all.filter((input) => wanted.has(input.name));
  for (const pattern of unmatched) process.stderr.write(`smbwatch inputs: no input matches ${pattern}\n`);
  if (options.output === 'json') {
    process.stdout.write(`${JSON.stringify(inputs, null, 2)}\n`);
  } else if (inputs.length > 0) {
    const rows = inputs.map((input) => [
      input.format,
      formatCount(input.records),
      formatCount(input.rejects),
      formatBytes(input.size),
      span(input),
      input.lastIngestedAt.toISOString().slice(0, 19).replace('T', ' '),
      input.name + (input.removable ? '' : '  (older store: cannot be removed)'),
    ]);
    const align = ['left', 'right', 'right', 'right', 'left', 'left', 'left'] as const;
    const keep = ['start', 'start', 'start', 'start', 'start', 'start', 'end'] as const;
    process.stdout.write(`${renderTable(['format', 'records', 'rejects', 'size', 'records from – to (UTC)', 'last ingested', 'input'], rows, screenTable({ align, keep }))}\n`);
  }
  const records = inputs.reduce((sum, input) => sum + input.records, 0);
  if (options.output === 'table') process.stdout.write(`${formatCount(inputs.length)} input${inputs.length === 1 ? '' : 's'}, ${formatCount(records)} records\n`);
  return unmatched.length > 0 ? EXIT_FAILED : 0;
}

async function removeInputs(store: Store, patterns: readonly string[], options: RemoveOptions): Promise<number> {
  const all = await store.inputs!();
  const { matched, unmatched } = matchInputs(all.map((i) => i.name), patterns);
  for (const pattern of unmatched) process.stderr.write(`smbwatch inputs rm: no input matches ${pattern} (see smbwatch inputs)\n`);
  if (matched.length === 0) return EXIT_FAILED;
  const byName = new Map(all.map((input) => [input.name, input]));
  const stuck = matched.filter((name) => !byName.get(name)!.removable);
  if (stuck.length > 0) {
    for (const name of stuck) process.stderr.write(`smbwatch inputs rm: ${new InputNotRemovableError(name).message}\n`);
    return EXIT_FAILED;
  }
  if (options.dryRun) {
    const records = matched.reduce((sum, name) => sum + byName.get(name)!.records, 0);
    process.stdout.write(`${matched.map((name) => `would remove ${name}\n`).join('')}${matched.length} input(s), ${formatCount(records)} records would be removed (--dry-run: nothing removed)\n`);
    return unmatched.length > 0 ? EXIT_FAILED : 0;
  }
  const removed = await store.removeInputs!(matched);
  const rows = removed.map((input) => [formatCount(input.records), formatCount(input.rejects), input.name]);
  const records = removed.reduce((sum, input) => sum + input.records, 0);
  const rejects = removed.reduce((sum, input) => sum + input.rejects, 0);
  process.stdout.write(
    `${renderTable(['records', 'rejects', 'removed input'], rows, screenTable({ align: ['right', 'right', 'left'], keep: ['start', 'start', 'end'] }))}\n` +
      `Removed ${removed.length} input${removed.length === 1 ? '' : 's'}: ${formatCount(records)} records, ${formatCount(rejects)} rejects.\n`,
  );
  return unmatched.length > 0 ? EXIT_FAILED : 0;
}
