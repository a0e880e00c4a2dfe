/**
 * `smbwatch rejects`: the records that could not be read, with file, line, field and reason.
 */
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { openDuckDbStore, REJECTS_TABLE } from '../store/duckdb.js';
import { quoteString } from '../store/sql.js';
import { dbOption, resolveDbPath } from './options.js';
import { renderTable } from '../util/table.js';

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
      process.exitCode = await listRejects(options);
    });
}

async function listRejects(options: RejectsOptions): Promise<number> {
  const path = resolveDbPath(options.db);
  if (!existsSync(path)) {
    process.stderr.write(`smbwatch rejects: no store at ${path}\n`);
    return 1;
  }
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 0) {
    process.stderr.write(`smbwatch rejects: --limit must be a whole number, got "${options.limit}"\n`);
    return 2;
  }
  const store = await openDuckDbStore(path);
  try {
    const where = options.input ? `WHERE contains(input, ${quoteString(options.input)})` : '';
    const result = await store.query(
      `SELECT input, line, format, field, reason, raw FROM ${REJECTS_TABLE} ${where} ORDER BY input, line ${limit > 0 ? `LIMIT ${limit}` : ''}`,
    );
    if (options.output === 'jsonl') {
      for (const [input, line, format, field, reason, raw] of result.rows) {
        process.stdout.write(`${JSON.stringify({ input, line, format, field, reason, raw })}\n`);
      }
      return 0;
    }
    const rows = result.rows.map((row) => [`${row[0]}:${row[1]}`, String(row[2]), String(row[3]), String(row[4]), clip(String(row[5]))]);
    process.stdout.write(`${renderTable(['where', 'format', 'field', 'reason', 'raw'], rows)}\n${rows.length} shown\n`);
    return 0;
  } finally {
    await store.close();
  }
}

function clip(text: string): string {
  const flat = text.replace(/\t/g, '→').replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}
