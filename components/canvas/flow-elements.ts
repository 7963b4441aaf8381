/**
 * Maps the graph document (plus diagnostics, run status and selection) to React Flow nodes and
 * edges, reusing the previous objects when nothing about a node changed so memoised node
 * components skip re-rendering.
 */
import { MarkerType, type Edge } from '@xyflow/react';
import { edgeId } from '../../lib/graph/edit';
import type { Graph, GraphNode } from '../../lib/graph/schema';
import type { Diagnostic } from '../../lib/graph/validate';
import { evaluationNodes } from '../../lib/nodes/graph-queries';
import { getNodeKind } from '../../lib/nodes/registry';
import type { NodeRunStatus } from '../studio/graph-store';
import type { KilnFlowNode } from './KilnNode';
import { PORT_COLORS } from './ports';

/** Error messages per node id, stripped of the redundant `node "x" (kind)` prefix (warnings show in the inspector). */
export function problemsByNode(diagnostics: Diagnostic[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const d of diagnostics) {
    if (!d.nodeId || d.edge !== undefined || d.severity === 'warning') continue;
    const msg = d.message.replace(/^node "[^"]*"( \([^)]*\))?:?\s*/, '');
    const l = out.get(d.nodeId);
    if (l) l.push(msg);
    else out.set(d.nodeId, [msg]);
  }
  return out;
}

interface Cached {
  gn: GraphNode;
  problems: string;
  status: NodeRunStatus | undefined;
  selected: boolean;
  verdict: boolean;
  node: KilnFlowNode;
}

export class FlowNodeCache {
  private cache = new Map<string, Cached>();
  private problems: { from: Diagnostic[]; map: Map<string, string[]> } | null = null;

  build(graph: Graph, diagnostics: Diagnostic[], status: Record<string, NodeRunStatus>, selection: ReadonlySet<string>, prev: readonly KilnFlowNode[]): KilnFlowNode[] {
    if (this.problems?.from !== diagnostics) this.problems = { from: diagnostics, map: problemsByNode(diagnostics) };
    const problems = this.problems.map;
    const prevById = new Map(prev.map((n) => [n.id, n]));
    const next = new Map<string, Cached>();
    // With several evaluation nodes, the canvas marks the one whose result is the run's verdict.
    const evals = evaluationNodes(graph);
    const verdictId = evals.length > 1 ? evals[0]!.id : null;
    const out = graph.nodes.map((gn, i) => {
      const p = problems.get(gn.id) ?? [];
      const pKey = p.join('\n');
      const st = status[gn.id];
      const selected = selection.has(gn.id);
      const verdict = gn.id === verdictId;
      const c = this.cache.get(gn.id);
      const old = prevById.get(gn.id);
      if (c && old && c.gn === gn && c.problems === pKey && c.status === st && c.selected === selected && c.verdict === verdict && c.node === old) {
        next.set(gn.id, c);
        return old;
      }
      const kind = getNodeKind(gn.kind);
      const node: KilnFlowNode = {
        id: gn.id,
        type: 'kiln',
        position: gn.position ?? { x: (i % 6) * 230, y: Math.floor(i / 6) * 140 },
        selected,
        ...(old?.measured ? { measured: old.measured } : {}),
        domAttributes: { 'data-testid': `canvas-node-${gn.id}`, 'data-status': st?.state ?? 'idle' } as never,
        data: {
          id: gn.id,
          kind: gn.kind,
          title: gn.label || gn.id,
          kindLabel: kind ? kind.label : `unknown kind "${gn.kind}"`,
          known: !!kind,
          inputs: kind?.inputs ?? [],
          outputs: kind?.outputs ?? [],
          problems: p,
          ...(st ? { status: st } : {}),
          ...(verdict ? { verdict: evals.length } : {}),
        },
      };
      next.set(gn.id, { gn, problems: pKey, status: st, selected, verdict, node });
      return node;
    });
    this.cache = next;
    return out;
  }
}

/** Edges with their port type's colour; an edge with a diagnostic is red and labelled with it. */
export function toFlowEdges(graph: Graph, diagnostics: Diagnostic[], selected: ReadonlySet<string>): Edge[] {
  const edgeProblems = new Map<number, string>();
  for (const d of diagnostics) if (d.edge !== undefined) edgeProblems.set(d.edge, d.message.replace(/^edges\[\d+\]:\s*/, ''));
  const types = new Map(graph.nodes.map((n) => [n.id, getNodeKind(n.kind)]));
  return graph.edges.map((e, i) => {
    const id = edgeId(e);
    const problem = edgeProblems.get(i);
    const type = types.get(e.source)?.outputs.find((p) => p.name === e.sourcePort)?.type;
    const color = problem ? '#dc2626' : type ? PORT_COLORS[type] : '#888';
    return {
      id,
      source: e.source,
      target: e.target,
      sourceHandle: e.sourcePort,
      targetHandle: e.targetPort,
      selected: selected.has(id),
      style: { stroke: color, strokeWidth: problem ? 2.5 : 1.8, ...(problem ? { strokeDasharray: '6 3' } : {}) },
      markerEnd: { type: MarkerType.ArrowClosed, color, width: 16, height: 16 },
      ...(problem
        ? { label: problem.length > 70 ? `${problem.slice(0, 67)}…` : problem, className: 'kc-edge-invalid', labelStyle: { fill: '#b91c1c', fontSize: 11 }, labelBgStyle: { fill: '#fff' }, ariaLabel: problem }
        : {}),
    } satisfies Edge;
  });
}
