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
