/**
 * Headless Chromium for the UI and report tests (src/web/browser.ts: Debian's chromium through playwright-core; a
 * missing browser fails the test with how to install it), and what ECharts drew on a page.
 */
import type { Page } from 'playwright-core';

export { CHROMIUM, launchBrowser, type LaunchedBrowser } from '../../src/web/browser.js';

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
