/**
 * `smbwatch status`: what the store holds — records, their time span, inputs ingested and rejects.
 */
import type { Command } from 'commander';
import { addressText, isStoreError, openStore, storeAddress, storeErrorStatus, storeMayExist } from '../store/engines.js';
import { dbOption } from './options.js';
import { formatCount, renderTable } from '../util/table.js';
import { microsToIso } from '../util/time.js';
import { screenTable } from './output.js';

export function register(program: Command): void {
  program
    .command('status')
    .description('Show what the store holds: records, time span, sources and ingested inputs')
    .addOption(dbOption())
    .addHelpText('after', `
Each source (vendor, product, event type) is listed with its record count and the time span of its records,
so a sensor that stopped or a log shifted by a time zone shows up beside the others.

Examples:
  npx smbwatch status
  npx smbwatch status --db ./smbwatch-demo/demo.duckdb`)
    .action(async (options: { db?: string }) => {
      try {
        process.exitCode = await status(options.db);
      } catch (error) {
        if (!isStoreError(error)) throw error;
        process.stderr.write(`smbwatch status: ${error.message}\n`);
        process.exitCode = storeErrorStatus(error);
      }
    });
}

async function status(db: string | undefined): Promise<number> {
  const address = storeAddress(db);
  if (!storeMayExist(address)) {
    process.stdout.write(`No store at ${addressText(address)} yet.\nStart with: npx smbwatch ingest PATH...   (see npx smbwatch ingest --help)\n`);
    return 0;
  }
  const store = await openStore(address);
  try {
    const summary = await store.summary();
    const span = summary.firstMicros === undefined ? '' : `, TimeGenerated from ${microsToIso(summary.firstMicros)} to ${microsToIso(summary.lastMicros ?? summary.firstMicros)}`;
    const lines = [
      `Store: ${store.location}`,
      `Records: ${formatCount(summary.records)}${span}`,
      `Inputs ingested: ${formatCount(summary.inputs)}; rejected records kept: ${formatCount(summary.rejects)}`,
    ];
    if (summary.products.length > 0) {
      lines.push(
        '',
        renderTable(
          ['vendor', 'product', 'event type', 'records', 'first', 'last'],
          summary.products.map((p) => [p.vendor, p.product, p.eventType, formatCount(p.records), microsToIso(p.firstMicros), microsToIso(p.lastMicros)]),
          screenTable({ align: ['left', 'left', 'left', 'right', 'left', 'left'] }),
        ),
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
