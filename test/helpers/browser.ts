/**
 * Headless Chromium for the UI and report tests: Debian's `chromium` (installed by .ci/run, never downloaded),
 * driven by playwright-core. One browser per test file; each launch gets a fresh profile and the flags that keep
 * Chromium from reaching out to the network on its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.SMBWATCH_CHROMIUM ?? '/usr/bin/chromium';

export interface LaunchedBrowser {
  /** A context on a fresh profile directory (what --user-data-dir gives). */
  readonly context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'smbwatch-chromium-'));
  // playwright passes the profile as --user-data-dir itself.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface RenderedChart {
  readonly id: string;
  readonly rendered: string | null;
  /** Data items of the chart's first series, as ECharts holds them. */
  readonly points: number;
  readonly svg: boolean;
}

/** What ECharts drew in each chart of the page (evaluated in the page; the tests have no DOM types). */
export async function renderedCharts(page: Page): Promise<RenderedChart[]> {
  return page.evaluate(`[...document.querySelectorAll('figure.chart')].map((figure) => {
    const option = echarts.getInstanceByDom(figure.querySelector('.chart-canvas')).getOption();
    return { id: figure.id, rendered: figure.getAttribute('data-rendered'), points: option.series[0].data.length, svg: figure.querySelectorAll('svg path').length > 0 };
  })`);
}
