import type { Page, TestInfo } from '@playwright/test';

/**
 * Saves a screenshot of the page as `test-results/screenshots/<name>.png` (one stable place per
 * e2e run, for a person to look through) and attaches it to the test report.
 */
export async function shot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = `test-results/screenshots/${name}.png`;
  await page.screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}
