/**
 * POSTs JSON to one of the server's account routes (better-auth's /api/auth/*, /api/account/*)
 * with the page's anti-forgery header, and turns a refusal into one line.
 */
import { apiFetch } from '../studio/api-fetch';

export async function postAccount(path: string, body: Record<string, unknown>): Promise<unknown> {
  const res = await apiFetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const d = (data ?? {}) as { message?: string; error?: string; code?: string };
    throw new Error(d.message || d.error || d.code || `${res.status} ${res.statusText}`);
  }
  return data;
}
