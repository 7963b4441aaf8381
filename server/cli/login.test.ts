/**
 * `kiln login` / `whoami` / `logout` against a real server: a token is checked and stored
 * (mode 0600) and later commands send it; email + password trades for a token; KILN_TOKEN wins;
 * without any token a server command answers the 401 in one line.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KILN, REPO, startServer, TEST_OWNER_TOKEN, trpcClient, type StartedServer } from '../runner/harness';

let server: StartedServer;
let dir: string;

/** `kiln <args>` with its own config home and no KILN_TOKEN unless given. */
async function cli(args: string[], env: Record<string, string> = {}, stdin?: string) {
  const e: Record<string, string | undefined> = { ...process.env, XDG_CONFIG_HOME: join(dir, 'config'), ...env };
  if (!('KILN_TOKEN' in env)) delete e.KILN_TOKEN;
  const child = spawn(process.execPath, [KILN, ...args], { cwd: REPO, env: e as NodeJS.ProcessEnv, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdin.end(stdin ?? '');
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** Signs in through a one-time link with plain fetch and sets a first password; returns nothing. */
async function setPassword(email: string, password: string) {
  const api = trpcClient(server.url);
  const { url } = await api.users.invite.mutate({ email, role: 'member', baseUrl: server.url });
  const token = new URL(url).searchParams.get('token');
  const res = await fetch(`${server.url}/api/auth/sign-in/link`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.url }, body: JSON.stringify({ token }) });
  expect(res.status).toBe(200);
  const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const csrf = cookies.find((c) => c.startsWith('kiln_csrf='))!.split('=')[1]!;
  const set = await fetch(`${server.url}/api/account/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url, cookie: cookies.join('; '), 'x-kiln-csrf': csrf },
    body: JSON.stringify({ newPassword: password }),
  });
  expect(set.status, await set.text()).toBe(200);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiln-login-'));
  server = await startServer({ dataDir: join(dir, 'data') });
}, 120_000);

afterAll(async () => {
  await server?.proc.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('kiln login', () => {
  it('without a token a server command fails in one line naming the 401', async () => {
    const r = await cli(['endpoint', 'key', 'nope', '--server', server.url]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/sign in, or send a token/);
    const wrong = await cli(['endpoint', 'key', 'nope', '--server', server.url], { KILN_TOKEN: 'kiln_pat_revoked-or-made-up' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim()).toBe('kiln: error: the personal access token is unknown, expired or revoked');
  }, 60_000);

  it('checks and stores a token (0600); whoami and later commands use it; logout forgets it', async () => {
    const bad = await cli(['login', '--server', server.url, '--token', 'kiln_pat_wrong']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown, expired or revoked');
    const ok = await cli(['login', '--server', server.url, '--token', TEST_OWNER_TOKEN, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const out = JSON.parse(ok.stdout) as { email: string; role: string; credentials: string };
    expect(out).toMatchObject({ email: 'owner@kiln.local', role: 'owner' });
    expect((await stat(out.credentials)).mode & 0o777).toBe(0o600);
    expect(await readFile(out.credentials, 'utf8')).toContain(TEST_OWNER_TOKEN);
    const who = await cli(['whoami', '--server', server.url]);
    expect(who.stdout).toContain('owner@kiln.local (owner, token scope MANAGE)');
    // A server command now authenticates with the stored token: the 404 is the endpoint's, not a 401.
    const key = await cli(['endpoint', 'key', 'nope', '--server', server.url]);
    expect(key.stderr).toContain('no endpoint "nope"');
    await cli(['logout', '--server', server.url]);
    expect((await cli(['whoami', '--server', server.url])).stderr).toContain('no token for');
  }, 120_000);

  it('trades email + password for a token, and KILN_TOKEN wins over the stored one', async () => {
    await setPassword('ana@example.com', 'correct horse battery');
    const wrong = await cli(['login', '--server', server.url, '--email', 'ana@example.com', '--password-stdin'], {}, 'nope nope nope\n');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('wrong email or password');
    const r = await cli(['login', '--server', server.url, '--email', 'ana@example.com', '--password-stdin', '--scope', 'READ'], {}, 'correct horse battery\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('as ana@example.com (member, token scope READ)');
    expect((await cli(['whoami', '--server', server.url])).stdout).toContain('ana@example.com');
    expect((await cli(['whoami', '--server', server.url], { KILN_TOKEN: TEST_OWNER_TOKEN })).stdout).toContain('owner@kiln.local');
  }, 120_000);
});
