/** Opening accounts and sign-in over an open database: the pieces every API context holds. */
import type { KilnConfig } from '../config';
import type { Db } from '../db/client';
import type { AuthorizeOptions } from './access';
import { createAuth, type KilnAuth } from './auth';
import { createAuthenticator, type Authenticator } from './principal';
import { authSecret } from './secrets';

export interface AuthRuntime {
  auth: KilnAuth;
  authn: Authenticator;
  authSecret: string;
  authOptions: AuthorizeOptions;
  oidcEnabled: boolean;
}

export async function openAuth(db: Db, settings: KilnConfig['auth'], log?: (m: string) => void): Promise<AuthRuntime> {
  const secret = await authSecret(db, settings.secret);
  const auth = createAuth({ db, secret, settings, ...(log ? { log } : {}) });
  return { auth, authn: createAuthenticator(db, auth, secret), authSecret: secret, authOptions: { projectCreators: settings.projectCreators }, oidcEnabled: settings.oidc !== null };
}
