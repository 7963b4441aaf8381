/**
 * The canvas's run worker runs the project's custom-node code and holds no credentials, so
 * nothing it loads may talk to the control plane: each dataset file is asked of the page
 * (./worker-data.ts → ./page-data.ts). This walks the worker's import graph through the
 * repository's own sources and fails on a network API or an `/api` URL in any of them, on the
 * tRPC client, or on the page's own fetchers. Static assets (the tfjs wasm binaries) are
 * fetched by tfjs itself, from /public.
 */
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, scanFile, workerGraph } from '../testing/worker-graph';

describe('the run worker', () => {
  const { files, packages } = workerGraph(join(import.meta.dirname, 'exec.worker.ts'));
  const names = [...files.keys()].map((f) => relative(REPO, f));

  it('loads the engine and its message ends, and no tRPC client, page fetcher or studio module', () => {
    expect(names).toEqual(expect.arrayContaining(['components/run/worker-data.ts', 'lib/exec/executor.ts', 'lib/nodes/kinds/custom.ts']));
    expect(names.filter((n) => !n.startsWith('lib/')).sort()).toEqual(['components/run/exec.worker.ts', 'components/run/worker-data.ts']);
    expect([...packages].filter((p) => p.startsWith('@trpc/'))).toEqual([]);
  });

  it('makes no network request and names no /api URL in any module it loads', () => {
    const found = Object.fromEntries([...files].filter(([, n]) => n.length).map(([f, n]) => [relative(REPO, f), n]));
    expect(found).toEqual({});
  });

  it('would see one (the check can fail)', () => {
    const { network } = scanFile(join(REPO, 'components/studio/api-fetch.ts'));
    expect(network.some((n) => n.startsWith('fetch'))).toBe(true);
    const graph = workerGraph(join(REPO, 'components/run/page-data.ts'));
    expect([...graph.files.keys()].map((f) => relative(REPO, f))).toContain('components/studio/api-fetch.ts');
  });
});
