/**
 * `smbwatch rejects`: the records that could not be read, with file, line, field and reason.
 */
import { Option, type Command } from 'commander';
import { addressText, isStoreError, openStore, storeAddress, storeErrorStatus, storeMayExist } from '../store/engines.js';
import { dbOption } from './options.js';
import { renderTable } from '../util/table.js';
import { screenTable } from './output.js';

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
    return 1;
  }
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 0) {
    process.stderr.write(`smbwatch rejects: --limit must be a whole number, got "${options.limit}"\n`);
    return 2;
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
    const rows = rejects.map((r) => [`${r.input}:${r.line}`, r.format, r.field, r.reason, clip(r.raw)]);
    process.stdout.write(`${renderTable(['where', 'format', 'field', 'reason', 'raw'], rows, screenTable({ keep: ['end'] }))}\n${rows.length} shown\n`);
    return 0;
  } finally {
    await store.close();
  }
}

function clip(text: string): string {
  const flat = text.replace(/\t/g, '→').replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}
