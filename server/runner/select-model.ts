import type { Graph } from '../../lib/graph/schema';
import { collectResults, deliveredModel } from '../../lib/exec/results';
import type { Evaluation, PortValues, TrainedModel } from '../../lib/nodes/types';

/**
 * The model a run delivers, chosen the same way by `kiln run` and the runner: the one the graph's
 * verdict (its evaluation node with the lowest id) scores, with that evaluation; else the last
 * trained model in node order.
 */
export function selectTrainedModel(graph: Graph, outputs: Record<string, PortValues>): { trained?: TrainedModel; evaluation?: Evaluation; verdictNodeId?: string } {
  return deliveredModel(collectResults(graph, outputs));
}
