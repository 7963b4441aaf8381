/**
 * REST routes of accounts that are not better-auth's: who am I (`GET /api/whoami`, what `kiln
 * login` checks a token with) and email + password → personal access token
 * (`POST /api/tokens/login`, what `kiln login` without `--token` calls).
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { createPersonalToken } from '../auth/pats';
import { PROJECT_ROLES } from '../auth/roles';
import { sessions, users } from '../db/schema';
import { readJson } from './body';
import type { RouteContext } from './context';
import { json } from './errors';

/** `GET /api/whoami`: the caller, and how they authenticated. */
export async function whoamiHandler(ctx: RouteContext): Promise<Response> {
  const u = ctx.grant.user!;
  return json({ id: u.id, email: u.email, name: u.name, role: u.orgRole, via: u.via, scope: u.scope, projectId: u.tokenProjectId });
}

const loginSchema = z.object({
  email: z.string().min(3).max(320),
  password: z.string().min(1).max(256),
  tokenName: z.string().min(1).max(100).default('kiln login'),
  scope: z.enum(PROJECT_ROLES).default('MANAGE'),
  expiresInDays: z.number().int().min(1).max(3650).default(90),
});

/**
 * `POST /api/tokens/login {email, password}` → `{token, user}`. The password is checked by
 * better-auth's own sign-in route (its rate limit and hashing apply); the session it makes is
 * signed out at once, and a personal access token is minted instead.
 */
export async function tokenLoginHandler(ctx: RouteContext, req: Request): Promise<Response> {
  const raw = await readJson(req, 64 * 1024);
  const r = loginSchema.safeParse(raw);
  if (!r.success) throw new KilnError('BAD_REQUEST', `${r.error.issues[0]!.path.join('.') || 'body'}: ${r.error.issues[0]!.message}`);
  const b = r.data;
  const origin = new URL(req.url).origin;
  const headers = new Headers({ 'content-type': 'application/json', origin });
  for (const h of ['x-forwarded-for', 'x-real-ip', 'user-agent']) {
    const v = req.headers.get(h);
    if (v) headers.set(h, v);
  }
  const res = await ctx.auth.handler(new Request(`${origin}/api/auth/sign-in/email`, { method: 'POST', headers, body: JSON.stringify({ email: b.email, password: b.password }) }));
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { message?: string; code?: string };
    if (res.status === 429) throw new KilnError('RATE_LIMITED', 'too many sign-in attempts; wait a minute');
    if (body.code === 'ACCOUNT_DEACTIVATED') throw new KilnError('ACCOUNT_DEACTIVATED', body.message ?? 'the account is deactivated');
    throw new KilnError('TOKEN_INVALID', 'wrong email or password');
  }
  const signedIn = (await res.json()) as { user: { id: string }; token: string };
  // The session was only the password check: end it.
  await ctx.db.delete(sessions).where(eq(sessions.token, signedIn.token));
  const [u] = await ctx.db.select().from(users).where(eq(users.id, signedIn.user.id));
  const { token, view } = await createPersonalToken(ctx.db, {
    userId: u!.id,
    name: b.tokenName,
    scope: b.scope,
    expiresAt: new Date(Date.now() + b.expiresInDays * 86400_000),
  });
  return json({ token, id: view.id, scope: view.scope, expiresAt: view.expiresAt, user: { id: u!.id, email: u!.email, name: u!.name, role: u!.role } });
}

/** `GET /api/login-options`: what the sign-in page offers (password; single sign-on when configured). */
export async function loginOptionsHandler(ctx: RouteContext): Promise<Response> {
  return json({ password: true, oidc: ctx.oidcEnabled ? { providerId: 'oidc', label: 'Single sign-on' } : null });
}

const passwordSchema = z.object({ newPassword: z.string().min(8, 'at least 8 characters').max(256) });

/**
 * `POST /api/account/password {newPassword}`: the first password of an account that has none
 * (the owner after the first-start link, an invitee). Changing an existing password is
 * better-auth's `/api/auth/change-password`, which asks for the current one.
 */
export async function setPasswordHandler(ctx: RouteContext, req: Request): Promise<Response> {
  const r = passwordSchema.safeParse(await readJson(req, 16 * 1024));
  if (!r.success) throw new KilnError('BAD_REQUEST', `newPassword: ${r.error.issues[0]!.message}`);
  if (ctx.grant.user?.via !== 'session') throw new KilnError('PERMISSION_DENIED', 'needs a signed-in browser session to set a password');
  try {
    await ctx.auth.api.setPassword({ body: { newPassword: r.data.newPassword }, headers: req.headers });
  } catch (e) {
    const code = (e as { body?: { code?: string } }).body?.code;
    if (code === 'PASSWORD_ALREADY_SET') throw new KilnError('CONFLICT', 'newPassword: this account already has a password; change it with the current one');
    if (code === 'SESSION_EXPIRED' || code === 'SESSION_NOT_FRESH') throw new KilnError('PERMISSION_DENIED', 'sign in again (recently) to set a password');
    throw e;
  }
  return json({ ok: true });
}
