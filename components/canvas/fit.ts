import type { ReactFlowInstance } from '@xyflow/react';

/** Size assumed for a node React Flow has not measured (not rendered yet, e.g. off screen). */
const DEFAULT_W = 180;
const DEFAULT_H = 90;

/**
 * Fits every node of the graph in view. React Flow's own `fitView` only counts nodes it has
 * measured, and with `onlyRenderVisibleElements` (large graphs) off-screen nodes never are, so
 * the bounds are computed here from positions, with measured sizes where known.
 */
export function fitGraph(rf: ReactFlowInstance, opts: { padding?: number; duration?: number; maxZoom?: number } = {}): void {
  const nodes = rf.getNodes();
  if (!nodes.length) return;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const n of nodes) {
    const w = n.measured?.width ?? n.width ?? DEFAULT_W;
    const h = n.measured?.height ?? n.height ?? DEFAULT_H;
    x0 = Math.min(x0, n.position.x);
    y0 = Math.min(y0, n.position.y);
    x1 = Math.max(x1, n.position.x + w);
    y1 = Math.max(y1, n.position.y + h);
  }
  const rect = { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
  void rf.fitBounds(rect, { padding: opts.padding ?? 0.15, ...(opts.duration ? { duration: opts.duration } : {}) }).then(() => {
    // fitBounds has no maxZoom: a tiny graph should not be blown up past it.
    if (opts.maxZoom !== undefined && rf.getZoom() > opts.maxZoom) void rf.zoomTo(opts.maxZoom);
  });
}
