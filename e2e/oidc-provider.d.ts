/**
 * The part of oidc-provider (v9, no bundled types) that the single sign-on test uses: a
 * provider is a Koa application serving an issuer's endpoints.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface Account {
    accountId: string;
    claims(use: string, scope: string): Promise<Record<string, unknown>> | Record<string, unknown>;
  }

  export interface Configuration {
    clients?: Record<string, unknown>[];
    /** scope → the claims it releases (`openid` → `sub`, `email` → `email`, …) */
    claims?: Record<string, string[]>;
    findAccount?(ctx: unknown, sub: string): Promise<Account | undefined> | Account | undefined;
    features?: Record<string, { enabled: boolean }>;
    pkce?: { required?(ctx: unknown, client: unknown): boolean };
    cookies?: { keys?: string[] };
  }

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
}
