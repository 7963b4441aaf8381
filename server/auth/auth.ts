/**
 * Sign-in, sessions and single sign-on, by better-auth over Kiln's own database (drizzle, the
 * same PGlite or PostgreSQL): password hashing, session cookies (HttpOnly, SameSite=Lax, Secure
 * when the public URL is https), OIDC with PKCE. Kiln adds what is its own: one-time sign-in
 * links (first start, invitations), deactivation, and the anti-forgery cookie the studio's page
 * echoes in a header (./principal.ts), which a notebook cell's worker cannot read.
 */
import { randomUUID } from 'node:crypto';
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { APIError, createAuthEndpoint, createAuthMiddleware } from 'better-auth/api';
import { setSessionCookie } from 'better-auth/cookies';
import { genericOAuth } from 'better-auth/plugins/generic-oauth';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client';
import { accounts, sessions, users, verifications } from '../db/schema';
import type { KilnConfig } from '../config';
import { consumeSignInLink } from './links';
import { applyOidcGroups, groupsOfClaim, PendingGroups } from './oidc-roles';
import { sign } from './secrets';

/** The anti-forgery cookie: readable by the page's script (not HttpOnly), never sent cross-site. */
export const CSRF_COOKIE = 'kiln_csrf';
export const CSRF_HEADER = 'x-kiln-csrf';
/** The OIDC provider's id in better-auth (callback: /api/auth/callback/oidc). */
export const OIDC_PROVIDER_ID = 'oidc';

/** The anti-forgery value of a session: an HMAC of its token, so it cannot be planted or guessed. */
export function csrfValue(secret: string, sessionToken: string): string {
  return sign(secret, `csrf:${sessionToken}`);
}

export interface AuthOptions {
  db: Db;
  secret: string;
  settings: KilnConfig['auth'];
  log?: (message: string) => void;
}

const SESSION_DAYS = 7;

export function createAuth(o: AuthOptions) {
  const { db, secret, settings } = o;
  const secure = settings.publicUrl?.startsWith('https://') ?? false;
  const csrfCookie = { path: '/', sameSite: 'strict' as const, httpOnly: false, secure, maxAge: SESSION_DAYS * 86400 };
  const signInGroups = new PendingGroups();

  /** Kiln's own endpoints under /api/auth: the one-time sign-in link. */
  const kilnLinks = {
    id: 'kiln-links',
    endpoints: {
      signInWithLink: createAuthEndpoint('/sign-in/link', { method: 'POST', body: z.object({ token: z.string().min(1).max(200) }) }, async (ctx) => {
        const user = await consumeSignInLink(db, ctx.body.token);
        if (!user) throw new APIError('BAD_REQUEST', { message: 'this sign-in link is unknown, used or expired', code: 'SIGN_IN_LINK_INVALID' });
        if (user.deactivatedAt) throw new APIError('FORBIDDEN', { message: `the account ${user.email} is deactivated`, code: 'ACCOUNT_DEACTIVATED' });
        const session = await ctx.context.internalAdapter.createSession(user.id);
        const fullUser = await ctx.context.internalAdapter.findUserById(user.id);
        await setSessionCookie(ctx, { session, user: fullUser! });
        const credential = await ctx.context.internalAdapter.findCredentialAccount(user.id);
        return ctx.json({ user: { id: user.id, email: user.email, name: user.name }, hasPassword: !!credential?.password });
      }),
    },
    hooks: {
      after: [
        {
          matcher: () => true,
          // Every new session gets its anti-forgery cookie; signing out clears it.
          handler: createAuthMiddleware(async (ctx) => {
            const fresh = ctx.context.newSession;
            if (fresh) ctx.setCookie(CSRF_COOKIE, csrfValue(secret, fresh.session.token), csrfCookie);
            else if (ctx.path === '/sign-out') ctx.setCookie(CSRF_COOKIE, '', { ...csrfCookie, maxAge: 0 });
          }),
        },
      ],
    },
  };

  const plugins = [
    kilnLinks,
    ...(settings.oidc
      ? [
          // Started by better-auth's POST /api/auth/sign-in/social {provider: 'oidc', callbackURL};
          // the identity provider returns to /api/auth/callback/oidc.
          genericOAuth({
            config: [
              {
                providerId: OIDC_PROVIDER_ID,
                discoveryUrl: `${settings.oidc.issuer}/.well-known/openid-configuration`,
                clientId: settings.oidc.clientId,
                clientSecret: settings.oidc.clientSecret,
                // OpenID Connect's default client authentication, which every provider takes.
                authentication: 'basic',
                scopes: [...settings.oidc.scopes],
                pkce: true,
                // Name and groups follow the identity provider at every sign-in.
                overrideUserInfo: true,
                mapProfileToUser: (profile) => {
                  const email = profile.email as string | undefined;
                  if (email) signInGroups.put(email, groupsOfClaim(profile as Record<string, unknown>, settings.oidc!.groupsClaim));
                  return { name: (profile.name as string | undefined) ?? email ?? 'user' };
                },
              },
            ],
          }),
        ]
      : []),
  ];

  return betterAuth({
    appName: 'Kiln',
    basePath: '/api/auth',
    // Without a public URL the origin is the request's: Kiln's browser guard has already refused
    // any Host it does not answer to (KILN_ALLOWED_HOSTS), so every host that gets here is allowed.
    baseURL: settings.publicUrl ?? { allowedHosts: ['*'] },
    secret,
    telemetry: { enabled: false },
    database: drizzleAdapter(db, { provider: 'pg', schema: { user: users, session: sessions, account: accounts, verification: verifications } }),
    // Accounts come from the first start, invitations and single sign-on: nobody signs up alone.
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 8, maxPasswordLength: 256 },
    user: {
      additionalFields: {
        role: { type: 'string', required: false, defaultValue: 'member', input: false },
        deactivatedAt: { type: 'date', required: false, input: false },
        groups: { type: 'json', required: false, defaultValue: [], input: false },
      },
    },
    session: { expiresIn: SESSION_DAYS * 86400, updateAge: 86400 },
    account: { accountLinking: { enabled: true, trustedProviders: [OIDC_PROVIDER_ID] } },
    advanced: { useSecureCookies: secure, cookiePrefix: 'kiln', database: { generateId: () => randomUUID() } },
    // The server has already refused foreign hosts and cross-origin writes (browser-guard):
    // the request's own origin is the one to trust.
    trustedOrigins: (request) => {
      if (!request) return settings.publicUrl ? [settings.publicUrl] : [];
      return [new URL(request.url).origin, ...(settings.publicUrl ? [settings.publicUrl] : [])];
    },
    databaseHooks: {
      session: {
        create: {
          before: async (session) => {
            const [u] = await db.select({ email: users.email, deactivatedAt: users.deactivatedAt }).from(users).where(eq(users.id, session.userId));
            if (u?.deactivatedAt) throw new APIError('FORBIDDEN', { message: `the account ${u.email} is deactivated`, code: 'ACCOUNT_DEACTIVATED' });
          },
          after: async (session) => {
            if (!settings.oidc) return;
            const [u] = await db.select({ email: users.email }).from(users).where(eq(users.id, session.userId));
            await applyOidcGroups(db, session.userId, settings.oidc.roleMap, { groups: u && signInGroups.take(u.email), log: o.log });
          },
        },
      },
    },
    plugins,
  });
}

export type KilnAuth = ReturnType<typeof createAuth>;
