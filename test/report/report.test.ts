/**
 * `smbwatch report`: one HTML file that works alone. Opened from disk in headless Chromium, it must render every
 * chart (the alert's 14 days, alerts per day) with no request leaving the file, and carry the demo alert's evidence.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, renderedCharts, type LaunchedBrowser } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { demoStoreCopy } from '../helpers/demo-store.js';

let dir: string;
let db: string;
let browser: LaunchedBrowser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smbwatch-report-'));
  db = (await demoStoreCopy(dir)).db;
  browser = await launchBrowser();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('smbwatch report', { timeout: 240_000 }, () => {
  it('writes one self-contained file that renders every chart in Chromium without any request leaving it', async () => {
    const file = join(dir, 'report.html');
    const out = runCli(['report', '--db', db, '-o', file]);
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(/wrote .*report\.html: 1 alert \(1 explained\), 1 rule page/);
    const html = readFileSync(file, 'utf8');
    // No external script or stylesheet; what the browser actually requests is checked below.
    expect(/<script[^>]*\ssrc=|<link[^>]+href=/i.test(html)).toBe(false);
    expect(html).toContain("default-src 'none'");

    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('html[data-charts]');
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);
    const charts = await renderedCharts(page);
    expect(charts).toHaveLength(2);
    expect(charts[0]).toEqual({ id: 'alerts-per-day', rendered: 'true', points: 1, svg: true });
    expect(charts[1]).toMatchObject({ rendered: 'true', points: 14, svg: true });
    // Over the bars, the distinct destinations per day: one a day when the share was mounted, 91 on the last day.
    const destinations = await page.evaluate(`echarts.getInstanceByDom(document.querySelectorAll('figure.chart')[1].querySelector('.chart-canvas')).getOption().series.find((s) => s.name === 'destinations').data`);
    expect(destinations).toEqual([1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 91]);
    const text = await page.locator('main').innerText();
    expect(text).toContain('243 sessions in the recent window');
    expect(text).toMatch(/91 destinations in the recent window; 90 of them were not seen/);
    expect(text).toContain('Deviation = abs(RecentCount - AvgCount) / AvgCount = abs(243 - 3) / 3 = 80');
    expect(await page.locator('section.rule table.indicators tbody tr').count()).toBe(4);
    expect(await page.locator('section.rule table.stages tbody tr').count()).toBe(11);
    await page.close();
  });

  it('refuses bad times and unknown rules, and writes an empty report for an empty period', () => {
    expect(runCli(['report', '--db', db, '--from', 'yesterday', '-o', join(dir, 'x.html')]).status).toBe(2);
    expect(runCli(['report', '--db', db, '--rule', 'nope', '-o', join(dir, 'x.html')]).status).toBe(2);
    const empty = runCli(['report', '--db', db, '--from', '2030-01-01T00:00:00Z', '-o', join(dir, 'empty.html')]);
    expect(empty.stdout).toMatch(/0 alerts \(0 explained\), 0 rule pages/);
    expect(readFileSync(join(dir, 'empty.html'), 'utf8')).toContain('No alerts in this period.');
  });
});
