/**
 * Without Chromium the UI and report tests must fail, saying how to install it — never pass or skip quietly.
 */
import { describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';

describe('launching the test browser', () => {
  it('fails with how to install Chromium when the binary is missing', async () => {
    await expect(launchBrowser({ executablePath: '/nonexistent/chromium' })).rejects.toThrow(
      /Chromium not found at \/nonexistent\/chromium: .*apt-get install chromium; \.ci\/run does this.*SMBWATCH_CHROMIUM/,
    );
  });
});
