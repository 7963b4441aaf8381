import type { GraphEdge } from './schema';

/** `data` → `data` edges along a chain of table nodes: `ids[0]` → `ids[1]` → … */
export function dataChain(ids: readonly string[]): GraphEdge[] {
  return ids.slice(1).map((target, i) => ({ source: ids[i]!, sourcePort: 'data', target, targetPort: 'data' }));
}

/**
 * The edges that train a model: the table from `data` and the spec from `model` into `train`,
 * then (when named) the trained model into `evaluate`, in that order.
 */
export function trainEdges(o: { data: string; model: string; train: string; evaluate?: string }): GraphEdge[] {
  const edges: GraphEdge[] = [
    { source: o.data, sourcePort: 'data', target: o.train, targetPort: 'data' },
    { source: o.model, sourcePort: 'model', target: o.train, targetPort: 'model' },
  ];
  if (o.evaluate !== undefined) edges.push({ source: o.train, sourcePort: 'trained', target: o.evaluate, targetPort: 'model' });
  return edges;
}
