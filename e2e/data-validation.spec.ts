import { expect, test } from '@playwright/test';
import { api } from './auth-helpers';
import { shot } from './screens';

const uniq = () => `dv${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

/** March: hp 60..220, three origins; April: the same rows with hp + 90, all from "Mars", and a new column. */
function csv(april: boolean): string {
  const origins = ['USA', 'Europe', 'Japan'];
  const rows = Array.from({ length: 120 }, (_, i) => {
    const hp = 60 + 10 * (i % 17) + (april ? 90 : 0);
    return `${hp},${2000 + 100 * (i % 26)},${april ? 'Mars' : origins[i % 3]},${10 + (i % 30)}${april ? ',red' : ''}`;
  });
  return `hp,weight,origin,mpg${april ? ',color' : ''}\n${rows.join('\n')}\n`;
}

test('a new dataset version shows its anomalies against the previous version on the Data page', async ({ page, request, baseURL }, testInfo) => {
  const project = uniq();
  await api(request, baseURL!, 'projects.create', { name: project }, { mutation: true });
  await page.goto(`/projects/${project}/data`);
  const upload = page.getByTestId('dataset-upload');
  await upload.setInputFiles({ name: 'cars.csv', mimeType: 'text/csv', buffer: Buffer.from(csv(false)) });
  await expect(page.getByText(/Uploaded cars\.csv — 120 rows, 4 columns/)).toBeVisible();
  await expect(page.getByTestId('dataset-anomalies')).toContainText('the first version of this name');

  await upload.setInputFiles({ name: 'cars.csv', mimeType: 'text/csv', buffer: Buffer.from(csv(true)) });
  await expect(page.getByText(/Uploaded cars\.csv — 120 rows, 5 columns, \d+ anomalies against the previous version/)).toBeVisible();
  const table = page.getByTestId('dataset-anomalies');
  await expect(table).toContainText('against the previous version');
  const rows = table.getByTestId('anomaly-row');
  await expect(rows.filter({ hasText: 'OUT_OF_RANGE' })).toContainText('range [60, 220]');
  await expect(rows.filter({ hasText: 'OUT_OF_RANGE' })).toContainText('max 310');
  await expect(rows.filter({ hasText: 'UNKNOWN_CATEGORY' })).toContainText('"Mars" (120)');
  await expect(rows.filter({ hasText: 'SCHEMA_NEW_COLUMN' })).toContainText('color');
  await table.scrollIntoViewIfNeeded();
  await shot(page, testInfo, 'data-validation');
});
