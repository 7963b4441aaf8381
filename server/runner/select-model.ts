import type { Graph } from '../../lib/graph/schema';
import type { Evaluation, PortValues, TrainedModel } from '../../lib/nodes/types';

/**
 * The model a run delivers, chosen the same way by `kiln run` and the runner: the one the first
 * evaluate node scores (with that node's evaluation), else the last trained model in node order.
 */
export function selectTrainedModel(graph: Graph, outputs: Record<string, PortValues>): { trained?: TrainedModel; evaluation?: Evaluation } {
  const evalNode = graph.nodes.find((n) => n.kind === 'evaluate');
  if (evalNode) {
    const evaluation = outputs[evalNode.id]?.metrics as Evaluation | undefined;
    const e = graph.edges.find((x) => x.target === evalNode.id && x.targetPort === 'model');
    const trained = e ? (outputs[e.source]?.[e.sourcePort] as TrainedModel | undefined) : undefined;
    return { ...(trained ? { trained } : {}), ...(evaluation ? { evaluation } : {}) };
  }
  let trained: TrainedModel | undefined;
  for (const n of graph.nodes) {
    for (const val of Object.values(outputs[n.id] ?? {})) if (val && typeof val === 'object' && 'members' in val) trained = val as TrainedModel;
  }
  return trained ? { trained } : {};
}
