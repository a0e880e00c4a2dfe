/**
 * Headless Chromium for the UI and report tests and for the documentation's screenshots: Debian's `chromium`
 * (installed by .ci/run, never downloaded), driven by playwright-core. Each launch gets a fresh profile and the
 * flags that keep Chromium from reaching out to the network on its own.
 *
 * playwright-core is a development dependency: only the tests and `npm run screenshots` load this module.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

/** Debian's chromium, or SMBWATCH_CHROMIUM. */
export const CHROMIUM = process.env.SMBWATCH_CHROMIUM ?? '/usr/bin/chromium';

export interface LaunchedBrowser {
  /** A context on a fresh profile directory (what --user-data-dir gives). */
  readonly context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export class BrowserMissingError extends Error {}

export async function launchBrowser(options: { readonly executablePath?: string } = {}): Promise<LaunchedBrowser> {
  const executablePath = options.executablePath ?? CHROMIUM;
  if (!existsSync(executablePath)) {
    throw new BrowserMissingError(
      `Chromium not found at ${executablePath}: the UI and report are checked in a real headless Chromium. ` +
        'Install Debian\'s chromium (apt-get install chromium; .ci/run does this before the tests) or set SMBWATCH_CHROMIUM to a Chromium binary.',
    );
  }
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'smbwatch-chromium-'));
  // playwright passes the profile as --user-data-dir itself.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
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
