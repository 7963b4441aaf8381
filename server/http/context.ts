/** What every API handler works with. */
import type { Access, AuthorizeOptions, Grant } from '../auth/access';
import type { KilnAuth } from '../auth/auth';
import type { Authenticator, Principal } from '../auth/principal';
import type { Db } from '../db/client';
import type { ArtifactStore } from '../storage/types';
import type { ApiConfig } from './config';

export interface ApiContext {
  db: Db;
  store: ArtifactStore;
  config: ApiConfig;
  /** who calls (server/auth/principal.ts) */
  authn: Authenticator;
  /** better-auth: sign-in, sessions, OIDC under /api/auth */
  auth: KilnAuth;
  authOptions: AuthorizeOptions;
  /** signs anti-forgery values and share links */
  authSecret: string;
  /** whether OIDC single sign-on is configured */
  oidcEnabled: boolean;
  /** where internal errors are logged (default: stderr) */
  log?: (message: string) => void;
}

/** A handler's context: the API's, plus the caller and what the route's access check granted. */
export interface RouteContext extends ApiContext {
  principal: Principal | null;
  grant: Grant;
  /** why the credentials sent were refused (tRPC answers it per procedure, in its own format) */
  authError?: unknown;
}

export type { Access };
