import { expect, type Page } from '@playwright/test';

/** A name no other test run has used: `prefix` + time + a random number. */
export const uniq = (p: string) => `${p}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

/** Creates a project named `<prefix><unique>`, opens its notebook and waits for the test hook. */
export async function newNotebook(page: Page, prefix: string): Promise<string> {
  const name = uniq(prefix);
  await page.goto('/');
  await page.getByLabel('Project name').first().fill(name);
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${name}/canvas`));
  await expect(page.getByTestId('canvas-node-train')).toBeVisible();
  await page.getByRole('link', { name: 'Notebook', exact: true }).click();
  await expect(page.getByTestId('nb-cell-0')).toBeVisible();
  await page.waitForFunction(() => !!(window as unknown as { __kilnNotebook?: unknown }).__kilnNotebook);
  return name;
}

/** Adds cells (the last "add" button) until cell `i` exists. */
export async function ensureCell(page: Page, i: number): Promise<void> {
  while ((await page.locator('[data-testid^="nb-cell-"]').count()) <= i) await page.getByTestId('nb-add').last().click();
}

/** Sets cell `i`'s source through the page's test hook (typing through Monaco is slow and flaky). */
export async function setCell(page: Page, i: number, source: string): Promise<void> {
  await ensureCell(page, i);
  await page.evaluate(([i, s]) => (window as unknown as { __kilnNotebook: { setSource(i: number, s: string): void } }).__kilnNotebook.setSource(i as number, s as string), [i, source]);
}

/**
 * Records the `/api` requests the page's Web Workers make. A dedicated worker's requests reach
 * Playwright attributed to the page's frame, so they are told apart by their referrer: a
 * worker's requests name its script, without the fragment a bundler may add to the worker URL
 * (Kiln sends `Referrer-Policy: same-origin`, so same-origin referrers are whole URLs).
 */
export function workerApiRequests(page: Page): string[] {
  const workers = new Set<string>();
  const seen: string[] = [];
  page.on('worker', (w) => workers.add(w.url().split('#')[0]!));
  page.context().on('request', (r) => {
    const url = new URL(r.url());
    if (!url.pathname.startsWith('/api/')) return;
    const referer = r.headers()['referer'] ?? '';
    if (r.serviceWorker() || workers.has(referer)) seen.push(`${r.method()} ${url.pathname}`);
  });
  return seen;
}
