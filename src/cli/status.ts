/**
 * `smbwatch status`: what the store holds — records, their time span, inputs ingested and rejects.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ASIM_TABLE } from '../asim/schema.js';
import { LEDGER_TABLE, openDuckDbStore, REJECTS_TABLE } from '../store/duckdb.js';
import { dbOption, resolveDbPath } from './options.js';
import { formatCount, renderTable } from '../util/table.js';

export function register(program: Command): void {
  program
    .command('status')
    .description('Show what the store holds: records, time span, sources and ingested inputs')
    .addOption(dbOption())
    .action(async (options: { db?: string }) => {
      process.exitCode = await status(resolveDbPath(options.db));
    });
}

async function status(path: string): Promise<number> {
  if (!existsSync(path)) {
    process.stdout.write(`No store at ${path} yet.\nStart with: smbwatch ingest PATH...   (see smbwatch ingest --help)\n`);
    return 0;
  }
  const store = await openDuckDbStore(path);
  try {
    const totals = await store.query(
      `SELECT count(*), strftime(min(TimeGenerated), '%Y-%m-%dT%H:%M:%S.%fZ'), strftime(max(TimeGenerated), '%Y-%m-%dT%H:%M:%S.%fZ') FROM ${ASIM_TABLE}`,
    );
    const [records, first, last] = totals.rows[0]!;
    const products = await store.query(
      `SELECT EventVendor, EventProduct, EventType, count(*) AS n FROM ${ASIM_TABLE} GROUP BY ALL ORDER BY n DESC`,
    );
    const inputs = await store.query(`SELECT count(DISTINCT name), coalesce(sum(records), 0), coalesce(sum(rejects), 0) FROM ${LEDGER_TABLE}`);
    const rejects = await store.query(`SELECT count(*) FROM ${REJECTS_TABLE}`);
    const [inputCount] = inputs.rows[0]!;
    const lines = [
      `Store: ${path}`,
      `Records: ${formatCount(Number(records))}${first ? `, TimeGenerated from ${first} to ${last}` : ''}`,
      `Inputs ingested: ${formatCount(Number(inputCount))}; rejected records kept: ${formatCount(Number(rejects.rows[0]![0]))}`,
    ];
    if (products.rows.length > 0) {
      lines.push(
        '',
        renderTable(
          ['vendor', 'product', 'event type', 'records'],
          products.rows.map((row) => [String(row[0]), String(row[1]), String(row[2]), formatCount(Number(row[3]))]),
          ['left', 'left', 'left', 'right'],
        ),
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
