/**
 * The page's one way to call Kiln's `/api`. A request that rides on the session cookie must
 * carry the anti-forgery header: the value of the `kiln_csrf` cookie, which only a page of this
 * origin can read (never a web worker, never another site). Every page-side call goes through
 * here, tRPC's included (./trpc.ts), so one place also reacts to the session ending: a 401, or
 * a session whose anti-forgery cookie is gone, sends the browser to the sign-in page and back.
 */
import { signInPath } from './next-path';

export const CSRF_COOKIE = 'kiln_csrf';
export const CSRF_HEADER = 'x-kiln-csrf';

/** The anti-forgery value of this page's session, or null when signed out (or not in a page). */
export function csrfToken(): string | null {
  if (typeof document === 'undefined') return null;
  const m = new RegExp(`(?:^|;\\s*)${CSRF_COOKIE}=([^;]*)`).exec(document.cookie);
  if (!m?.[1]) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

/** Pages that work without a session: no redirect to the sign-in page from them. */
const OPEN_PAGES = /^\/(login|share\/)/;
let leaving = false;

/** Sends the browser to the sign-in page, to come back here after (once per page). */
export function goSignIn(): void {
  if (typeof window === 'undefined' || leaving || OPEN_PAGES.test(window.location.pathname)) return;
  leaving = true;
  window.location.assign(signInPath(window.location.pathname + window.location.search));
}

/** Error codes that mean this page's session is no use any more: sign in again. */
const SIGN_IN_AGAIN = new Set(['SIGN_IN_REQUIRED', 'CSRF_REQUIRED', 'ACCOUNT_DEACTIVATED']);

async function watchSession(res: Response): Promise<void> {
  if (res.status === 401) return goSignIn();
  if (res.status !== 403) return;
  // REST errors are `{ code, error }`; a tRPC 403 names a permission and is the page's to show.
  const body = (await res
    .clone()
    .json()
    .catch(() => null)) as { code?: unknown } | null;
  if (typeof body?.code === 'string' && SIGN_IN_AGAIN.has(body.code)) goSignIn();
}

function sameOrigin(input: RequestInfo | URL): boolean {
  if (typeof window === 'undefined') return false;
  const url = typeof input === 'string' || input instanceof URL ? input : input.url;
  return new URL(url, window.location.href).origin === window.location.origin;
}

/**
 * `fetch` for this origin's `/api`, with the anti-forgery header. The response is returned as
 * it came (errors are the caller's to show); one that says the session is over also starts the
 * way to the sign-in page.
 */
export async function apiFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  if (!sameOrigin(input)) throw new Error(`apiFetch is for this studio's own /api, not ${String(input instanceof Request ? input.url : input)}`);
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  const token = csrfToken();
  if (token) headers.set(CSRF_HEADER, token);
  const res = await fetch(input, { ...init, headers, credentials: 'same-origin' });
  await watchSession(res);
  return res;
}
