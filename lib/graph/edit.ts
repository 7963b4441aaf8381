/**
 * Pure edit operations on a graph document, used by the canvas (and anything else that edits a
 * graph). Every op returns a new document, or the very same object when nothing changed, so a
 * store can skip no-op edits by identity.
 */
import { getNodeKind } from '../nodes/registry';
import type { Graph, GraphEdge, GraphNode } from './schema';
import { paramsVersionField } from '../nodes/params-version';
import { migrateNodeParams } from './migrate';

export type ConnectionCheck = { ok: true } | { ok: false; reason: string };

/** A stable id for an edge: its two endpoints. */
export function edgeId(e: GraphEdge): string {
  return `${e.source}:${e.sourcePort}->${e.target}:${e.targetPort}`;
}

/** Whether `from` reaches `to` along edges (`from === to` counts). */
function reaches(graph: Graph, from: string, to: string): boolean {
  const out = new Map<string, string[]>();
  for (const e of graph.edges) {
    const l = out.get(e.source);
    if (l) l.push(e.target);
    else out.set(e.source, [e.target]);
  }
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const n = stack.pop()!;
    if (n === to) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const m of out.get(n) ?? []) stack.push(m);
  }
  return false;
}

/**
 * Says whether `edge` may be added to `graph`, and if not, why, in one line naming the nodes and
 * ports: unknown node or port, self loop, port types that differ, an input that takes one edge
 * and already has one, a duplicate, or a cycle.
 */
export function checkConnection(graph: Graph, edge: GraphEdge): ConnectionCheck {
  const s = graph.nodes.find((n) => n.id === edge.source);
  const t = graph.nodes.find((n) => n.id === edge.target);
  if (!s) return { ok: false, reason: `node "${edge.source}" does not exist` };
  if (!t) return { ok: false, reason: `node "${edge.target}" does not exist` };
  if (s.id === t.id) return { ok: false, reason: `${s.id} cannot connect to itself` };
  const sk = getNodeKind(s.kind);
  const tk = getNodeKind(t.kind);
  if (!sk) return { ok: false, reason: `${s.id} has unknown kind "${s.kind}"` };
  if (!tk) return { ok: false, reason: `${t.id} has unknown kind "${t.kind}"` };
  const sp = sk.outputs.find((p) => p.name === edge.sourcePort);
  const tp = tk.inputs.find((p) => p.name === edge.targetPort);
  if (!sp) return { ok: false, reason: `${s.id} (${s.kind}) has no output "${edge.sourcePort}" (outputs: ${sk.outputs.map((p) => p.name).join(', ') || 'none'})` };
  if (!tp) return { ok: false, reason: `${t.id} (${t.kind}) has no input "${edge.targetPort}" (inputs: ${tk.inputs.map((p) => p.name).join(', ') || 'none'})` };
  if (sp.type !== tp.type) return { ok: false, reason: `${t.id}.${tp.name} expects ${tp.type}, ${s.id}.${sp.name} gives ${sp.type}` };
  const id = edgeId(edge);
  if (graph.edges.some((e) => edgeId(e) === id)) return { ok: false, reason: `${s.id}.${sp.name} is already connected to ${t.id}.${tp.name}` };
  if (!tp.multiple) {
    const existing = graph.edges.find((e) => e.target === t.id && e.targetPort === tp.name);
    if (existing) return { ok: false, reason: `${t.id}.${tp.name} takes one input and already has ${existing.source}.${existing.sourcePort}` };
  }
  if (reaches(graph, t.id, s.id)) return { ok: false, reason: `connecting ${s.id} → ${t.id} would make a cycle (${t.id} already leads to ${s.id})` };
  return { ok: true };
}

/** A node id not used in `taken`, derived from `base` (`mlp`, `mlp_2`, `mlp_3` …). */
export function freshId(base: string, taken: ReadonlySet<string>): string {
  const stem = base.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 100) || 'node';
  if (!taken.has(stem)) return stem;
  const m = /^(.*)_(\d+)$/.exec(stem);
  const root = m ? m[1]! : stem;
  for (let i = m ? Number(m[2]) + 1 : 2; ; i++) {
    const id = `${root}_${i}`;
    if (!taken.has(id)) return id;
  }
}

/** Adds a node of `kind` with a fresh id derived from the kind. */
export function addNode(
  graph: Graph,
  kind: string,
  opts: { params?: Record<string, unknown>; position?: { x: number; y: number }; label?: string } = {},
): { graph: Graph; id: string } {
  const id = freshId(kind, new Set(graph.nodes.map((n) => n.id)));
  // New params are written for the kind's current version: say so, or the next load would upgrade them again.
  const k = getNodeKind(kind);
  const node: GraphNode = { id, kind, params: opts.params ?? {}, ...(k ? paramsVersionField(k) : {}), ...(opts.position ? { position: opts.position } : {}), ...(opts.label ? { label: opts.label } : {}) };
  return { graph: { ...graph, nodes: [...graph.nodes, node] }, id };
}

/** Removes nodes and every edge that touches them. */
export function removeNodes(graph: Graph, ids: readonly string[]): Graph {
  const gone = new Set(ids);
  if (!graph.nodes.some((n) => gone.has(n.id))) return graph;
  return {
    ...graph,
    nodes: graph.nodes.filter((n) => !gone.has(n.id)),
    edges: graph.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target)),
  };
}

/** Adds an edge when {@link checkConnection} allows it; otherwise returns `graph` unchanged. */
export function connect(graph: Graph, edge: GraphEdge): Graph {
  if (!checkConnection(graph, edge).ok) return graph;
  const { source, sourcePort, target, targetPort } = edge;
  return { ...graph, edges: [...graph.edges, { source, sourcePort, target, targetPort }] };
}

/** Removes the edges with these {@link edgeId}s. */
export function removeEdges(graph: Graph, ids: readonly string[]): Graph {
  const gone = new Set(ids);
  const edges = graph.edges.filter((e) => !gone.has(edgeId(e)));
  return edges.length === graph.edges.length ? graph : { ...graph, edges };
}

function updateNode(graph: Graph, id: string, f: (n: GraphNode) => GraphNode): Graph {
  let changed = false;
  const nodes = graph.nodes.map((n) => {
    if (n.id !== id) return n;
    const m = f(n);
    if (m !== n) changed = true;
    return m;
  });
  return changed ? { ...graph, nodes } : graph;
}

/** Sets one param (`undefined` removes it, so the kind's default applies). */
export function setParam(graph: Graph, id: string, name: string, value: unknown): Graph {
  return updateNode(graph, id, (n) => {
    if (n.params[name] === value && (value !== undefined || !(name in n.params))) return n;
    const params = { ...n.params };
    if (value === undefined) delete params[name];
    else params[name] = value;
    return { ...n, params };
  });
}

/** Replaces a node's params. */
export function setParams(graph: Graph, id: string, params: Record<string, unknown>): Graph {
  return updateNode(graph, id, (n) => (n.params === params ? n : { ...n, params }));
}

/** Moves nodes to new positions (layout only: the graph hash does not change). */
export function moveNodes(graph: Graph, positions: Readonly<Record<string, { x: number; y: number }>>): Graph {
  let changed = false;
  const nodes = graph.nodes.map((n) => {
    const p = positions[n.id];
    if (!p || (n.position && n.position.x === p.x && n.position.y === p.y)) return n;
    changed = true;
    return { ...n, position: { x: p.x, y: p.y } };
  });
  return changed ? { ...graph, nodes } : graph;
}

/** Sets a node's display label; an empty label removes it (the kind's label shows). */
export function renameLabel(graph: Graph, id: string, label: string): Graph {
  const l = label.trim();
  return updateNode(graph, id, (n) => {
    if ((n.label ?? '') === l) return n;
    const { label: _old, ...rest } = n;
    return l ? { ...rest, label: l } : rest;
  });
}

/** What copy puts on the clipboard: some nodes and the edges among them. */
export interface GraphClip {
  kiln: 'nodes';
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** The selected nodes and the edges between them (edges leaving the selection are dropped). */
export function copyNodes(graph: Graph, ids: readonly string[]): GraphClip {
  const keep = new Set(ids);
  return {
    kiln: 'nodes',
    nodes: graph.nodes.filter((n) => keep.has(n.id)),
    edges: graph.edges.filter((e) => keep.has(e.source) && keep.has(e.target)),
  };
}

/** Reads a clipboard text as a {@link GraphClip}, or null when it is not one. */
export function parseClip(text: string): GraphClip | null {
  try {
    const v = JSON.parse(text) as Partial<GraphClip> | null;
    if (!v || v.kiln !== 'nodes' || !Array.isArray(v.nodes) || !Array.isArray(v.edges)) return null;
    const okNode = (n: unknown): n is GraphNode =>
      !!n && typeof n === 'object' && typeof (n as GraphNode).id === 'string' && typeof (n as GraphNode).kind === 'string';
    const okEdge = (e: unknown): e is GraphEdge =>
      !!e && typeof e === 'object' && ['source', 'sourcePort', 'target', 'targetPort'].every((k) => typeof (e as Record<string, unknown>)[k] === 'string');
    if (!v.nodes.every(okNode) || !v.edges.every(okEdge)) return null;
    return { kiln: 'nodes', nodes: v.nodes.map((n) => ({ ...n, params: n.params && typeof n.params === 'object' ? n.params : {} })), edges: v.edges };
  } catch {
    return null;
  }
}

/**
 * Pastes copied nodes under new ids (the originals may still be in the graph), keeping the edges
 * among them and offsetting their positions. Returns the new ids.
 */
export function pasteNodes(graph: Graph, clip: Pick<GraphClip, 'nodes' | 'edges'>, offset = { x: 40, y: 40 }): { graph: Graph; ids: string[] } {
  if (!clip.nodes.length) return { graph, ids: [] };
  const taken = new Set(graph.nodes.map((n) => n.id));
  const rename = new Map<string, string>();
  const nodes: GraphNode[] = clip.nodes.map((n, i) => {
    const id = freshId(n.id, taken);
    taken.add(id);
    rename.set(n.id, id);
    const p = n.position ?? { x: i * 40, y: i * 40 };
    return { ...n, id, params: structuredClone(n.params ?? {}), position: { x: p.x + offset.x, y: p.y + offset.y } };
  });
  const edges = clip.edges
    .filter((e) => rename.has(e.source) && rename.has(e.target))
    .map((e) => ({ ...e, source: rename.get(e.source)!, target: rename.get(e.target)! }));
  // Copied nodes may come from an older Kiln (another tab, a file): bring their params up to date.
  const pasted = migrateNodeParams({ ...graph, nodes: [...graph.nodes, ...nodes], edges: [...graph.edges, ...edges] }).graph;
  return { graph: pasted, ids: nodes.map((n) => n.id) };
}
