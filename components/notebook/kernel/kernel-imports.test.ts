/**
 * The kernel worker runs user code and holds no credentials, so nothing it loads may talk to
 * the control plane: every Kiln call goes to the page as a message (./page-api.ts). This walks
 * the worker's import graph through the repository's own sources and fails on a network API or
 * an `/api` URL in any of them, or on the tRPC client. Static assets (the tfjs wasm binaries)
 * are fetched by tfjs itself, from /public.
 */
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, scanFile, workerGraph } from '../../testing/worker-graph';

describe('the kernel worker', () => {
  const { files, packages } = workerGraph(join(import.meta.dirname, 'kernel.worker.ts'));

  it('loads the engine and the kiln API, and no tRPC client or dataset fetcher', () => {
    const names = [...files.keys()].map((f) => relative(REPO, f));
    expect(names).toEqual(expect.arrayContaining(['components/notebook/kernel/kiln-api.ts', 'components/notebook/kernel/kiln-data.ts', 'lib/notebook/runtime.ts']));
    expect(names.filter((n) => !n.startsWith('lib/') && !n.startsWith('components/notebook/kernel/'))).toEqual([]);
    expect([...packages].filter((p) => p.startsWith('@trpc/'))).toEqual([]);
  });

  it('makes no network request and names no /api URL in any module it loads', () => {
    const found = Object.fromEntries([...files].filter(([, n]) => n.length).map(([f, n]) => [relative(REPO, f), n]));
    expect(found).toEqual({});
  });

  it('would see one (the check can fail)', () => {
    const { network } = scanFile(join(REPO, 'components/run/fetch-data.ts'));
    expect(network.some((n) => n.startsWith('fetch'))).toBe(true);
    expect(network.some((n) => n.includes('/api/datasets/'))).toBe(true);
  });
});
