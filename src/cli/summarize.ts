/**
 * `smbwatch summarize --from T1 --to T2`: runs the summary rules (src/summaries/) over every bin of a range that
 * holds records, as Sentinel would have while the logs arrived, writing their tables (NetworkSummary_Protocol_CL).
 * `smbwatch watch` does this on schedule; this command is for logs ingested after the fact (and the demo).
 */
import type { Command } from 'commander';
import { storeCatalog } from '../summaries/catalog.js';
import { builtinSummaryRules } from '../summaries/rule.js';
import { summarizeRange, SummaryRuleError } from '../summaries/run.js';
import { dbOption, watchlistsOption } from './options.js';
import { CommandError, EXIT_FAILED, openExistingStore, parseTimeOption, reportErrors } from './run.js';

interface SummarizeOptions {
  db?: string;
  from: string;
  to: string;
  watchlists?: string;
}

export function register(program: Command): void {
  program
    .command('summarize')
    .description('Run the summary rules (NetworkSummary_Protocol_CL) over the bins of [--from, --to) that hold records, as watch does on schedule')
    .addOption(dbOption())
    .requiredOption('--from <time>', 'start of the range, ISO 8601 (bins are aligned to their size: 20 minutes)')
    .requiredOption('--to <time>', 'end of the range (excluded), ISO 8601')
    .addOption(watchlistsOption())
    .addHelpText(
      'after',
      `
A bin is summarized again when run again (its rows are replaced). Rules that read the summary table (Network
Session Essentials' anomaly and port-misuse rules) read it instead of the raw records once it exists.

Examples:
  npx smbwatch summarize --from 2024-03-01T00:00:00Z --to 2024-03-15T00:00:00Z   # logs ingested after the fact`,
    )
    .action(async (options: SummarizeOptions) => {
      process.exitCode = await reportErrors('summarize', () => summarize(options));
    });
}

async function summarize(options: SummarizeOptions): Promise<number> {
  const from = parseTimeOption('--from', options.from).getTime() * 1000;
  const to = parseTimeOption('--to', options.to).getTime() * 1000;
  if (to <= from) throw new CommandError('--to must be after --from');
  const store = await openExistingStore(options.db);
  try {
    const catalog = await storeCatalog(store, options.watchlists);
    for (const rule of builtinSummaryRules()) {
      const runs = await summarizeRange(store, rule, from, to, catalog).catch((error: unknown) => {
        throw error instanceof SummaryRuleError ? new CommandError(error.message, EXIT_FAILED) : error;
      });
      const rows = runs.reduce((n, r) => n + r.rows, 0);
      process.stdout.write(`${rule.displayName}: ${runs.length} bin${runs.length === 1 ? '' : 's'}, ${rows} row${rows === 1 ? '' : 's'} into ${rule.destinationTable}\n`);
    }
  } finally {
    await store.close();
  }
  return 0;
}
