import { expect, test } from '@playwright/test';
import { shot } from './screens';

const uniq = () => `p${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

test('projects page lists projects and offers the samples', async ({ page }, testInfo) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Projects' })).toBeVisible();
  // The server seeds the cars sample on a fresh database.
  await expect(page.getByRole('link', { name: /cars-sample/ })).toBeVisible();
  for (const title of ['Cars: fuel economy', 'Penguins: species', 'Seattle weather']) await expect(page.getByText(title)).toBeVisible();
  await shot(page, testInfo, 'projects');
});

test('a bad CSV upload gives a clear message and creates nothing', async ({ page }) => {
  const name = uniq();
  await page.goto('/');
  await page.getByLabel('Project name').nth(1).fill(name);
  await page.getByLabel('Upload CSV').setInputFiles({ name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b,c\n1,2,3\n4,5\n') });
  await expect(page.getByTestId('upload-error')).toHaveText('broken.csv row 3: 2 fields, expected 3');
  // Nothing half-made: the project does not exist.
  await page.reload();
  await expect(page.getByRole('link', { name: /cars-sample/ })).toBeVisible();
  await expect(page.getByRole('link', { name: new RegExp(name) })).toHaveCount(0);
});

test('a good CSV becomes a project with a pipeline', async ({ page }) => {
  const name = uniq();
  await page.goto('/');
  await page.getByLabel('Project name').nth(1).fill(name);
  const csv = ['size,rooms,city,price', ...Array.from({ length: 40 }, (_, i) => `${50 + i * 3},${1 + (i % 5)},${['a', 'b', 'c'][i % 3]},${100 + i * 7 + (i % 4)}`)].join('\n');
  await page.getByLabel('Upload CSV').setInputFiles({ name: 'homes.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByText('40 rows × 4 columns')).toBeVisible();
  await page.getByLabel('Target column').selectOption('price');
  await page.getByRole('button', { name: 'Create pipeline' }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${name}/canvas`));
});
