/**
 * Questions about a graph that only its node kinds can answer, asked of the registry: which
 * datasets it reads, which nodes keep every row, which evaluation is the run's verdict. Callers
 * (server, CLI, studio) use these instead of matching kind names.
 */
import type { GraphNode } from '../graph/schema';
import { getNodeKind, type AnyNodeKind } from './registry';
import type { DatasetRef, NodeRole } from './types';

/** The part of a node these questions need (a stored graph's node, or one being edited). */
export type NodeLike = Pick<GraphNode, 'id' | 'kind'> & { params?: Record<string, unknown> };

/** The part of a graph these questions need. */
export interface NodesOf<N extends NodeLike = GraphNode> {
  nodes: readonly N[];
}

/** The node's params parsed by its kind (defaults applied), or undefined (unknown kind, invalid params). */
export function parsedParams(node: NodeLike, kind: AnyNodeKind | undefined = getNodeKind(node.kind)): unknown {
  if (!kind) return undefined;
  const r = kind.params.safeParse(node.params ?? {});
  return r.success ? r.data : undefined;
}

/** Does this node keep every row it receives, in order? Unknown kinds and invalid params: no. */
export function preservesRows(node: NodeLike): boolean {
  const kind = getNodeKind(node.kind);
  const decl = kind?.preservesRows;
  if (typeof decl !== 'function') return decl === true;
  const p = parsedParams(node, kind);
  return p !== undefined && decl(p);
}

/** The node's role in the graph, as its kind declares it. */
export function nodeRole(node: NodeLike): NodeRole | undefined {
  return getNodeKind(node.kind)?.role;
}

/** Nodes with a role, in node order. */
export function nodesWithRole<N extends NodeLike>(graph: NodesOf<N>, role: NodeRole): N[] {
  return graph.nodes.filter((n) => nodeRole(n) === role);
}

/** The datasets one node reads (none for kinds that read none, or params that do not parse). */
export function nodeDatasets(node: NodeLike): DatasetRef[] {
  const kind = getNodeKind(node.kind);
  if (!kind?.readsDatasets) return [];
  const p = parsedParams(node, kind);
  return p === undefined ? [] : kind.readsDatasets(p);
}

/** Every dataset the graph reads, with the node reading it, in node order. */
export function graphDatasets(graph: NodesOf<NodeLike>): { nodeId: string; ref: DatasetRef }[] {
  return graph.nodes.flatMap((n) => nodeDatasets(n).map((ref) => ({ nodeId: n.id, ref })));
}

/** Input names the graph reads (data the caller gives), each with the first node reading it, in node order. */
export function graphInputDatasets(graph: NodesOf<NodeLike>): Map<string, string> {
  const out = new Map<string, string>();
  for (const { nodeId, ref } of graphDatasets(graph)) if (ref.source === 'input' && !out.has(ref.name)) out.set(ref.name, nodeId);
  return out;
}

/** Built-in dataset names the graph reads, in node order, each once. */
export function graphBuiltinDatasets(graph: NodesOf<NodeLike>): string[] {
  return [...new Set(graphDatasets(graph).filter((d) => d.ref.source === 'builtin').map((d) => d.ref.name))];
}

function byId(a: NodeLike, b: NodeLike): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The evaluation nodes, the verdict first: ordered by id (code-unit order). */
export function evaluationNodes<N extends NodeLike>(graph: NodesOf<N>): N[] {
  return nodesWithRole(graph, 'evaluation').sort(byId);
}

/**
 * The one rule for "the graph's evaluation": of the nodes whose kind has role `evaluation`, the
 * one with the lowest id. Ids, unlike node order, are part of the graph hash, so every graph
 * version has one verdict wherever it runs (CLI exit code, runner metrics, registry gates).
 */
export function verdictNode<N extends NodeLike>(graph: NodesOf<N>): N | undefined {
  return evaluationNodes(graph)[0];
}
