'use client';
import { useEffect, useState } from 'react';
import type { Graph } from '../../lib/graph/schema';
import { useGraphStore } from '../studio/graph-store';
import { errorMessage, trpc } from '../studio/trpc';

const EMPTY: Graph = { version: 1, seed: 42, nodes: [], edges: [] };

export type LoadState = { status: 'loading' } | { status: 'ready'; version: string | null } | { status: 'error'; message: string };

/**
 * Opens the project's working copy (or the stored version `graphHash`) in the graph store. A
 * working copy with unsaved edits already in the store (back from another tab) is kept.
 */
export function useLoadGraph(projectName: string, graphHash: string | null): LoadState {
  const key = `${projectName}\u0000${graphHash ?? ''}`;
  // Decided once, on mount: is the store already holding this project's unsaved work?
  const [keepKey] = useState(() => {
    const s = useGraphStore.getState();
    return !graphHash && s.projectName === projectName && s.saveState !== 'saved' ? key : null;
  });
  const [result, setResult] = useState<{ key: string; state: LoadState } | null>(null);

  useEffect(() => {
    if (key === keepKey) return;
    let cancelled = false;
    (async () => {
      let state: LoadState;
      try {
        if (graphHash && !/^[0-9a-f]{64}$/.test(graphHash)) throw new Error(`"${graphHash}" is not a graph hash (64 lowercase hex digits)`);
        const cur = await trpc.graphs.current.query({ projectName });
        if (graphHash) {
          const v = await trpc.graphs.get.query({ projectId: cur.projectId, hash: graphHash });
          if (cancelled) return;
          useGraphStore.getState().load(projectName, v.graph as Graph, cur.latestHash);
          state = { status: 'ready', version: graphHash };
        } else {
          if (cancelled) return;
          useGraphStore.getState().load(projectName, (cur.graph as Graph | null) ?? EMPTY, cur.latestHash);
          state = { status: 'ready', version: null };
        }
      } catch (e) {
        state = { status: 'error', message: `Could not open ${graphHash ? `version ${graphHash.slice(0, 12)} of ` : ''}project "${projectName}": ${errorMessage(e)}` };
      }
      if (!cancelled) setResult({ key, state });
    })();
    return () => {
      cancelled = true;
    };
  }, [key, keepKey, projectName, graphHash]);

  if (key === keepKey) return { status: 'ready', version: null };
  return result?.key === key ? result.state : { status: 'loading' };
}
