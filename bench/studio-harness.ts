/**
 * Shared by the browser benches (`bench/studio.ts`, `bench/notebook.ts`): start and stop Kiln's
 * server on a scratch data dir, the Chromium flags, and replacing a `## …` section of
 * docs/benchmarks.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions } from '@playwright/test';

export const ROOT = resolve(import.meta.dirname, '..');
export const CHROMIUM_ARGS = ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
}

/** The owner's token on bench servers (KILN_BOOTSTRAP_TOKEN at their first start). */
export const BENCH_TOKEN = 'kiln_pat_bench-owner-token-not-a-secret-0123456789';

/** Calls a tRPC procedure with the owner's token. */
export async function benchTrpc(base: string, path: string, input: unknown, mutation = true): Promise<unknown> {
  const headers = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };
  const res = mutation
    ? await fetch(`${base}/api/trpc/${path}`, { method: 'POST', headers, body: JSON.stringify(input) })
    : await fetch(`${base}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** A browser context signed in as the owner through a one-time link (what the sign-in page does). */
export async function signedInContext(browser: Browser, base: string, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const users = ((await benchTrpc(base, 'users.list', {}, false)) as { result: { data: { id: string; role: string }[] } }).result.data;
  const owner = users.find((u) => u.role === 'owner')!;
  const link = ((await benchTrpc(base, 'users.signInLink', { id: owner.id, baseUrl: base })) as { result: { data: { url: string } } }).result.data.url;
  const ctx = await browser.newContext(options);
  const res = await ctx.request.post(`${base}/api/auth/sign-in/link`, { data: { token: new URL(link).searchParams.get('token') }, headers: { origin: base } });
  if (!res.ok()) throw new Error(`sign-in failed: ${res.status()} ${await res.text()}`);
  return ctx;
}

/** Starts the production server on `port` with an emptied `dataDir`; resolves once it listens. */
export async function startServer(port: number, dataDir: string): Promise<ChildProcess> {
  rmSync(dataDir, { recursive: true, force: true });
  // Its own process group, so stopping it also stops the node process tsx starts.
  const child = spawn('npx', ['tsx', 'server/main.ts', '--port', String(port), '--no-local-runner', '--data-dir', dataDir], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', KILN_BOOTSTRAP_TOKEN: BENCH_TOKEN } });
  await new Promise<void>((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('listening on')) ok();
    });
    child.on('exit', (c) => fail(new Error(`server exited (${c}) before listening: did you run npm run build?`)));
  });
  return child;
}

/** Stops the server's whole process group. */
export function stopServer(server: ChildProcess): void {
  try {
    process.kill(-server.pid!, 'SIGTERM');
  } catch {
    /* already gone */
  }
}

/** Replaces the docs/benchmarks.md section starting with `heading` by `md`, or appends it. */
export function writeDocsSection(heading: string, md: string): void {
  const path = resolve(ROOT, 'docs/benchmarks.md');
  const doc = readFileSync(path, 'utf8');
  const start = doc.indexOf(heading);
  let next = start >= 0 ? doc.indexOf('\n## ', start + 5) : -1;
  if (next < 0) next = doc.length;
  const updated = start >= 0 ? `${doc.slice(0, start)}${md}${doc.slice(next)}` : `${doc.trimEnd()}\n\n${md}`;
  writeFileSync(path, updated.endsWith('\n') ? updated : `${updated}\n`);
}
