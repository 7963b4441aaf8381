/**
 * Graph edits a notebook cell makes through `kiln.graph`, as plain data: the worker applies each
 * to its snapshot at once (so the cell reads its own writes) and posts it; the main thread
 * applies the same op to the graph store. Both sides use these functions, so they agree.
 * Each op is validated and throws one line naming the node, port or param.
 */
import { checkConnection, edgeId, removeEdges, removeNodes, setParam, setParams } from '../../../lib/graph/edit';
import type { Graph, GraphEdge, GraphNode } from '../../../lib/graph/schema';
import { nodeIdSchema } from '../../../lib/graph/schema';
import { getNodeKind, listNodeKinds } from '../../../lib/nodes/registry';
import { paramsVersionField } from '../../../lib/nodes/params-version';

export type GraphOp =
  | { op: 'addNode'; id: string; kind: string; params: Record<string, unknown>; position?: { x: number; y: number } }
  | { op: 'removeNode'; id: string }
  | { op: 'connect'; edge: GraphEdge }
  | { op: 'disconnect'; edge: GraphEdge }
  | { op: 'setParam'; id: string; name: string; value: unknown }
  | { op: 'setParams'; id: string; params: Record<string, unknown> };

/** Parses `"node.port"` (the port is after the last dot; node ids may contain dots). */
export function parseEndpoint(s: string, what: 'from' | 'to'): { node: string; port: string } {
  const i = typeof s === 'string' ? s.lastIndexOf('.') : -1;
  if (i <= 0 || i === s.length - 1) throw new Error(`kiln.graph: ${what} "${String(s)}" must be "node.port", e.g. "split.train"`);
  return { node: s.slice(0, i), port: s.slice(i + 1) };
}

function node(g: Graph, id: string): GraphNode {
  const n = g.nodes.find((x) => x.id === id);
  if (!n) throw new Error(`kiln.graph: node "${id}" does not exist (nodes: ${g.nodes.map((x) => x.id).join(', ') || 'none'})`);
  return n;
}

/** Checks params against the kind's schema; throws naming the node and the param. */
export function checkParams(id: string, kind: string, params: Record<string, unknown>): void {
  const k = getNodeKind(kind);
  if (!k) return;
  const r = k.params.safeParse(params);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue?.path.join('.') || '(params)';
    throw new Error(`kiln.graph: node "${id}" (${kind}) param "${path}": ${issue?.message ?? 'invalid'}`);
  }
}

/** Where a node added without a position goes: right of everything, so it never hides another. */
export function freePosition(g: Graph): { x: number; y: number } {
  const placed = g.nodes.filter((n) => n.position);
  if (!placed.length) return { x: 0, y: 0 };
  const maxX = Math.max(...placed.map((n) => n.position!.x));
  const minY = Math.min(...placed.map((n) => n.position!.y));
  return { x: maxX + 240, y: minY };
}

/** Applies one op; throws a one-line reason when it is not allowed. */
export function applyGraphOp(g: Graph, op: GraphOp): Graph {
  switch (op.op) {
    case 'addNode': {
      if (!getNodeKind(op.kind)) {
        throw new Error(`kiln.graph.addNode: unknown node kind "${op.kind}" (kinds: ${listNodeKinds().map((k) => k.kind).join(', ')})`);
      }
      const idOk = nodeIdSchema.safeParse(op.id);
      if (!idOk.success) throw new Error(`kiln.graph.addNode: id "${op.id}": ${idOk.error.issues[0]?.message ?? 'invalid'}`);
      checkParams(op.id, op.kind, op.params);
      const existing = g.nodes.find((n) => n.id === op.id);
      if (existing) {
        // Upsert: a re-run cell updates its node instead of adding another.
        if (existing.kind !== op.kind) throw new Error(`kiln.graph.addNode: node "${op.id}" already exists with kind "${existing.kind}" (not "${op.kind}")`);
        return setParams(g, op.id, op.params);
      }
      const n: GraphNode = { id: op.id, kind: op.kind, params: op.params, ...paramsVersionField(getNodeKind(op.kind)!), position: op.position ?? freePosition(g) };
      return { ...g, nodes: [...g.nodes, n] };
    }
    case 'removeNode':
      node(g, op.id);
      return removeNodes(g, [op.id]);
    case 'connect': {
      const c = checkConnection(g, op.edge);
      if (!c.ok) {
        // Connecting what is already connected is a no-op, so a re-run cell is idempotent.
        if (g.edges.some((e) => edgeId(e) === edgeId(op.edge))) return g;
        throw new Error(`kiln.graph.connect: ${c.reason}`);
      }
      return { ...g, edges: [...g.edges, { ...op.edge }] };
    }
    case 'disconnect':
      return removeEdges(g, [edgeId(op.edge)]);
    case 'setParam': {
      const n = node(g, op.id);
      const next = { ...n.params };
      if (op.value === undefined) delete next[op.name];
      else next[op.name] = op.value;
      checkParams(op.id, n.kind, next);
      return setParam(g, op.id, op.name, op.value);
    }
    case 'setParams': {
      const n = node(g, op.id);
      checkParams(op.id, n.kind, op.params);
      return setParams(g, op.id, op.params);
    }
  }
}
