/**
 * Who is calling: a signed-in user (session cookie + the page's anti-forgery header), a user's
 * personal access token, or a machine token (runner or serving). One function answers it for
 * every REST route and tRPC procedure (server/http/router.ts).
 */
import { eq } from 'drizzle-orm';
import { KilnError } from '../../lib/errors';
import type { Db } from '../db/client';
import { users } from '../db/schema';
import { authenticateRunner, RUNNER_TOKEN_PREFIX } from '../jobs/runners';
import { CSRF_HEADER, csrfValue, type KilnAuth } from './auth';
import { verifyPersonalToken } from './pats';
import type { OrgRole, ProjectRole } from './roles';
import { sameText } from './secrets';

export interface UserPrincipal {
  kind: 'user';
  id: string;
  email: string;
  name: string;
  orgRole: OrgRole;
  via: 'session' | 'token';
  /** a token's scope: the most it may do (null for a session: the user's roles decide) */
  scope: ProjectRole | null;
  /** a token limited to one project */
  tokenProjectId: string | null;
}

export interface MachinePrincipal {
  kind: 'machine';
  id: string;
  name: string;
  purpose: 'runner' | 'serving';
}

export type Principal = UserPrincipal | MachinePrincipal;

/** How a principal is named in histories (alias moves, registrations, submissions). */
export function actorOf(p: Principal): string {
  return p.kind === 'user' ? p.email : `${p.purpose}:${p.name}`;
}

const SESSION_COOKIE = /(^|;\s*)(__Secure-)?kiln\.session_token=/;

/**
 * A browser navigation (typing a URL, following a download link) cannot be made by a script,
 * and reads nothing into a script: those GETs need no anti-forgery header.
 */
function isNavigation(req: Request): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && req.headers.get('sec-fetch-mode') === 'navigate';
}

export interface Authenticator {
  /**
   * The caller, or null when the request carries no credentials. Bad credentials throw: an
   * unknown, expired or revoked token (401), a session cookie without the page's header (403).
   */
  authenticate(req: Request): Promise<Principal | null>;
}

export function createAuthenticator(db: Db, auth: KilnAuth, secret: string): Authenticator {
  return {
    async authenticate(req) {
      const header = req.headers.get('authorization');
      if (header) {
        const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
        if (!m) throw new KilnError('TOKEN_INVALID', 'the Authorization header must be "Bearer <token>"');
        const token = m[1]!;
        if (token.startsWith(RUNNER_TOKEN_PREFIX)) {
          const r = await authenticateRunner(db, token);
          if (!r) throw new KilnError('TOKEN_INVALID', 'the machine token is unknown or revoked');
          return { kind: 'machine', id: r.id, name: r.name, purpose: r.purpose };
        }
        const v = await verifyPersonalToken(db, token);
        if (!v) throw new KilnError('TOKEN_INVALID', 'the personal access token is unknown, expired or revoked');
        return { kind: 'user', id: v.user.id, email: v.user.email, name: v.user.name, orgRole: v.user.role, via: 'token', scope: v.token.scope, tokenProjectId: v.token.projectId };
      }
      if (!SESSION_COOKIE.test(req.headers.get('cookie') ?? '')) return null;
      const s = await auth.api.getSession({ headers: req.headers });
      if (!s) return null;
      if (!isNavigation(req)) {
        // Live-event streams (EventSource) cannot send headers: their GET carries it as ?kiln_csrf=.
        const sent = req.headers.get(CSRF_HEADER) ?? (req.method === 'GET' ? new URL(req.url).searchParams.get('kiln_csrf') : null) ?? '';
        if (!sameText(sent, csrfValue(secret, s.session.token))) throw new KilnError('CSRF_REQUIRED', "this request carries the session cookie but not the page's anti-forgery header (x-kiln-csrf)");
      }
      const [u] = await db.select().from(users).where(eq(users.id, s.user.id));
      if (!u) return null;
      if (u.deactivatedAt) throw new KilnError('ACCOUNT_DEACTIVATED', `the account ${u.email} is deactivated`);
      return { kind: 'user', id: u.id, email: u.email, name: u.name, orgRole: u.role, via: 'session', scope: null, tokenProjectId: null };
    },
  };
}
