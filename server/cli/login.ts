/**
 * `kiln login --server URL`: stores a personal access token for that server in the user's
 * credentials file (./credentials.ts); every later command that talks to it sends the token.
 *   kiln login --server URL --token kiln_pat_…          check and store a token made in the studio
 *   kiln login --server URL --email me@x --password-stdin   trade email + password for a new token
 * `kiln logout --server URL` forgets it; `kiln whoami --server URL` shows who the token is.
 */
import { KilnError } from '../../lib/errors';
import { saveToken, serverKey, tokenFor } from './credentials';
import { hostname } from 'node:os';
import { serverBase } from './io';

interface IO {
  out(s: string): void;
  err(s: string): void;
}

export interface LoginOptions {
  server: string;
  token?: string;
  email?: string;
  passwordStdin?: boolean;
  scope?: string;
  json?: boolean;
}

interface Who {
  id: string;
  email: string;
  name: string;
  role: string;
  via: string;
  scope: string | null;
}

async function request(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    throw new KilnError('SERVER_UNREACHABLE', `cannot reach ${new URL(url).origin} (${cause?.code ?? (e as Error).message})`);
  }
}

async function failure(res: Response): Promise<KilnError> {
  const body = (await res.json().catch(() => ({}))) as { error?: string; code?: string };
  if (res.status === 401) return new KilnError('TOKEN_INVALID', body.error ?? 'the token is unknown, expired or revoked');
  return new KilnError('REQUEST_FAILED', body.error ?? `${res.status} ${res.statusText}`);
}

/** Who `token` is on `base` (GET /api/whoami). */
export async function whoami(base: string, token: string): Promise<Who> {
  const res = await request(`${base}/api/whoami`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as Who;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function loginCommand(o: LoginOptions, io: IO): Promise<number> {
  const base = serverBase(o.server);
  let token = o.token;
  if (!token) {
    if (!o.email || !o.passwordStdin) throw new KilnError('BAD_OPTION', 'give --token TOKEN (made in the studio under Account → Tokens), or --email EMAIL --password-stdin');
    const password = await readStdin();
    if (!password) throw new KilnError('BAD_OPTION', '--password-stdin: nothing on stdin');
    const res = await request(`${base}/api/tokens/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: o.email, password, tokenName: `kiln login (${hostname()})`, ...(o.scope ? { scope: o.scope } : {}) }),
    });
    if (!res.ok) throw await failure(res);
    token = ((await res.json()) as { token: string }).token;
  }
  const who = await whoami(base, token);
  const path = await saveToken(base, token, who.email);
  if (o.json) io.out(`${JSON.stringify({ server: serverKey(base), email: who.email, role: who.role, scope: who.scope, credentials: path })}\n`);
  else io.out(`signed in to ${serverKey(base)} as ${who.email} (${who.role}${who.scope ? `, token scope ${who.scope}` : ''}); token stored in ${path}\n`);
  return 0;
}

export async function logoutCommand(o: { server: string }, io: IO): Promise<number> {
  const base = serverBase(o.server);
  const path = await saveToken(base, null);
  io.out(`forgot the token for ${serverKey(base)} (${path})\n`);
  return 0;
}

export async function whoamiCommand(o: { server: string; json?: boolean }, io: IO): Promise<number> {
  const base = serverBase(o.server);
  const token = tokenFor(base);
  if (!token) throw new KilnError('SIGN_IN_REQUIRED', `no token for ${serverKey(base)}: run kiln login --server ${serverKey(base)}, or set KILN_TOKEN`);
  const who = await whoami(base, token);
  io.out(o.json ? `${JSON.stringify(who)}\n` : `${who.email} (${who.role}${who.scope ? `, token scope ${who.scope}` : ''}) on ${serverKey(base)}\n`);
  return 0;
}
