/**
 * The last browser prototype result per graph hash, kept in localStorage so the Runs page can
 * show it beside a server run of the same graph (parity: same graph, sampled data vs full data).
 */
import type { GateResult, Task } from '../../lib/nodes/types';

export interface BrowserResult {
  metrics: Record<string, number>;
  gates: GateResult[];
  task: Task | null;
  /** rows the prototype trained on (the sample) and rows in the data */
  sampleRows: number;
  totalRows: number;
  backend: string;
  adapter: string;
  seed: number;
  /** ISO time of the run */
  at: string;
}

const PREFIX = 'kiln.browserRun.';

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // storage disabled (privacy mode, sandboxed iframe)
  }
}

/** Stores `r` as the browser result of the graph with this hash (overwrites the previous one). */
export function saveBrowserResult(graphHash: string, r: BrowserResult): void {
  try {
    storage()?.setItem(PREFIX + graphHash, JSON.stringify(r));
  } catch {
    // quota exceeded: parity is a convenience, never worth failing a submit for
  }
}

/** The stored browser result for this graph hash, or null when none (or unreadable). */
export function loadBrowserResult(graphHash: string): BrowserResult | null {
  const raw = storage()?.getItem(PREFIX + graphHash);
  if (!raw) return null;
  try {
    const r = JSON.parse(raw) as Partial<BrowserResult>;
    if (!r || typeof r !== 'object' || typeof r.metrics !== 'object' || r.metrics === null) return null;
    return {
      metrics: r.metrics,
      gates: Array.isArray(r.gates) ? r.gates : [],
      task: r.task ?? null,
      sampleRows: Number(r.sampleRows) || 0,
      totalRows: Number(r.totalRows) || 0,
      backend: String(r.backend ?? ''),
      adapter: String(r.adapter ?? ''),
      seed: Number(r.seed) || 0,
      at: String(r.at ?? ''),
    };
  } catch {
    return null;
  }
}
