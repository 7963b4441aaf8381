/** Browser prototype vs server run: which metrics differ by more than a tolerance. */

export interface ParityRow {
  metric: string;
  browser: number | null;
  server: number | null;
  /** |browser − server| / max(|server|, tiny); null when either side is missing */
  relDiff: number | null;
  /** true when both exist and differ beyond the tolerance */
  flagged: boolean;
}

/** Default tolerance: 5 % relative. */
export const PARITY_TOLERANCE = 0.05;

const finite = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/**
 * One row per metric either side reports. Relative difference uses the server's value as the
 * reference; near-zero references fall back to an absolute difference so 0 vs 1e-9 is not flagged.
 */
export function parityRows(browser: Record<string, unknown>, server: Record<string, unknown>, tolerance = PARITY_TOLERANCE): ParityRow[] {
  const keys = [...new Set([...Object.keys(server), ...Object.keys(browser)])].sort();
  return keys.map((metric) => {
    const b = finite(browser[metric]);
    const s = finite(server[metric]);
    if (b === null || s === null) return { metric, browser: b, server: s, relDiff: null, flagged: false };
    const relDiff = Math.abs(b - s) / Math.max(Math.abs(s), 1e-9);
    const flagged = Math.abs(b - s) > 1e-9 && relDiff > tolerance;
    return { metric, browser: b, server: s, relDiff, flagged };
  });
}
