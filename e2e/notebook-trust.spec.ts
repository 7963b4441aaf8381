import { expect, test, type Page } from '@playwright/test';
import { api } from './auth-helpers';
import { newNotebook, setCell, uniq, workerApiRequests } from './notebook-helpers';
import { shot } from './screens';

/**
 * Notebook trust (as Jupyter's): a notebook the user did not write — imported from a file, or
 * last saved by someone else — opens with no cell running, not on open and not reactively,
 * until the user chooses "Trust and run". Trusted, a cell's own fetch to the control plane is
 * still refused (the worker has the session cookie but not the page's anti-forgery header),
 * while Kiln calls the page performs for it work.
 */

/** A cell whose worker calls the control plane directly, and one that submits through the page. */
const DIRECT_FETCH = "await fetch('/api/trpc/projects.list').then((r) => r.status)";
const SUBMIT = [
  'const g = kiln.graph.toJSON();',
  "for (const n of g.nodes) if (n.kind === 'train') n.params = { ...n.params, epochs: 1 };",
  'const h = await kiln.submit(g);',
  "'run ' + h.runId",
].join('\n');

function ipynb(sources: string[]): Buffer {
  const cells = sources.map((s) => ({ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: s.split(/(?<=\n)/) }));
  return Buffer.from(JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: { language_info: { name: 'typescript' } }, cells }));
}

type Got = { trusted: boolean; untrustedBecause: string | null; savedBy: string | null; version: number } | null;
const notebookOf = (page: Page, baseURL: string, projectName: string) => api(page.request, baseURL, 'notebooks.get', { projectName }) as Promise<Got>;
const runsOf = async (page: Page, baseURL: string, projectName: string) => ((await api(page.request, baseURL, 'runs.list', { projectName })) as unknown[]).length;

/** The kernel is up and the document saved: whatever would have run by itself has had its chance. */
async function settled(page: Page) {
  await expect(page.getByTestId('nb-kernel-status')).toHaveText('kernel idle', { timeout: 30_000 });
  await expect(page.getByTestId('nb-save-status')).toHaveText(/^saved/);
  await page.waitForTimeout(1500);
}

async function expectNothingRan(page: Page, fromWorkers: string[], cells: number) {
  for (let i = 0; i < cells; i++) {
    await expect(page.getByTestId(`nb-output-${i}`)).toHaveText('');
    await expect(page.getByTestId(`nb-status-${i}`)).not.toHaveText(/done|error|running|queued/);
    await expect(page.getByTestId(`nb-run-${i}`)).toBeDisabled();
  }
  expect(fromWorkers).toEqual([]);
}

test('an imported notebook runs nothing, on open or on edit, until "Trust and run"; then its own fetch is refused and kiln.submit works', async ({ page, baseURL }, testInfo) => {
  // Three openings of a kernel (WebGPU on SwiftShader) and a server run.
  test.setTimeout(120_000);
  const fromWorkers = workerApiRequests(page);
  const name = await newNotebook(page, 'nbtrust-');
  // The starter notebook is the user's own: it runs.
  await expect(page.getByTestId('nb-status-0')).toHaveText('done', { timeout: 30_000 });
  expect(fromWorkers).toEqual([]);

  await page.getByTestId('nb-import-file').setInputFiles({ name: 'shared.ipynb', mimeType: 'application/json', buffer: ipynb([DIRECT_FETCH, SUBMIT]) });
  const banner = page.getByTestId('nb-trust-banner');
  await expect(banner).toContainText('imported from a file');
  await settled(page);
  await expectNothingRan(page, fromWorkers, 2);
  // Stored as imported: untrusted for the user who imported it too.
  expect(await notebookOf(page, baseURL!, name)).toMatchObject({ trusted: false, untrustedBecause: 'imported' });

  // Editing a cell runs nothing either, and the edit is saved still untrusted.
  await setCell(page, 0, `${DIRECT_FETCH} // checked`);
  await settled(page);
  await expectNothingRan(page, fromWorkers, 2);
  expect(await notebookOf(page, baseURL!, name)).toMatchObject({ trusted: false, untrustedBecause: 'imported' });

  // Opening it again runs nothing.
  await page.reload();
  await expect(banner).toContainText('imported from a file');
  await settled(page);
  await expectNothingRan(page, fromWorkers, 2);
  expect(await runsOf(page, baseURL!, name)).toBe(0);
  await shot(page, testInfo, 'notebook-untrusted');

  await page.getByTestId('nb-trust').click();
  await expect(banner).toHaveCount(0);
  // The worker's own request carries the cookie but not the page's header: refused.
  await expect(page.getByTestId('nb-output-0')).toHaveText('403', { timeout: 30_000 });
  // kiln.submit is a message the page performs with its header: a run is queued.
  await expect(page.getByTestId('nb-output-1')).toHaveText(/run \S{8,}/, { timeout: 30_000 });
  expect(fromWorkers).toEqual(['GET /api/trpc/projects.list']);
  expect(await runsOf(page, baseURL!, name)).toBe(1);
  await expect.poll(async () => (await notebookOf(page, baseURL!, name))?.trusted).toBe(true);
});

test('a notebook last saved by someone else opens untrusted, naming them; its saved outputs stay inert', async ({ page, baseURL, browser }) => {
  const fromWorkers = workerApiRequests(page);
  const name = await newNotebook(page, 'nbtrust-');
  await expect(page.getByTestId('nb-save-status')).toHaveText(/^saved/);

  // A colleague with EDIT on the project saves a notebook from their own session.
  const email = `${uniq('colleague')}@kiln.test`;
  const { url } = (await api(page.request, baseURL!, 'users.invite', { email, role: 'member', baseUrl: baseURL }, { mutation: true })) as { url: string };
  await api(page.request, baseURL!, 'users.members.set', { projectName: name, email, role: 'EDIT' }, { mutation: true });
  const theirs = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const headers = { origin: baseURL! };
  expect((await theirs.request.post(`${baseURL}/api/auth/sign-in/link`, { data: { token: new URL(url).searchParams.get('token') }, headers })).ok()).toBe(true);
  const csrf = (await theirs.cookies()).find((c) => c.name === 'kiln_csrf')!.value;
  const html = '<img src=x onerror="parent.__pwned=1"><script>parent.__pwned=2</script><b>saved</b>';
  const doc = { version: 1, cells: [{ id: 'their-cell', source: DIRECT_FETCH, manual: false, outputs: [{ type: 'html', html }] }] };
  const saved = await theirs.request.post(`${baseURL}/api/trpc/notebooks.save`, { data: { projectName: name, doc }, headers: { ...headers, 'x-kiln-csrf': csrf } });
  expect(saved.status()).toBe(200);
  await theirs.close();

  await page.reload();
  await expect(page.getByTestId('nb-trust-banner')).toContainText(`last saved by ${email}`);
  await settled(page);
  await expect(page.getByTestId('nb-run-0')).toBeDisabled();
  expect(fromWorkers).toEqual([]);
  // The saved output is shown as saved, in a sandbox that runs nothing.
  await expect(page.getByTestId('nb-output-0').locator('iframe')).toHaveAttribute('sandbox', '');
  await expect(page.frameLocator('[data-testid="nb-output-0"] iframe').locator('b')).toHaveText('saved');
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(await notebookOf(page, baseURL!, name)).toMatchObject({ trusted: false, untrustedBecause: 'saved-by-other', savedBy: email });

  await page.getByTestId('nb-trust').click();
  await expect(page.getByTestId('nb-output-0')).toHaveText('403', { timeout: 30_000 });
  expect(fromWorkers).toEqual(['GET /api/trpc/projects.list']);
});
