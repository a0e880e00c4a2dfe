/**
 * `smbwatch ingest`: read logs into the store.
 */
import { isOutOfMemory, outOfMemoryMessage } from '../store/out-of-memory.js';
import { Command, Option } from 'commander';
import { runIngest, type IngestRunResult } from '../ingest/run.js';
import type { InputOutcome } from '../ingest/ingest-input.js';
import { formatByName, SOURCE_FORMATS } from '../sources/registry.js';
import type { Store } from '../store/engine.js';
import { isStoreError, openStore, storeAddress, storeErrorStatus, storeMayExist } from '../store/engines.js';
import { expandPaths } from '../ingest/expand.js';
import { DEFAULT_LIMITS } from '../ingest/containers.js';
import { dbOption, parseByteSize, parseExpansionRatio } from './options.js';
import { createProgress, type ProgressMode } from './progress.js';
import { formatBytes, formatCount, renderTable } from '../util/table.js';
import { screenTable } from './output.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit.js';

interface IngestOptions {
  db?: string;
  format: string;
  timezone?: string;
  progress: ProgressMode;
  output: 'table' | 'json';
  explainFormat?: boolean;
  memoryLimit?: string;
  bulk: boolean;
  force?: boolean;
  maxExpansion: number;
  maxDecompressed: number;
}

export function register(program: Command): void {
  program
    .command('ingest')
    .description('Read network-session logs into the store (files, directories, globs; .gz and .zip too)')
    .argument('<paths...>', 'files, directories (read recursively) or quoted glob patterns')
    .addOption(dbOption())
    .addOption(new Option('--format <name>', 'read every input as this format instead of detecting it').default('auto'))
    .addOption(new Option('--timezone <zone>', 'IANA time zone for sources whose times carry none (default UTC)'))
    .addOption(new Option('--progress <mode>', 'progress display').choices(['auto', 'bar', 'log', 'none']).default('auto'))
    .addOption(new Option('--output <kind>', 'summary format').choices(['table', 'json']).default('table'))
    .option('--explain-format', 'show why each input was read as its format (or skipped)')
    .option('--force', 'read the inputs again even if the store has them, replacing the records and rejects they added (after a wrong --format or --timezone)')
    .option('--no-bulk', "read every input with smbwatch's own line readers, never DuckDB's CSV reader")
    .option('--memory-limit <size>', "DuckDB's memory limit for this ingest, e.g. 2GB (default: DuckDB's, 80% of RAM)")
    .addOption(
      new Option('--max-expansion <ratio>', 'refuse a .gz/.zip input that decompresses to more than this many times its size, once past 64 MiB (a decompression bomb)')
        .argParser(parseExpansionRatio)
        .default(DEFAULT_LIMITS.maxExpansion),
    )
    .addOption(
      new Option('--max-decompressed <size>', 'refuse a .gz/.zip input that decompresses to more than this, e.g. 2TB')
        .argParser(parseByteSize)
        .default(DEFAULT_LIMITS.maxDecompressedBytes, '1TiB'),
    )
    .addHelpText(
      'after',
      `
Formats are recognised from content, not file names (see \`smbwatch formats\`). Each input is ingested
atomically: all of its records or none. Ingesting the same file again adds nothing; a file that has grown
since (a live conn.log) adds only its new lines. Records that cannot be parsed are kept with file, line and
reason in the table smbwatch_rejects (\`smbwatch rejects\` lists them). An input whose every record is
rejected is a failure (exit status 1): its --format is most likely wrong.

To undo or redo an ingest: \`smbwatch inputs\` lists what the store holds, \`smbwatch inputs rm PATTERN\`
removes inputs with their records, and --force reads inputs again in place of what they added. An input read
with another --format than before is read again in place of the earlier read without --force.

A plain Zeek conn.log (one header block, nothing escaped) is read by DuckDB's own CSV reader with the same
mapping, checked value by value; anything unusual, or any value that does not fit, is read by smbwatch's
line reader instead, which reports rejects with their line numbers. --explain-format says which read each.

Compressed inputs are decompressed as they are read, never to disk. Real logs compress 5-30x; one that grows
more than --max-expansion times its compressed size (past its first 64 MiB) is refused as a decompression bomb,
and so is one past --max-decompressed; that input fails, the others are read. Lines longer than 16 MiB are
one reject each.

Exit status: 0 when every input was read (or was already in the store), 1 when one failed or had all its
records rejected, 2 on a wrong command line.

Examples:
  npx smbwatch ingest /var/log/zeek/current/conn.log
  npx smbwatch ingest --db week.duckdb /data/zeek/2024-03-*/
  npx smbwatch ingest 'logs/**/conn.*.log.gz' --progress log
  npx smbwatch ingest --force --timezone Europe/Berlin exports/nfcapd.csv   # read again with the right zone
  npx smbwatch ingest --max-expansion 1000 very-repetitive-firewall.log.gz
  npx smbwatch ingest --db 'clickhouse://127.0.0.1:8123/smbwatch?cluster=c2' /data/zeek/   (docs/clickhouse.md)`,
    )
    .action(async (paths: string[], options: IngestOptions) => {
      process.exitCode = await ingestCommand(paths, options);
    });
}

async function ingestCommand(paths: string[], options: IngestOptions): Promise<number> {
  const format = options.format === 'auto' ? undefined : formatByName(options.format);
  if (options.format !== 'auto' && !format) {
    process.stderr.write(`smbwatch ingest: unknown format "${options.format}"; known: ${SOURCE_FORMATS.map((f) => f.name).join(', ')}\n`);
    return EXIT_USAGE;
  }
  if (options.memoryLimit !== undefined && !/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(options.memoryLimit)) {
    process.stderr.write(`smbwatch ingest: --memory-limit must be a size such as 512MB or 2GB, got "${options.memoryLimit}"\n`);
    return EXIT_USAGE;
  }
  let store: Store;
  try {
    const address = storeAddress(options.db);
    // A mistyped path must not leave an empty new store behind (status would then say "Records: 0", not "no store").
    if (!storeMayExist(address) && !(await leadsToAnyFile(paths))) return EXIT_FAILED;
    store = await openStore(address, { create: true, ...(options.memoryLimit ? { memoryLimit: options.memoryLimit } : {}) });
  } catch (error) {
    if (!isStoreError(error)) throw error;
    process.stderr.write(`smbwatch ingest: ${error.message}\n`);
    return storeErrorStatus(error);
  }
  try {
    const result = await runIngest(store, paths, {
      format,
      parse: options.timezone ? { timezone: options.timezone } : {},
      progress: createProgress(options.progress),
      bulk: options.bulk,
      force: options.force === true,
      onLetIn: (commands) => process.stderr.write(`smbwatch ingest: let ${commands.join(', ')} use the store; going on\n`),
      limits: { ...DEFAULT_LIMITS, maxExpansion: options.maxExpansion, maxDecompressedBytes: options.maxDecompressed },
    });
    // Nothing to show when no path led to a file: the errors below say why.
    if (options.output === 'json') process.stdout.write(`${JSON.stringify(toJson(result, store.location), null, 2)}\n`);
    else if (result.outcomes.length > 0) process.stdout.write(renderSummary(result, store.location, options.explainFormat === true));
    for (const error of result.errors) process.stderr.write(`smbwatch ingest: ${error.path}: ${error.reason}\n`);
    if (!options.timezone) warnAboutZonelessTimes(result);
    for (const outcome of result.outcomes.filter((o) => o.status === 'error' || o.status === 'rejected')) {
      process.stderr.write(`smbwatch ingest: ${outcome.name}: ${outcome.reason ?? 'failed'}\n`);
    }
    const failed = result.errors.length > 0 || result.outcomes.some((outcome) => outcome.status === 'error' || outcome.status === 'rejected');
    return failed ? EXIT_FAILED : EXIT_OK;
  } catch (error) {
    if (!isOutOfMemory(error)) throw error;
    process.stderr.write(`smbwatch ingest: ${outOfMemoryMessage(error as Error, 'inputs not reported as ingested were not stored')}\n`);
    return EXIT_FAILED;
  } finally {
    await store.close();
  }
}

/** Whether the paths lead to at least one file; if not, says why for each (before any store is created). */
async function leadsToAnyFile(paths: readonly string[]): Promise<boolean> {
  const { files, skipped, errors } = await expandPaths(paths);
  if (files.length > 0 || skipped.length > 0) return true;
  for (const error of errors) process.stderr.write(`smbwatch ingest: ${error.path}: ${error.reason}\n`);
  return false;
}

/** Inputs whose format writes local times were read as UTC: say so, since it shifts every record's window. */
function warnAboutZonelessTimes(result: IngestRunResult): void {
  const formats = new Set(result.outcomes.filter((o) => o.status === 'ingested').map((o) => o.format));
  for (const format of SOURCE_FORMATS) {
    if (format.zonelessTimes && formats.has(format.name)) {
      process.stderr.write(
        `smbwatch ingest: warning: ${format.zonelessTimes}; read as UTC. If that is wrong, ingest again with --timezone ZONE (e.g. Europe/Berlin) and --force.\n`,
      );
    }
  }
}

function rate(outcome: InputOutcome): string {
  if (outcome.status !== 'ingested' || outcome.seconds <= 0) return '';
  return formatCount(Math.round(outcome.records / outcome.seconds));
}

function renderSummary(result: IngestRunResult, location: string, explain: boolean): string {
  const rows = result.outcomes.map((outcome) => [
    outcome.status,
    outcome.format ?? '',
    formatCount(outcome.records),
    formatCount(outcome.rejects),
    formatCount(outcome.ignored),
    outcome.bytes > 0 ? formatBytes(outcome.bytes) : '',
    rate(outcome),
    outcome.name + (outcome.reason && outcome.status !== 'ingested' ? `  (${outcome.reason})` : '') +
      (outcome.reread ? `  (read again: ${outcome.reread}; its earlier records replaced)` : '') +
      (outcome.resumedAfterLine
        ? outcome.continues
          ? `  (continues ${outcome.continues}: new lines after line ${outcome.resumedAfterLine})`
          : `  (grown: new lines after line ${outcome.resumedAfterLine})`
        : ''),
  ]);
  const total = (key: 'records' | 'rejects' | 'ignored'): number => result.outcomes.reduce((sum, o) => sum + o[key], 0);
  const count = (status: string): number => result.outcomes.filter((o) => o.status === status).length;
  const lines = [
    renderTable(['status', 'format', 'records', 'rejects', 'ignored', 'bytes', 'records/s', 'input'], rows, screenTable({
      align: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
      // A long path keeps its end: the file name.
      keep: ['start', 'start', 'start', 'start', 'start', 'start', 'start', 'end'],
    })),
    '',
    `${formatCount(total('records'))} records added, ${formatCount(total('rejects'))} rejected, ${formatCount(total('ignored'))} ignored ` +
      `(not network sessions) from ${count('ingested') + count('rejected')} inputs in ${result.seconds.toFixed(1)} s; ` +
      `${count('unchanged') + count('duplicate')} already ingested, ${count('skipped')} skipped, ${count('error') + count('rejected')} failed.`,
    `Store: ${location}`,
  ];
  if (total('rejects') > 0) lines.push('Rejected records are kept with file, line and reason: run `smbwatch rejects` to see them.');
  if (count('unchanged') > 0) lines.push('Inputs already ingested were not read again: --force reads them again, replacing what they added.');
  if (explain) lines.push('', ...explanations(result));
  return `${lines.join('\n')}\n`;
}

/**
 * `--explain-format`: one line per input — the format and why, or why not. What every format said is listed only
 * for an input named on the command line that no format read (an error: the user expected a log there); a file
 * skipped inside a directory or archive (a README, a dns.log) gets its one line, however many formats it was
 * tried against.
 */
function explanations(result: IngestRunResult): string[] {
  return result.outcomes.flatMap((outcome) => {
    const detection = outcome.detection;
    if (!detection) return [];
    const reader = outcome.reader === 'bulk' ? ' by DuckDB\'s CSV reader' : outcome.bulkRefusal ? ` by lines (bulk read not used: ${outcome.bulkRefusal})` : '';
    const lines = [`${outcome.name}: ${outcome.format ? `read as ${outcome.format}${reader}` : 'not read'}: ${detection.reason}`];
    if (outcome.format !== undefined) return lines;
    if (outcome.status === 'skipped') {
      lines[0] += ` (skipped: none of ${detection.verdicts.length} formats matched; name the file itself to see what each said)`;
      return lines;
    }
    for (const { format, verdict } of detection.verdicts) {
      if (verdict.verdict !== 'match') lines.push(`  ${format}: ${verdict.verdict}${verdict.reason ? ` (${verdict.reason})` : ''}`);
    }
    return lines;
  });
}

function toJson(result: IngestRunResult, location: string) {
  return {
    store: location,
    seconds: result.seconds,
    errors: result.errors,
    inputs: result.outcomes.map(({ detection, ...outcome }) => ({ ...outcome, detectionReason: detection?.reason })),
  };
}
