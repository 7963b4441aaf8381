import { expect, test, type Browser } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Provider } from 'oidc-provider';
import { api, OWNER_TOKEN } from './auth-helpers';

/**
 * Single sign-on against a real OpenID Connect provider: oidc-provider (a certified
 * implementation) on 127.0.0.1 with one confidential client, an account store whose users carry
 * a `groups` claim (released by a `groups` scope) and its built-in login and consent pages, and
 * a Kiln server of this spec's own configured for it (KILN_OIDC_*), driven through Chromium: the
 * first sign-in creates the user with the roles KILN_OIDC_ROLE_MAP gives their groups, and a
 * later sign-in after the groups changed at the provider changes the roles.
 */

// Nobody is signed in to this spec's server; the owner acts through its token.
test.use({ storageState: { cookies: [], origins: [] } });

const CLIENT_ID = 'kiln-e2e';
const CLIENT_SECRET = 'kiln-e2e-client-secret-not-a-secret';
const ROLE_MAP = 'kiln-admins=admin,forecasters=demand:EDIT,analysts=demand:READ';
const EMAIL = 'ada@idp.test';

/** The provider's people, by login name; the test changes their groups between sign-ins. */
const people = new Map([['ada', { email: EMAIL, name: 'Ada Lovelace', groups: ['kiln-admins', 'forecasters'] }]]);

let idp: Server | undefined;
let kiln: ChildProcess | undefined;
let kilnUrl = '';
let dataDir = '';
let kilnLog = '';

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** A port nobody listens on now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  const port = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function startIdp(port: number, redirectUri: string): Promise<number> {
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'] }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    findAccount(_ctx, sub) {
      const p = people.get(sub);
      return p && { accountId: sub, claims: () => ({ sub, email: p.email, email_verified: true, name: p.name, groups: [...p.groups] }) };
    },
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: ['kiln-e2e-idp-cookie-key'] },
  });
  idp = createServer(provider.callback());
  return listen(idp, port);
}

/** Kiln's server as `npm start` runs it (production build), without a runner, on its own data dir. */
async function startKiln(port: number, issuer: string): Promise<void> {
  dataDir = `.data/e2e-oidc-${port}`;
  await rm(dataDir, { recursive: true, force: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    KILN_BOOTSTRAP_TOKEN: OWNER_TOKEN,
    KILN_OIDC_ISSUER: issuer,
    KILN_OIDC_CLIENT_ID: CLIENT_ID,
    KILN_OIDC_CLIENT_SECRET: CLIENT_SECRET,
    KILN_OIDC_SCOPES: 'openid email profile groups',
    KILN_OIDC_ROLE_MAP: ROLE_MAP,
  };
  delete env.KILN_NEXT_DIST_DIR;
  kiln = spawn('npx', ['tsx', 'server/main.ts', '--port', String(port), '--no-local-runner', '--data-dir', dataDir], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [kiln.stdout!, kiln.stderr!]) s.on('data', (d: Buffer) => (kilnLog = (kilnLog + d.toString()).slice(-20_000)));
  const exited = new Promise<never>((_, reject) => kiln!.once('exit', (code) => reject(new Error(`the Kiln server exited (${code}):\n${kilnLog}`))));
  const healthy = (async () => {
    for (;;) {
      const ok = await fetch(`${kilnUrl}/api/health`).then((r) => r.ok, () => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  await Promise.race([healthy, exited]);
}

test.beforeAll(async () => {
  test.info().setTimeout(90_000);
  const [idpPort, kilnPort] = [await freePort(), await freePort()];
  kilnUrl = `http://localhost:${kilnPort}`;
  await startIdp(idpPort, `${kilnUrl}/api/auth/callback/oidc`);
  await startKiln(kilnPort, `http://127.0.0.1:${idpPort}`);
});

test.afterAll(async () => {
  if (kiln?.pid && kiln.exitCode === null) {
    const gone = new Promise((resolve) => kiln!.once('exit', resolve));
    process.kill(-kiln.pid, 'SIGTERM');
    await gone;
  }
  await new Promise((resolve) => (idp ? idp.close(resolve) : resolve(undefined)));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test.afterEach(async () => {
  const testInfo = test.info();
  if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('kiln-server.log', { body: kilnLog, contentType: 'text/plain' });
});

/** Signs `login` in through the provider's pages in a fresh browser; returns who Kiln says they are. */
async function signInWithSso(browser: Browser, login: string): Promise<{ email: string; name: string; role: string; via: string }> {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  const loginPage = await page.goto(`${kilnUrl}/login`);
  if (loginPage?.ok()) {
    await page.getByRole('button', { name: 'Sign in with single sign-on' }).click();
  } else {
    // No sign-in page in this build: start the flow as it would, from a Kiln page.
    const started = await page.evaluate(async () => {
      const res = await fetch('/api/auth/sign-in/social', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider: 'oidc', callbackURL: '/' }) });
      return { status: res.status, body: (await res.json()) as { url?: string } };
    });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    await page.goto(started.body.url!);
  }
  // The provider's own login page (any password), then its consent page.
  await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:\d+\/interaction\//);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await expect(page.getByText('groups', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Continue' }).click();
  // Back in Kiln, signed in: the studio's own calls (with the anti-forgery header) work.
  await expect(page).toHaveURL(`${kilnUrl}/`);
  await expect(page.getByRole('link', { name: /demand/ })).toBeVisible();
  const me = await page.evaluate(async () => {
    const csrf = /(?:^|;\s*)kiln_csrf=([^;]*)/.exec(document.cookie)?.[1] ?? '';
    return (await fetch('/api/whoami', { headers: { 'x-kiln-csrf': decodeURIComponent(csrf) } })).json();
  });
  await context.close();
  return me as { email: string; name: string; role: string; via: string };
}

type User = { id: string; email: string; name: string; role: string; groups: string[] };
type Member = { email: string; role: string };

test('single sign-on creates the user with the roles their groups map to, and a later sign-in follows the provider', async ({ browser, request }) => {
  await api(request, kilnUrl, 'projects.create', { name: 'demand' }, { mutation: true });
  const users = async () => (await api(request, kilnUrl, 'users.list')) as User[];
  const members = async () => (await api(request, kilnUrl, 'users.members.list', { projectName: 'demand' })) as Member[];
  expect((await users()).map((u) => u.email)).not.toContain(EMAIL);

  expect(await signInWithSso(browser, 'ada')).toMatchObject({ email: EMAIL, name: 'Ada Lovelace', role: 'admin', via: 'session' });
  expect((await users()).find((u) => u.email === EMAIL)).toMatchObject({ name: 'Ada Lovelace', role: 'admin', groups: ['kiln-admins', 'forecasters'] });
  expect(await members()).toContainEqual(expect.objectContaining({ email: EMAIL, role: 'EDIT' }));

  // The provider moves Ada from the admins and forecasters to the analysts.
  people.get('ada')!.groups = ['analysts'];
  expect(await signInWithSso(browser, 'ada')).toMatchObject({ email: EMAIL, role: 'member' });
  const after = (await users()).filter((u) => u.email === EMAIL);
  expect(after).toHaveLength(1);
  expect(after[0]).toMatchObject({ role: 'member', groups: ['analysts'] });
  expect(await members()).toContainEqual(expect.objectContaining({ email: EMAIL, role: 'READ' }));
});
