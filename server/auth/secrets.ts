/**
 * Random tokens Kiln hands out (personal access tokens, sign-in links) and how they are kept:
 * 32 random bytes, shown once; the database holds only their SHA-256. High-entropy tokens need
 * no slow hash (GitHub and Kubernetes do the same); passwords are better-auth's business.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { serverSettings } from '../db/schema';

export function sha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** `prefix` + 32 random bytes (base64url). */
export function newToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** HMAC-SHA-256 (base64url) of `data` under `secret`. */
export function sign(secret: string, data: string): string {
  return createHmac('sha256', secret).update(data, 'utf8').digest('base64url');
}

/** Constant-time comparison of two strings. */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The secret that signs sessions, anti-forgery tokens and share links: `KILN_AUTH_SECRET`, else
 * one generated at the first start and kept in the database (so every control plane over one
 * database agrees, and a restart keeps everyone signed in). Concurrent first starts agree too:
 * the first insert wins and everyone reads it back.
 */
export async function authSecret(db: Db, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  await db
    .insert(serverSettings)
    .values({ key: 'auth.secret', value: randomBytes(48).toString('base64url') })
    .onConflictDoNothing();
  const [row] = await db.select().from(serverSettings).where(eq(serverSettings.key, 'auth.secret'));
  return row!.value as string;
}
