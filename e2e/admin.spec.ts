import { expect, test, type APIRequestContext, type Browser, type BrowserContext } from '@playwright/test';
import { api, OWNER_EMAIL, signIn } from './auth-helpers';
import { shot } from './screens';

const uniq = (p: string) => `${p}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

/** A fresh project made by the owner (through the API) from the cars sample. */
async function ownerProject(request: APIRequestContext, baseURL: string): Promise<string> {
  const name = uniq('adm-');
  await api(request, baseURL, 'projects.createFromSample', { name, sample: 'cars' }, { mutation: true });
  return name;
}

/** A browser context with no session at all. */
const signedOut = (browser: Browser): Promise<BrowserContext> => browser.newContext({ storageState: { cookies: [], origins: [] } });

test('the owner invites a member, who sees a project only once granted READ there and cannot change it', async ({ page, browser, request, baseURL }, testInfo) => {
  const project = await ownerProject(request, baseURL!);
  const email = `${uniq('member-')}@example.com`;

  // Invite through /admin: the one-time link is shown to pass on.
  await page.goto('/admin');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Name (optional)').fill('Ada Member');
  await page.getByLabel('Role of the invitee').selectOption('member');
  await page.getByRole('button', { name: 'Invite' }).click();
  const link = await page.getByTestId('secret-value').inputValue();
  expect(link).toMatch(/\/login\?token=kiln_link_/);
  await expect(page.getByTestId(`user-${email}`)).toContainText('member');
  await shot(page, testInfo, 'admin');

  // The member signs in with that very link (what the sign-in page posts).
  const ctx = await signedOut(browser);
  const res = await ctx.request.post(`${baseURL}/api/auth/sign-in/link`, { data: { token: new URL(link).searchParams.get('token') }, headers: { origin: baseURL! } });
  expect(res.status()).toBe(200);
  const member = await ctx.newPage();
  await member.goto('/');
  await expect(member.getByText('No projects yet')).toBeVisible();
  await member.goto('/admin');
  await expect(member.getByTestId('needs-admin')).toContainText('needs org admin');

  // The owner grants READ in the project's Members panel.
  await page.goto(`/projects/${project}/members`);
  await page.getByLabel('Member email').fill(email);
  await page.getByLabel('Member role').selectOption('READ');
  await page.getByRole('button', { name: 'Add member' }).click();
  await expect(page.getByTestId(`member-${email}`)).toBeVisible();
  await expect(page.getByLabel(`Role of ${email}`)).toHaveValue('READ');
  await shot(page, testInfo, 'members');

  // Now the member sees the project; changing it is refused with the server's reason.
  await member.goto('/');
  await member.getByRole('link', { name: new RegExp(project) }).click();
  await expect(member.getByTestId('canvas-node-train')).toBeVisible();
  await member.getByTestId('train-on-server').click();
  await expect(member.getByTestId('server-run-error')).toContainText(`needs EDIT on project "${project}" (you have READ)`);
  await ctx.close();
});

test('a personal access token made in /account works until it is revoked', async ({ page, request, baseURL }, testInfo) => {
  const name = uniq('cli-');
  await page.goto('/account');
  await expect(page.getByTestId('whoami')).toContainText(OWNER_EMAIL);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Scope').selectOption('READ');
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = await page.getByTestId('secret-value').inputValue();
  expect(token).toMatch(/^kiln_pat_/);
  await expect(page.getByTestId('secret-command')).toHaveValue(`kiln login --server ${baseURL} --token ${token}`);
  await shot(page, testInfo, 'account');

  const whoami = () => request.get(`${baseURL}/api/whoami`, { headers: { authorization: `Bearer ${token}` } });
  const ok = await whoami();
  expect(ok.status()).toBe(200);
  expect(await ok.json()).toMatchObject({ email: OWNER_EMAIL, via: 'token', scope: 'READ' });

  await page.getByRole('button', { name: 'Done' }).click();
  const row = page.getByTestId(`token-${name}`);
  await row.getByRole('button', { name: `Revoke ${name}` }).click();
  await row.getByRole('button', { name: 'Yes' }).click();
  await expect(row).toContainText('revoked');
  expect((await whoami()).status()).toBe(401);
});

test('a shared run opens for anyone with the link, until the link is revoked', async ({ page, browser, request, baseURL }, testInfo) => {
  const project = await ownerProject(request, baseURL!);
  const { graph } = (await api(request, baseURL!, 'graphs.current', { projectName: project })) as { graph: unknown };
  const { runId } = (await api(request, baseURL!, 'runs.submit', { projectName: project, graph }, { mutation: true })) as { runId: string };

  await page.goto(`/projects/${project}/runs/${runId}`);
  await page.getByTestId('share-button').click();
  await page.getByLabel('Link expires in (days)').selectOption('1');
  await page.getByRole('button', { name: 'Create link' }).click();
  const url = await page.getByTestId('share-url').inputValue();
  expect(url).toMatch(new RegExp(`^${baseURL}/share/`));
  await expect(page.getByTestId('share-result')).toContainText('expires');

  const ctx = await signedOut(browser);
  const anon = await ctx.newPage();
  await anon.goto(url);
  await expect(anon.getByTestId('shared-view')).toHaveAttribute('data-kind', 'run');
  await expect(anon.getByTestId('shared-by')).toContainText(project);
  await expect(anon.getByRole('heading', { name: `Run ${runId.slice(0, 8)}` })).toBeVisible();
  await expect(anon.getByTestId('shared-run-status')).toBeVisible();
  await shot(anon, testInfo, 'shared-run');

  // Revoked in the project's list of links: the same URL now says so.
  await page.goto(`/projects/${project}/members`);
  const rows = page.getByTestId('share-table').locator('tbody tr');
  await expect(rows).toHaveCount(1);
  await rows.first().getByRole('button', { name: /^Revoke share link/ }).click();
  await rows.first().getByRole('button', { name: 'Yes' }).click();
  await expect(rows.first()).toContainText('revoked');
  await anon.reload();
  await expect(anon.getByTestId('share-invalid')).toContainText('unknown, expired or revoked');
  await ctx.close();
});

test('a shared notebook shows its cells and stored outputs, and runs nothing', async ({ page, browser, request, baseURL }, testInfo) => {
  const project = await ownerProject(request, baseURL!);
  const doc = {
    version: 1,
    cells: [
      { id: 'c1', source: 'const answer = 6 * 7;\nanswer', manual: true, outputs: [{ type: 'text', text: '42' }] },
      { id: 'c2', source: 'kiln.html(page)', manual: true, outputs: [{ type: 'html', html: '<b>bold words</b><script>parent.document.title = "ran"</script>' }] },
    ],
  };
  await api(request, baseURL!, 'notebooks.save', { projectName: project, doc }, { mutation: true });

  await page.goto(`/projects/${project}/notebook`);
  await expect(page.getByTestId('nb-save-status')).toContainText('v1');
  await page.getByTestId('share-button').click();
  await page.getByRole('button', { name: 'Create link' }).click();
  const url = await page.getByTestId('share-url').inputValue();

  const ctx = await signedOut(browser);
  const anon = await ctx.newPage();
  await anon.goto(url);
  await expect(anon.getByTestId('shared-view')).toHaveAttribute('data-kind', 'notebook');
  await expect(anon.getByTestId('shared-cell-0')).toContainText('const answer = 6 * 7;');
  await expect(anon.getByTestId('shared-output-0')).toHaveText('42');
  // The HTML output sits in an iframe sandboxed to nothing: shown, its script never runs.
  await expect(anon.frameLocator('iframe.nb-out-html').locator('b')).toHaveText('bold words');
  await expect(anon).not.toHaveTitle('ran');
  await shot(anon, testInfo, 'shared-notebook');
  await ctx.close();
});

test('a shared model version shows its metrics and gates signed out', async ({ page, browser, request, baseURL }) => {
  test.setTimeout(180_000);
  const project = await ownerProject(request, baseURL!);
  const model = uniq('m-');
  const { graph } = (await api(request, baseURL!, 'graphs.current', { projectName: project })) as { graph: unknown };
  const { runId } = (await api(request, baseURL!, 'runs.submit', { projectName: project, graph }, { mutation: true })) as { runId: string };
  await expect.poll(async () => ((await api(request, baseURL!, 'runs.get', { id: runId })) as { status: string }).status, { timeout: 150_000, intervals: [2000] }).toBe('succeeded');
  await api(request, baseURL!, 'registry.register', { model, runId }, { mutation: true });

  await page.goto(`/projects/${project}/models?model=${model}`);
  await page.getByRole('button', { name: 'details of v1' }).click();
  await page.getByTestId('share-button').click();
  await page.getByRole('button', { name: 'Create link' }).click();
  const url = await page.getByTestId('share-url').inputValue();

  const ctx = await signedOut(browser);
  const anon = await ctx.newPage();
  await anon.goto(url);
  await expect(anon.getByTestId('shared-view')).toHaveAttribute('data-kind', 'model-version');
  await expect(anon.getByRole('heading', { name: `${model} v1` })).toBeVisible();
  await expect(anon.getByTestId('shared-metrics')).toContainText('r2');
  await ctx.close();
});

test('a member sets a first password in /account, changes it, and signs in with it', async ({ browser, request, baseURL }) => {
  const email = `${uniq('pw-')}@example.com`;
  await api(request, baseURL!, 'users.invite', { email, role: 'member', baseUrl: baseURL }, { mutation: true });
  const ctx = await signedOut(browser);
  await signIn(ctx, request, baseURL!, email);
  const page = await ctx.newPage();
  await page.goto('/account');
  await expect(page.getByTestId('whoami')).toContainText(email);

  await page.getByLabel('I have no password yet').check();
  await page.getByLabel('New password', { exact: true }).fill('first-pass-123');
  await page.getByLabel('New password again').fill('first-pass-123');
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByText('Password saved.')).toBeVisible();

  await page.getByLabel('Current password').fill('wrong-pass-000');
  await page.getByLabel('New password', { exact: true }).fill('second-pass-456');
  await page.getByLabel('New password again').fill('second-pass-456');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText(/^Password not changed: /)).toBeVisible();
  await page.getByLabel('Current password').fill('first-pass-123');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Password saved.')).toBeVisible();

  const fresh = await signedOut(browser);
  const signInWith = (password: string) => fresh.request.post(`${baseURL}/api/auth/sign-in/email`, { data: { email, password }, headers: { origin: baseURL! } });
  expect((await signInWith('first-pass-123')).status()).toBe(401);
  expect((await signInWith('second-pass-456')).status()).toBe(200);
  await fresh.close();
  await ctx.close();
});

test('an admin mints a serving token shown once with its command, and revokes it', async ({ page, baseURL }) => {
  const name = uniq('serve-');
  await page.goto('/admin');
  await page.getByLabel('Machine name').fill(name);
  await page.getByLabel('Purpose').selectOption('serving');
  await page.getByRole('button', { name: 'Mint token' }).click();
  const token = await page.getByTestId('secret-value').inputValue();
  await expect(page.getByTestId('secret-command')).toHaveValue(`kiln serving --server ${baseURL} --token ${token}`);
  const row = page.getByTestId(`machine-${name}`);
  await expect(row).toContainText('serving');
  await expect(row).toContainText('owner@kiln.local');
  await row.getByRole('button', { name: `Revoke ${name}` }).click();
  await row.getByRole('button', { name: 'Yes' }).click();
  await expect(row).toContainText('revoked');
});
