/**
 * A run's results by port type: what every host (the studio's worker, the notebook kernel, the
 * runner, `kiln run`) reads out of `RunGraphResult.outputs`. The kinds' port declarations say
 * which value is what, so no host guesses from a value's shape.
 */
import type { Graph, PortType } from '../graph/schema';
import { verdictNode } from '../nodes/graph-queries';
import { getNodeKind } from '../nodes/registry';
import type { Evaluation, Frame, ModelSpec, PortValues, TrainedModel } from '../nodes/types';

/** The value that travels on each port type. */
export interface PortValueOf {
  table: Frame;
  model: ModelSpec;
  trained: TrainedModel;
  metrics: Evaluation;
}

/** One output value of one node. */
export interface PortResult<T extends PortType> {
  nodeId: string;
  port: string;
  value: PortValueOf[T];
}

/** Every output of `type` that the run produced, in node order (a node's ports in declaration order). */
export function outputsOfType<T extends PortType>(graph: Pick<Graph, 'nodes'>, outputs: Record<string, PortValues>, type: T): PortResult<T>[] {
  const out: PortResult<T>[] = [];
  for (const n of graph.nodes) {
    const values = outputs[n.id];
    if (!values) continue;
    for (const p of getNodeKind(n.kind)?.outputs ?? []) {
      if (p.type === type && values[p.name] !== undefined) out.push({ nodeId: n.id, port: p.name, value: values[p.name] as PortValueOf[T] });
    }
  }
  return out;
}

/** What a run delivers: its evaluations, its trained models, and the verdict. */
export interface RunResults {
  evaluations: { nodeId: string; evaluation: Evaluation }[];
  trained: { nodeId: string; port: string; trained: TrainedModel }[];
  /**
   * The graph's verdict (see `verdictNode`): that evaluation node's id, its evaluation and the
   * model it scored. Absent when the graph has no evaluation node.
   */
  verdict?: { nodeId: string; evaluation?: Evaluation; trained?: TrainedModel };
}

/** Collects a run's results by port type. `graph` is the run's graph (`RunGraphResult.graph`). */
export function collectResults(graph: Pick<Graph, 'nodes' | 'edges'>, outputs: Record<string, PortValues>): RunResults {
  const evaluations = outputsOfType(graph, outputs, 'metrics').map((r) => ({ nodeId: r.nodeId, evaluation: r.value }));
  const trained = outputsOfType(graph, outputs, 'trained').map((r) => ({ nodeId: r.nodeId, port: r.port, trained: r.value }));
  const v = verdictNode(graph);
  if (!v) return { evaluations, trained };
  const evaluation = evaluations.find((e) => e.nodeId === v.id)?.evaluation;
  // The model the verdict scored: the value on the edge into its `trained` input.
  const port = getNodeKind(v.kind)?.inputs.find((p) => p.type === 'trained');
  const e = port && graph.edges.find((x) => x.target === v.id && x.targetPort === port.name);
  const model = e ? trained.find((t) => t.nodeId === e.source && t.port === e.sourcePort)?.trained : undefined;
  return { evaluations, trained, verdict: { nodeId: v.id, ...(evaluation ? { evaluation } : {}), ...(model ? { trained: model } : {}) } };
}

/**
 * The model a run delivers, chosen the same way by `kiln run`, the runner and the studio: the one
 * the verdict scored (with the verdict's evaluation), else the last trained model in node order.
 */
export function deliveredModel(results: RunResults): { trained?: TrainedModel; evaluation?: Evaluation; verdictNodeId?: string } {
  const v = results.verdict;
  if (v) return { ...(v.trained ? { trained: v.trained } : {}), ...(v.evaluation ? { evaluation: v.evaluation } : {}), verdictNodeId: v.nodeId };
  const last = results.trained.at(-1);
  return last ? { trained: last.trained } : {};
}
