/**
 * `npm run screenshots`: the pictures in README and docs/ui.md, taken in headless Chromium from the demo's store —
 * the UI's pages (alerts, an alert explained, its rule with live stage counts, a threshold sweep, ingest status)
 * and the report's alert section. The demo is built in a temporary directory (about a minute), or read from
 * `--db FILE` (a store `npm start` built; opened read-only).
 *
 *   npm run screenshots                                        # writes docs/images/*.png
 *   npm run screenshots -- --db ./smbwatch-demo/demo.duckdb    # from an existing demo store
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { DEFAULT_DEMO_OPTIONS } from '../demo/generate.js';
import { runDemo } from '../demo/run.js';
import { buildReport } from '../report/report.js';
import { builtinRules, DEFAULT_RULE_ID } from '../rules/load.js';
import { openStore } from '../store/engines.js';
import { startUi } from '../ui/server.js';
import { launchBrowser } from './browser.js';

const IMAGES = fileURLToPath(new URL('../../docs/images/', import.meta.url));
/** The demo's evaluation time and a week before it: the backtest shown. */
const AT = '2025-02-19T00:00:00Z';
const SWEEP = { rule: DEFAULT_RULE_ID, from: '2025-02-12T00:00:00Z', to: AT, param: 'threshold', values: '50, 10, 0.5' };

async function main(args: readonly string[]): Promise<void> {
  const dbAt = args.indexOf('--db');
  const given = dbAt >= 0 ? args[dbAt + 1] : undefined;
  const work = mkdtempSync(join(tmpdir(), 'smbwatch-screenshots-'));
  try {
    let db = given === undefined ? undefined : resolve(given);
    if (db === undefined) {
      process.stdout.write('building the demo store (about a minute)…\n');
      db = (await runDemo({ dir: work, db: join(work, 'demo.duckdb'), ...DEFAULT_DEMO_OPTIONS })).db;
    }
    const written = await shoot(db, work);
    process.stdout.write(`wrote ${written.map((f) => join('docs/images', f)).join(', ')}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function shoot(db: string, work: string): Promise<string[]> {
  const rules = builtinRules();
  const ui = await startUi({ address: { engine: 'duckdb', path: db }, rules, host: '127.0.0.1', port: 0 });
  const browser = await launchBrowser();
  const written: string[] = [];
  const page = await browser.newPage();
  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: join(IMAGES, name), fullPage: true });
    written.push(name);
  };
  const open = async (url: string): Promise<void> => {
    await page.goto(url);
    await chartsDrawn(page);
  };
  try {
    await open(ui.url);
    await shot('ui-alerts.png');
    await page.click('a.alert-link');
    await chartsDrawn(page);
    await shot('ui-alert.png');
    await page.click('p.meta a');
    await chartsDrawn(page);
    await shot('ui-rule.png');
    await open(`${ui.url}backtest?${new URLSearchParams(SWEEP).toString()}`);
    await shot('ui-backtest.png');
    await open(`${ui.url}ingest`);
    await shot('ui-ingest.png');

    const report = join(work, 'report.html');
    const store = await openStore({ engine: 'duckdb', path: db }, { readOnly: true });
    try {
      writeFileSync(report, (await buildReport(store, rules, { storeLabel: 'smbwatch-demo/demo.duckdb', generatedAt: new Date(AT) })).html);
    } finally {
      await store.close();
    }
    await open(pathToFileURL(report).href);
    await page.locator('section.alert').first().screenshot({ path: join(IMAGES, 'report-alert.png') });
    written.push('report-alert.png');
    return written;
  } finally {
    await browser.close();
    await ui.close();
  }
}

/** Every page marks <html data-charts> once its charts are drawn. */
async function chartsDrawn(page: Page): Promise<void> {
  await page.waitForSelector('html[data-charts]');
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`screenshots: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
