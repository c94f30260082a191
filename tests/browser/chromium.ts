// Debian's Chromium for the browser tests, through playwright-core (never a browser download).
// Tests skip, saying why, where /usr/bin/chromium is missing, unless WASM_NLP_REQUIRE_BROWSER=1 or
// the references being required (CI, whose .ci/run installs it: ../references.ts) makes that a failure.
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { referencesRequired } from '../references';

export const CHROMIUM = '/usr/bin/chromium';
export const browserAvailable = existsSync(CHROMIUM) || process.env.WASM_NLP_REQUIRE_BROWSER === '1' || referencesRequired;
if (!existsSync(CHROMIUM) && !browserAvailable) console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  // launch() gives the browser a fresh, temporary --user-data-dir of its own.
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Opens `url`, waits for the page to set window.result, and returns it; page errors fail the
 * test, at once: a module that fails to load (a bare import left in a bundle) never sets a result.
 */
export async function pageResult(browser: Browser, url: string): Promise<Record<string, unknown>> {
  const page = await browser.newPage();
  const errors: string[] = [];
  let failed: (e: Error) => void = () => {};
  const pageFailed = new Promise<never>((_, reject) => { failed = reject; });
  pageFailed.catch(() => {});
  page.on('pageerror', (e) => {
    errors.push(String(e));
    failed(new Error(`page errors: ${errors.join('; ')}`));
  });
  try {
    await page.goto(url);
    await Promise.race([page.waitForFunction(() => (window as { result?: unknown }).result !== undefined, null, { timeout: 90_000 }), pageFailed]);
  } catch (e) {
    await page.close();
    throw e;
  }
  const result = await page.evaluate(() => (window as unknown as { result: Record<string, unknown> }).result);
  await page.close();
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  if (result.error) throw new Error(`page failed: ${String(result.error)}`);
  return result;
}
