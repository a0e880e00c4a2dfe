/**
 * `smbwatch ui` driven in headless Chromium over the demo's store (one alert): the alerts list with its chart and
 * filters, click through alert → explanation → rule page with live stage counts, a backtest sweep run from its
 * form, the ingest status (the pictures in docs/images/ are taken by `npm run screenshots`). Then bad requests (unknown ids, malformed
 * query strings, path traversal, injection attempts, writes) get 4xx and the server keeps serving; with a token,
 * nothing is served without it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { builtinRules } from '../../src/rules/load.js';
import { startUi, type RunningUi } from '../../src/ui/server.js';
import { launchBrowser, renderedCharts, type LaunchedBrowser } from '../helpers/browser.js';
import { spawn, CLI } from '../helpers/cli.js';
import { demoStoreCopy } from '../helpers/demo-store.js';

let dir: string;
let db: string;
let ui: RunningUi;
let browser: LaunchedBrowser;
let page: Page;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smbwatch-ui-'));
  db = (await demoStoreCopy(dir)).db;
  ui = await startUi({ address: { engine: 'duckdb', path: db }, rules: builtinRules(), host: '127.0.0.1', port: 0 });
  browser = await launchBrowser();
  page = await browser.newPage();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('smbwatch ui in Chromium', { timeout: 240_000 }, () => {
  it('lists the alerts with a chart, filters them, and clicks through alert → explanation → rule with live stage counts', async () => {
    await page.goto(ui.url);
    await page.waitForSelector('html[data-charts]');
    expect(await page.locator('table.alerts tbody tr').count()).toBe(1);
    expect(await page.locator('#alert-count').innerText()).toBe('1 of 1 stored alert');
    expect(await renderedCharts(page)).toEqual([{ id: 'alerts-per-day', rendered: 'true', points: 1, svg: true }]);

    await page.selectOption('select[name=severity]', 'High');
    await page.click('form.filters button');
    await page.waitForURL(/severity=High/);
    expect(await page.locator('table.alerts tbody tr').count()).toBe(0);
    await page.goto(`${ui.url}?entity=10.10.19.24&from=2025-02-19T00:00:00Z`);
    expect(await page.locator('table.alerts tbody tr').count()).toBe(1);

    await page.click('a.alert-link');
    await page.waitForURL(/\/alerts\/[0-9a-f-]{36}$/);
    await page.waitForSelector('html[data-charts]');
    const text = await page.locator('main').innerText();
    expect(text).toContain('243 sessions in the recent window');
    expect(text).toMatch(/91 destinations in the recent window; 90 of them were not seen/);
    expect(text).toContain('abs(243 - 3) / 3 = 80');
    const charts = await renderedCharts(page);
    expect(charts).toHaveLength(1);
    expect(charts[0]).toMatchObject({ rendered: 'true', points: 14, svg: true });
    expect(await page.locator('table.destinations tbody tr').count()).toBe(25);

    await page.click('p.meta a');
    await page.waitForURL(/\/rules\/8717e498-7b5d-4e23-9e7c-fa4913dbfd79\?at=/);
    const stages = page.locator('table.stages tbody tr');
    expect(await stages.count()).toBe(11);
    // Stage 8 (project) at the alert's run time: one row in, one row out — the alert.
    expect(await stages.nth(10).locator('td').allInnerTexts()).toEqual(['8', 'project', '', 'project SrcIpAddr, DstPortNumber, Deviation, Count = RecentCount', '1', '1']);
    expect(await page.locator('table.indicators tbody tr').count()).toBe(4);
  });

  it('runs a backtest sweep of the threshold from its form', async () => {
    await page.goto(`${ui.url}backtest`);
    await page.fill('input[name=from]', '2025-02-17T00:00:00Z');
    await page.fill('input[name=to]', '2025-02-19T00:00:00Z');
    await page.selectOption('select[name=param]', 'threshold');
    await page.fill('input[name=values]', '50, 0.5');
    await page.click('#backtest-form button');
    await page.waitForSelector('html[data-charts]');
    const charts = await renderedCharts(page);
    expect(charts).toEqual([{ id: 'sweep', rendered: 'true', points: 3, svg: true }]);
    const totals = await page.locator('table.sweep tbody tr').evaluateAll((rows) => rows.map((r) => (r as unknown as { innerText: string }).innerText.split('\t').slice(0, 4)));
    // v1.0.0 fires once (the episode, at T); v1.0.1's threshold fires every day on many steady pairs — more rows
    // than the 150 alerts a run may raise.
    expect(totals[0]).toEqual(['threshold=50', '1', '1', '1']);
    expect(Number(totals[1]![1])).toBeGreaterThan(1);
    expect(Number(totals[1]![3]!.replace(/,/g, ''))).toBeGreaterThan(Number(totals[1]![1]!.replace(/,/g, '')));
  });

  it('shows ingest status: records per day per source', async () => {
    await page.goto(`${ui.url}ingest`);
    await page.waitForSelector('html[data-charts]');
    expect(await page.locator('#records').innerText()).toBe('484,255');
    // Each source with the time span of its records, as `smbwatch status` lists them.
    expect(await page.locator('table.products th').allInnerTexts()).toEqual(['vendor', 'product', 'event type', 'records', 'first', 'last']);
    expect(await page.locator('table.products tbody tr').first().locator('td').nth(4).innerText()).toMatch(/^2025-02-0\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const charts = await renderedCharts(page);
    expect(charts[0]).toMatchObject({ id: 'records-per-day', rendered: 'true', points: 16 });
  });
});

describe('smbwatch ui, bad requests', { timeout: 240_000 }, () => {
  it('answers 4xx to unknown ids, malformed queries, traversal and writes, and keeps serving', async () => {
    const status = async (path: string, init?: RequestInit): Promise<number> => (await fetch(new URL(path, ui.url), { redirect: 'manual', ...init })).status;
    expect(await status('alerts/ffffffff')).toBe(404);
    const list = await fetch(new URL('alerts?severity=High', ui.url), { redirect: 'manual' });
    expect([list.status, list.headers.get('location')]).toEqual([302, '/?severity=High']);
    expect(await status('alerts/..%2F..%2Fetc%2Fpasswd')).toBe(404);
    expect(await status("alerts/b' OR 1=1 --")).toBe(404);
    expect(await status('assets/..%2F..%2Fpackage.json')).toBe(404);
    expect(await status('assets/../../package.json')).toBe(404);
    expect(await status('rules/not-a-rule')).toBe(404);
    expect(await status('rules/00000000-0000-0000-0000-000000000000')).toBe(404);
    expect(await status('?from=yesterday')).toBe(400);
    expect(await status("?rule=' OR 1=1 --")).toBe(400);
    expect(await status('?severity=Critical')).toBe(400);
    expect(await status('?from=%E0%A4%A')).toBe(400);
    expect(await status('rules/8717e498-7b5d-4e23-9e7c-fa4913dbfd79?at=soon')).toBe(400);
    expect(await status('backtest?rule=8717e498-7b5d-4e23-9e7c-fa4913dbfd79&from=2025-02-17T00:00:00Z&to=2025-02-19T00:00:00Z&param=SMBPorts&values=1')).toBe(400);
    expect(await status('backtest?rule=8717e498-7b5d-4e23-9e7c-fa4913dbfd79&from=2025-02-17T00:00:00Z&to=2025-02-19T00:00:00Z&param=threshold&values=1;drop')).toBe(400);
    expect(await status('backtest?rule=8717e498-7b5d-4e23-9e7c-fa4913dbfd79&from=2020-01-01T00:00:00Z&to=2025-02-19T00:00:00Z&param=threshold&values=1')).toBe(400);
    expect(await status('', { method: 'POST', body: 'x' })).toBe(405);
    expect(await status('', { method: 'DELETE' })).toBe(405);
    expect(await status('')).toBe(200);
  });

  it('answers only to loopback host names without a token (no DNS rebinding)', async () => {
    const withHost = (host: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const request = httpGet({ host: '127.0.0.1', port: ui.port, path: '/', headers: { host } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', reject);
      });
    expect(await withHost('attacker.example')).toBe(403);
    expect(await withHost(`attacker.example:${ui.port}`)).toBe(403);
    expect(await withHost(`127.0.0.1:${ui.port}`)).toBe(200);
    expect(await withHost(`localhost:${ui.port}`)).toBe(200);
    expect(await withHost(`[::1]:${ui.port}`)).toBe(200);
  });

  it('requires the token on every request when one is set, and trades it for a cookie', async () => {
    const guarded = await startUi({ address: { engine: 'duckdb', path: db }, rules: builtinRules(), host: '127.0.0.1', port: 0, token: 'test-token-123' });
    try {
      expect((await fetch(guarded.url)).status).toBe(401);
      expect((await fetch(new URL('assets/charts.js', guarded.url))).status).toBe(401);
      expect((await fetch(new URL('?token=wrong', guarded.url))).status).toBe(401);
      expect((await fetch(guarded.url, { headers: { authorization: 'Bearer test-token-123' } })).status).toBe(200);
      const traded = await fetch(new URL('ingest?token=test-token-123', guarded.url), { redirect: 'manual' });
      expect(traded.status).toBe(303);
      expect(traded.headers.get('location')).toBe('/ingest');
      const cookie = traded.headers.get('set-cookie')!;
      expect(cookie).toMatch(/HttpOnly/i);
      expect((await fetch(new URL('ingest', guarded.url), { headers: { cookie: cookie.split(';')[0]! } })).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('prints a token when told to listen beyond loopback (CLI)', async () => {
    const child = spawn(process.execPath, [CLI, 'ui', '--db', db, '--host', '0.0.0.0', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out);
        });
        child.once('exit', (code) => reject(new Error(`ui exited ${code}`)));
      });
      const match = /smbwatch ui: http:\/\/0\.0\.0\.0:(\d+)\/\?token=([A-Za-z0-9_-]{32})/.exec(line);
      expect(match).not.toBeNull();
      const base = `http://127.0.0.1:${match![1]}/`;
      expect((await fetch(base)).status).toBe(401);
      expect((await fetch(base, { headers: { authorization: `Bearer ${match![2]}` } })).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
