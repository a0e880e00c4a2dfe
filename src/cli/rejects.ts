/**
 * `smbwatch rejects`: the records that could not be read, with file, line, field and reason.
 */
import { Option, type Command } from 'commander';
import { addressText, isStoreError, openStore, storeAddress, storeErrorStatus, storeMayExist } from '../store/engines.js';
import { dbOption } from './options.js';
import type { RejectRow, RejectSummary } from '../store/engine.js';
import { formatCount, renderTable } from '../util/table.js';
import { screenTable } from './output.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit.js';

interface RejectsOptions {
  db?: string;
  input?: string;
  limit: string;
  output: 'table' | 'jsonl';
}

export function register(program: Command): void {
  program
    .command('rejects')
    .description('List records that could not be read, with input, line, field and reason')
    .addOption(dbOption())
    .option('--input <text>', 'only inputs whose name contains this text')
    .option('--limit <n>', 'at most this many (0 = all)', '50')
    .addOption(new Option('--output <kind>', 'output format').choices(['table', 'jsonl']).default('table'))
    .addHelpText('after', `
The table output starts with the total and a count per reason (values in the reasons are shown as …, so one
kind of mistake is one line), then lists the first --limit rejects.

Examples:
  npx smbwatch rejects                                 # the total, a count per reason, the first 50
  npx smbwatch rejects --input conn.log --limit 0      # every reject of the inputs named like conn.log
  npx smbwatch rejects --output jsonl > rejects.jsonl`)
    .action(async (options: RejectsOptions) => {
      try {
        process.exitCode = await listRejects(options);
      } catch (error) {
        if (!isStoreError(error)) throw error;
        process.stderr.write(`smbwatch rejects: ${error.message}\n`);
        process.exitCode = storeErrorStatus(error);
      }
    });
}

async function listRejects(options: RejectsOptions): Promise<number> {
  const address = storeAddress(options.db);
  if (!storeMayExist(address)) {
    process.stderr.write(`smbwatch rejects: no store at ${addressText(address)}\n`);
    return EXIT_FAILED;
  }
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 0) {
    process.stderr.write(`smbwatch rejects: --limit must be a whole number, got "${options.limit}"\n`);
    return EXIT_USAGE;
  }
  const store = await openStore(address);
  try {
    const rejects = await store.rejects({ limit, ...(options.input ? { inputContains: options.input } : {}) });
    if (options.output === 'jsonl') {
      for (const { input, line, format, field, reason, raw } of rejects) {
        process.stdout.write(`${JSON.stringify({ input, line, format, field, reason, raw })}\n`);
      }
      return 0;
    }
    const filter = options.input ? { inputContains: options.input } : {};
    const summary = await store.rejectSummary(filter);
    process.stdout.write(renderRejects(summary, rejects, options.input));
    return EXIT_OK;
  } finally {
    await store.close();
  }
}

/** Most kinds of reason a summary lists; the rest are counted in one line. */
const MAX_REASONS = 20;

/** The total, a count per kind of reason, then the rejects listed (the first --limit). */
function renderRejects(summary: RejectSummary, rejects: readonly RejectRow[], input: string | undefined): string {
  const scope = input === undefined ? '' : ` of inputs whose name contains "${input}"`;
  if (summary.total === 0) return `No rejected records${scope}.\n`;
  const plural = (n: number, word: string): string => `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;
  const shownReasons = summary.reasons.slice(0, MAX_REASONS);
  const lines = [
    `${plural(summary.total, 'rejected record')}${scope} in ${plural(summary.inputs, 'input')}, by reason:`,
    '',
    renderTable(
      ['count', 'format', 'field', 'reason'],
      shownReasons.map((kind) => [formatCount(kind.count), kind.format, kind.field, kind.reason]),
      screenTable({ align: ['right', 'left', 'left', 'left'], keep: ['start', 'start', 'start', 'start'] }),
    ),
  ];
  const others = summary.reasons.slice(MAX_REASONS);
  if (others.length > 0) lines.push(`… and ${plural(others.reduce((sum, kind) => sum + kind.count, 0), 'reject')} of ${formatCount(others.length)} other reasons`);
  const rows = rejects.map((r) => [`${r.input}:${r.line}`, r.format, r.field, r.reason, clip(r.raw)]);
  lines.push('', renderTable(['where', 'format', 'field', 'reason', 'raw'], rows, screenTable({ keep: ['end'] })));
  lines.push(
    rows.length < summary.total
      ? `${formatCount(rows.length)} of ${formatCount(summary.total)} shown (--limit 0 shows all, --output jsonl writes them whole)`
      : `All ${formatCount(summary.total)} shown.`,
  );
  return `${lines.join('\n')}\n`;
}

function clip(text: string): string {
  const flat = text.replace(/\t/g, '→').replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}
