/**
 * Shared by the browser benches (`bench/studio.ts`, `bench/notebook.ts`): start and stop Kiln's
 * server on a scratch data dir, the Chromium flags, and replacing a `## …` section of
 * docs/benchmarks.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
export const CHROMIUM_ARGS = ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
}

/** Starts the production server on `port` with an emptied `dataDir`; resolves once it listens. */
export async function startServer(port: number, dataDir: string): Promise<ChildProcess> {
  rmSync(dataDir, { recursive: true, force: true });
  // Its own process group, so stopping it also stops the node process tsx starts.
  const child = spawn('npx', ['tsx', 'server/main.ts', '--port', String(port), '--no-local-runner', '--data-dir', dataDir], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
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
