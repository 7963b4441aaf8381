/**
 * Canvas commands that are not tied to one component: auto-layout, clipboard, export and
 * import. Each edit goes through the graph store's `apply` (one undo step).
 */
import dagre from '@dagrejs/dagre';
import { addNode, copyNodes, moveNodes, parseClip, pasteNodes, removeEdges, removeNodes } from '../../lib/graph/edit';
import { extractGraphFromPng, isPng } from '../../lib/graph/png';
import type { Graph } from '../../lib/graph/schema';
import { validateGraph } from '../../lib/graph/validate';
import { getNodeKind } from '../../lib/nodes/registry';
import { defaultParams } from '../../lib/nodes/param-fields';
import { downloadBlob } from '../studio/download';
import { useGraphStore } from '../studio/graph-store';
import { useCanvasUi } from './canvas-ui';
import { nodeSize } from './ports';

export const CLIPBOARD_KEY = 'kiln.clipboard';

/** Left-to-right layered positions for every node (dagre). */
export function layoutPositions(graph: Graph): Record<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 30, ranksep: 70, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) {
    const k = getNodeKind(n.kind);
    g.setNode(n.id, nodeSize(k?.inputs.length ?? 0, k?.outputs.length ?? 0));
  }
  for (const e of graph.edges) if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const out: Record<string, { x: number; y: number }> = {};
  for (const n of graph.nodes) {
    const p = g.node(n.id);
    // dagre gives centres; React Flow positions are top-left corners.
    if (p) out[n.id] = { x: Math.round(p.x - p.width / 2), y: Math.round(p.y - p.height / 2) };
  }
  return out;
}

export function autoLayout(): void {
  useGraphStore.getState().apply((g) => moveNodes(g, layoutPositions(g)));
}

/** The first spot at or below `p` where a new node does not cover an existing one. */
export function freeSpot(graph: Graph, p: { x: number; y: number }): { x: number; y: number } {
  const { width, height } = nodeSize(1, 1);
  const hits = (y: number) => graph.nodes.some((n) => n.position && Math.abs(n.position.x - p.x) < width && Math.abs(n.position.y - y) < height + 10);
  for (let i = 0; i < 30; i++) {
    const y = p.y + i * (height + 20);
    if (!hits(y)) return { x: p.x, y };
  }
  return p;
}

/** Adds a node of `kind` at a flow position, selects it and returns its id. */
export function addNodeAt(kind: string, position: { x: number; y: number }): string | null {
  const k = getNodeKind(kind);
  if (!k) return null;
  let id = '';
  const store = useGraphStore.getState();
  store.apply((g) => {
    const r = addNode(g, kind, { params: defaultParams(k.params), position: { x: Math.round(position.x), y: Math.round(position.y) } });
    id = r.id;
    return r.graph;
  });
  store.setSelection([id]);
  return id;
}

export function deleteSelection(edgeIds: string[]): void {
  const { selection, apply, setSelection } = useGraphStore.getState();
  if (!selection.length && !edgeIds.length) return;
  apply((g) => removeNodes(removeEdges(g, edgeIds), selection));
  setSelection([]);
}

let pasteCount = 0;

export function copySelection(): void {
  const { graph, selection } = useGraphStore.getState();
  const ui = useCanvasUi.getState();
  if (!selection.length) {
    ui.notify({ kind: 'info', text: 'Select nodes to copy', source: 'clipboard' });
    return;
  }
  const text = JSON.stringify(copyNodes(graph, selection));
  pasteCount = 0;
  try {
    localStorage.setItem(CLIPBOARD_KEY, text);
  } catch {
    // storage full or disabled: the system clipboard may still work
  }
  navigator.clipboard?.writeText(text).catch(() => undefined);
  ui.notify({ kind: 'info', text: `Copied ${selection.length} node${selection.length === 1 ? '' : 's'}`, source: 'clipboard' });
}

/** Pastes the Kiln clipboard (this or another project's copy), offset a little more each time. */
export function pasteClipboard(text?: string | null): void {
  const ui = useCanvasUi.getState();
  let raw = text ?? null;
  if (!raw || !parseClip(raw)) {
    try {
      raw = localStorage.getItem(CLIPBOARD_KEY);
    } catch {
      raw = null;
    }
  }
  const clip = raw ? parseClip(raw) : null;
  if (!clip) {
    ui.notify({ kind: 'info', text: 'Nothing to paste: copy nodes first (Ctrl+C)', source: 'clipboard' });
    return;
  }
  pasteCount += 1;
  const store = useGraphStore.getState();
  let ids: string[] = [];
  store.apply((g) => {
    const r = pasteNodes(g, clip, { x: 40 * pasteCount, y: 40 * pasteCount });
    ids = r.ids;
    return r.graph;
  });
  store.setSelection(ids);
}

export function fileStem(): string {
  const { projectName, graph } = useGraphStore.getState();
  return (graph.name || projectName || 'pipeline').replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'pipeline';
}

export function exportJson(): void {
  const { graph } = useGraphStore.getState();
  downloadBlob(`${fileStem()}.kiln.json`, new Blob([JSON.stringify(graph, null, 2)], { type: 'application/json' }));
}

/** Downloads PNG bytes that already carry the graph. */
export function downloadPng(bytes: Uint8Array): void {
  downloadBlob(`${fileStem()}.kiln.png`, new Blob([bytes as BlobPart], { type: 'image/png' }));
}

/**
 * Reads a dropped or chosen file (.json, or a .png exported by Kiln) and opens its pipeline as
 * one undo step. Shape errors are refused naming the file; semantic diagnostics are accepted and
 * shown on the canvas.
 */
export async function importFile(file: File): Promise<void> {
  const ui = useCanvasUi.getState();
  const fail = (text: string) => ui.notify({ kind: 'error', text, source: 'import' });
  let text: string | null;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (isPng(bytes)) {
      text = extractGraphFromPng(bytes);
      if (text === null) return fail(`${file.name}: this PNG carries no Kiln pipeline (export one with "Export PNG")`);
    } else if (/\.png$/i.test(file.name)) {
      return fail(`${file.name}: not a valid PNG file`);
    } else {
      text = new TextDecoder().decode(bytes);
    }
  } catch (e) {
    return fail(`${file.name}: could not be read (${(e as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail(`${file.name}: not JSON (${(e as Error).message})`);
  }
  const v = validateGraph(doc);
  if (!v.graph) {
    const d = v.diagnostics[0];
    return fail(`${file.name}: not a Kiln graph: ${d ? `${d.path ? `${d.path}: ` : ''}${d.message.replace(/^[^:]*: /, '')}` : 'unknown shape'}`);
  }
  let graph = v.graph;
  if (graph.nodes.some((n) => !n.position)) graph = moveNodes(graph, layoutPositions(graph));
  const store = useGraphStore.getState();
  store.apply(() => graph);
  store.setSelection([]);
  const problems = v.diagnostics.filter((d) => d.severity === 'error').length;
  ui.notify({
    kind: problems ? 'error' : 'info',
    text: `Opened ${file.name}: ${graph.nodes.length} nodes${problems ? `, ${problems} problem${problems === 1 ? '' : 's'} to fix (shown on the canvas)` : ''}`,
    source: 'import',
  });
}
