/**
 * Signing in and out in the browser, and what a session cookie alone cannot do: a request
 * without the page's anti-forgery header is refused, and a page of another origin can neither
 * read the studio's API nor change anything through it, though the browser holds the session.
 */
import { createServer, type Server } from 'node:http';
import { expect, test, type Page } from '@playwright/test';
import { api, OWNER_EMAIL, signIn, signInLink } from './auth-helpers';

const signedOut = { storageState: { cookies: [], origins: [] } };
const uniq = (p: string) => `${p}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

async function signInWithPassword(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

test('a signed-out visitor is sent to the sign-in page; a wrong password says so', async ({ browser }) => {
  const context = await browser.newContext(signedOut);
  const page = await context.newPage();
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=%2F$/);
  await expect(page.getByRole('heading', { name: 'Sign in to Kiln' })).toBeVisible();
  // The top bar shows no account on the sign-in page.
  await expect(page.getByTestId('account-menu')).toHaveCount(0);

  await signInWithPassword(page, OWNER_EMAIL, 'not-the-password');
  await expect(page.getByTestId('login-error')).toHaveText('Wrong email or password.');
  await expect(page).toHaveURL(/\/login/);
  await context.close();
});

test('a one-time link signs in, a password is set, and signing out and in with it works', async ({ browser, request, baseURL }) => {
  const email = `${uniq('member-')}@kiln.test`;
  await api(request, baseURL!, 'users.invite', { email, name: 'Mia Member', role: 'member', baseUrl: baseURL }, { mutation: true });
  const link = new URL(await signInLink(request, baseURL!, email));
  const context = await browser.newContext(signedOut);
  const page = await context.newPage();

  await page.goto(`${link.pathname}${link.search}&next=${encodeURIComponent('/nodes')}`);
  await expect(page.getByRole('heading', { name: 'Set a password' })).toBeVisible();
  // The link works once: it is gone from the address bar.
  expect(page.url()).not.toContain('token=');
  await page.getByLabel(/New password/).fill('short');
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByTestId('login-error')).toHaveText('The password needs at least 8 characters.');
  const password = `pw-${uniq('')}`;
  await page.getByLabel(/New password/).fill(password);
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page).toHaveURL(/\/nodes$/);

  // The account menu: who, which role, no admin pages for a member; then sign out.
  await page.getByLabel('Account menu').click();
  const menu = page.getByTestId('account-menu');
  await expect(menu).toContainText(email);
  await expect(menu).toContainText('member');
  await expect(menu.getByRole('link', { name: 'Account' })).toHaveAttribute('href', '/account');
  await expect(menu.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  await menu.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/nodes');
  await expect(page).toHaveURL(/\/login\?next=%2Fnodes$/);

  // Signing in with the new password; a `next` naming another site lands on the studio's own /.
  await page.goto(`/login?next=${encodeURIComponent('//evil.example/x')}`);
  await signInWithPassword(page, email, password);
  await expect(page).toHaveURL(`${baseURL}/`);
  await expect(page.getByRole('heading', { level: 1, name: 'Projects' })).toBeVisible();
  // Already signed in: the sign-in page sends the visitor on.
  await page.goto(`/login?next=${encodeURIComponent('/nodes')}`);
  await expect(page).toHaveURL(/\/nodes$/);
  await context.close();
});

test("the owner's account menu links the admin pages", async ({ page }) => {
  await page.goto('/nodes');
  await page.getByLabel('Account menu').click();
  const menu = page.getByTestId('account-menu');
  await expect(menu).toContainText(OWNER_EMAIL);
  await expect(menu).toContainText('owner');
  await expect(menu.getByRole('link', { name: 'Admin' })).toHaveAttribute('href', '/admin');
});

test('a call refused for want of a permission shows its reason; a session that ends sends the page to sign in', async ({ browser, request, baseURL }) => {
  const email = `${uniq('reader-')}@kiln.test`;
  const project = uniq('ro-');
  await api(request, baseURL!, 'users.invite', { email, role: 'member', baseUrl: baseURL }, { mutation: true });
  await api(request, baseURL!, 'projects.create', { name: project }, { mutation: true });
  await api(request, baseURL!, 'users.members.set', { projectName: project, email, role: 'READ' }, { mutation: true });
  const context = await browser.newContext(signedOut);
  await signIn(context, request, baseURL!, email);
  const page = await context.newPage();

  // READ may look but not upload: the server's line shows where upload errors show.
  await page.goto(`/projects/${project}/data`);
  await page.getByTestId('dataset-upload').setInputFiles({ name: 'rows.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n1,2\n') });
  await expect(page.getByTestId('upload-error')).toContainText(`needs EDIT on project "${project}"`);
  await expect(page).toHaveURL(new RegExp(`/projects/${project}/data$`));

  // The session ends elsewhere (signed out from another tab): the next call goes to sign in, to come back here after.
  const signOutElsewhere = async () => {
    const csrf = (await context.cookies()).find((c) => c.name === 'kiln_csrf')!.value;
    expect((await context.request.post('/api/auth/sign-out', { headers: { 'x-kiln-csrf': csrf, origin: baseURL! }, data: {} })).ok()).toBe(true);
  };
  await signOutElsewhere();
  await page.getByTestId('dataset-upload').setInputFiles({ name: 'rows.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n1,2\n') });
  await expect(page).toHaveURL(`/login?next=${encodeURIComponent(`/projects/${project}/data`)}`);
  // The same for a tRPC call (creating a project from the projects page, whose sign-in page needs no `next`).
  await signIn(context, request, baseURL!, email);
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Projects' })).toBeVisible();
  await signOutElsewhere();
  const orphan = uniq('never-');
  await page.getByLabel('Project name').first().fill(orphan);
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page).toHaveURL(/\/login$/);
  const projects = (await api(request, baseURL!, 'projects.list')) as { name: string }[];
  expect(projects.map((p) => p.name)).not.toContain(orphan);
  await context.close();
});

test('the session cookie without the anti-forgery header is refused', async ({ page }) => {
  await page.goto('/nodes');
  const answers = await page.evaluate(async () => {
    const csrf = /(?:^|;\s*)kiln_csrf=([^;]*)/.exec(document.cookie)?.[1] ?? '';
    const without = await fetch('/api/trpc/projects.list');
    const withHeader = await fetch('/api/trpc/projects.list', { headers: { 'x-kiln-csrf': decodeURIComponent(csrf) } });
    // tRPC answers in its own format: the catalog code is in error.data.kilnCode.
    return { without: without.status, code: ((await without.json()) as { error?: { data?: { kilnCode?: string } } }).error?.data?.kilnCode, withHeader: withHeader.status };
  });
  expect(answers).toEqual({ without: 403, code: 'CSRF_REQUIRED', withHeader: 200 });
});

test('a page of another origin reads nothing and changes nothing, though the browser is signed in', async ({ page, request, baseURL }) => {
  const names = { plain: uniq('xo-plain-'), json: uniq('xo-json-'), header: uniq('xo-header-'), form: uniq('xo-form-') };
  // Another local port: a different origin, but the same site, so the browser does send the
  // session cookie (SameSite=Lax) — and cookies are not kept apart by port, so that page's
  // script can even read kiln_csrf. What stops it is CORS and the server's origin check.
  const html = `<!doctype html><title>elsewhere</title>
<form id="f" method="POST" enctype="text/plain" action="${baseURL}/api/trpc/projects.create"><input name='{"name":"${names.form}","x":"' value='"}'></form>
<script>
const kiln = ${JSON.stringify(baseURL)};
const names = ${JSON.stringify(names)};
const said = (p) => p.then(async (r) => r.type === 'opaque' ? 'opaque ' + (await r.text()).length : 'read ' + r.status + ' ' + (await r.text()).slice(0, 60), (e) => 'blocked ' + e.name);
const csrf = decodeURIComponent(/(?:^|;\\s*)kiln_csrf=([^;]*)/.exec(document.cookie)?.[1] ?? '');
window.results = (async () => ({
  csrfVisible: csrf.length > 0,
  read: await said(fetch(kiln + '/api/trpc/projects.list', { credentials: 'include' })),
  readWithHeader: await said(fetch(kiln + '/api/trpc/projects.list', { credentials: 'include', headers: { 'x-kiln-csrf': csrf } })),
  readNoCors: await said(fetch(kiln + '/api/trpc/projects.list', { credentials: 'include', mode: 'no-cors' })),
  writePlain: await said(fetch(kiln + '/api/trpc/projects.create', { method: 'POST', credentials: 'include', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ name: names.plain }) })),
  writeJson: await said(fetch(kiln + '/api/trpc/projects.create', { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: names.json }) })),
  writeWithHeader: await said(fetch(kiln + '/api/trpc/projects.create', { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json', 'x-kiln-csrf': csrf }, body: JSON.stringify({ name: names.header }) })),
}))();
</script>`;
  const evil: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(html);
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
  try {
    const evilUrl = `http://localhost:${(evil.address() as { port: number }).port}/`;
    expect(new URL(evilUrl).origin).not.toBe(new URL(baseURL!).origin);
    await page.goto(evilUrl);
    const results = await page.evaluate(() => (window as unknown as { results: Promise<Record<string, unknown>> }).results);
    expect(results).toEqual({
      csrfVisible: true,
      read: 'blocked TypeError',
      readWithHeader: 'blocked TypeError',
      readNoCors: 'opaque 0',
      writePlain: 'opaque 0',
      writeJson: 'blocked TypeError',
      writeWithHeader: 'blocked TypeError',
    });
    // The classic forgery: a form posted across origins (a navigation, cookies included).
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/trpc/projects.create')), page.evaluate(() => (document.getElementById('f') as HTMLFormElement).submit())]);
    expect(answer.status()).toBe(403);
  } finally {
    await new Promise<void>((r) => evil.close(() => r()));
  }
  const projects = (await api(request, baseURL!, 'projects.list')) as { name: string }[];
  expect(projects.length).toBeGreaterThan(0);
  for (const name of Object.values(names)) expect(projects.map((p) => p.name)).not.toContain(name);
});
