/**
 * Signing in for end-to-end tests. The e2e server starts with KILN_BOOTSTRAP_TOKEN (the owner's
 * personal access token); tests use it to mint one-time sign-in links through the API and open
 * them in a browser context, which then holds a real session (cookie + anti-forgery cookie).
 */
import type { APIRequestContext, BrowserContext } from '@playwright/test';

/** The owner's token on the e2e server (playwright.config.ts passes it as KILN_BOOTSTRAP_TOKEN). */
export const OWNER_TOKEN = 'kiln_pat_e2e-owner-token-not-a-secret-0123456789';
export const OWNER_EMAIL = 'owner@kiln.local';
/** Where the signed-in owner's browser state is saved by global-setup.ts. */
export const OWNER_STATE = 'test-results/.auth/owner.json';

type Json = Record<string, unknown>;

/** Calls a tRPC procedure with the owner's token (or `token`); throws with the server's message. */
export async function api(request: APIRequestContext, baseURL: string, proc: string, input: Json = {}, o: { mutation?: boolean; token?: string } = {}): Promise<unknown> {
  const headers = { authorization: `Bearer ${o.token ?? OWNER_TOKEN}` };
  const res = o.mutation
    ? await request.post(`${baseURL}/api/trpc/${proc}`, { headers, data: input })
    : await request.get(`${baseURL}/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers });
  const body = (await res.json()) as { result?: { data: unknown }; error?: { message: string }; code?: string };
  if (!res.ok()) throw new Error(`${proc}: ${res.status()} ${body.error?.message ?? JSON.stringify(body)}`);
  return body.result!.data;
}

/** A one-time sign-in URL for the user with `email` (default: the owner). */
export async function signInLink(request: APIRequestContext, baseURL: string, email = OWNER_EMAIL): Promise<string> {
  const users = (await api(request, baseURL, 'users.list')) as { id: string; email: string }[];
  const u = users.find((x) => x.email === email);
  if (!u) throw new Error(`no user ${email}`);
  const { url } = (await api(request, baseURL, 'users.signInLink', { id: u.id, baseUrl: baseURL }, { mutation: true })) as { url: string };
  return url;
}

/** Signs `context` in as `email` through a one-time link (the API the sign-in page uses). */
export async function signIn(context: BrowserContext, request: APIRequestContext, baseURL: string, email = OWNER_EMAIL): Promise<void> {
  const link = new URL(await signInLink(request, baseURL, email));
  const res = await context.request.post(`${baseURL}/api/auth/sign-in/link`, { data: { token: link.searchParams.get('token') }, headers: { origin: baseURL } });
  if (!res.ok()) throw new Error(`sign-in link refused: ${res.status()} ${await res.text()}`);
}
