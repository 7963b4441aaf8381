'use client';
import { fitGraph } from './fit';
import { addCustomAt, CUSTOM_MIME } from './CustomKinds';
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  applyEdgeChanges,
  applyNodeChanges,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type NodeChange,
} from '@xyflow/react';
import { useCallback, useEffect, useRef, useState, type DragEvent } from 'react';
import { checkConnection, connect, moveNodes, removeEdges } from '../../lib/graph/edit';
import { useGraphStore } from '../studio/graph-store';
import { useCanvasUi } from './canvas-ui';
import { addNodeAt, importFile } from './commands';
import { FlowNodeCache, toFlowEdges } from './flow-elements';
import { nodeTypes, type KilnFlowNode } from './KilnNode';
import { PORT_COLORS } from './ports';
import { useShortcuts } from './useShortcuts';

export const KIND_MIME = 'application/x-kiln-kind';

/**
 * The React Flow view of the graph store. Node positions live in local state while dragging and
 * are committed to the store once on drag stop (one undo step, one validation), so a drag over
 * 300 nodes does not re-validate the graph every frame.
 */
export function FlowCanvas() {
  const rf = useReactFlow();
  const notify = useCanvasUi((s) => s.notify);
  const empty = useGraphStore((s) => s.graph.nodes.length === 0);

  const [cache] = useState(() => new FlowNodeCache());
  const dragging = useRef(false);

  const buildNodes = useCallback(
    (prev: KilnFlowNode[]) => {
      const s = useGraphStore.getState();
      return cache.build(s.graph, s.diagnostics, s.nodeStatus, new Set(s.selection), prev);
    },
    [cache],
  );
  const buildEdges = useCallback((prev: Edge[]) => {
    const s = useGraphStore.getState();
    return toFlowEdges(s.graph, s.diagnostics, new Set(prev.filter((e) => e.selected).map((e) => e.id)));
  }, []);
  const [nodes, setNodes] = useState<KilnFlowNode[]>(() => buildNodes([]));
  const [edges, setEdges] = useState<Edge[]>(() => buildEdges([]));

  // Follow the store (the one source of truth); while a drag is under way, local positions win.
  useEffect(
    () =>
      useGraphStore.subscribe((s, p) => {
        if (!dragging.current && (s.graph !== p.graph || s.diagnostics !== p.diagnostics || s.nodeStatus !== p.nodeStatus || s.selection !== p.selection)) {
          setNodes(buildNodes);
        }
        if (s.graph !== p.graph || s.diagnostics !== p.diagnostics) setEdges(buildEdges);
      }),
    [buildNodes, buildEdges],
  );

  const onNodesChange = useCallback((changes: NodeChange<KilnFlowNode>[]) => {
    const selects = changes.filter((c) => c.type === 'select');
    // Removal goes through our Delete shortcut (one undo step with edges), not React Flow's.
    const local = changes.filter((c) => c.type !== 'remove' && c.type !== 'select');
    if (local.length) setNodes((prev) => applyNodeChanges(local, prev));
    if (selects.length) {
      const store = useGraphStore.getState();
      const next = new Set(store.selection);
      for (const c of selects) {
        if (c.selected) next.add(c.id);
        else next.delete(c.id);
      }
      store.setSelection([...next]);
    }
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    const local = changes.filter((c) => c.type === 'select');
    if (local.length) setEdges((prev) => applyEdgeChanges(local, prev));
  }, []);

  const onNodeDragStart = useCallback(() => {
    dragging.current = true;
  }, []);

  const onNodeDragStop = useCallback((_e: unknown, _n: KilnFlowNode, dragged: KilnFlowNode[]) => {
    dragging.current = false;
    // Catch up with store changes that arrived mid-drag (run status, …); positions come next.
    setNodes(buildNodes);
    const positions: Record<string, { x: number; y: number }> = {};
    for (const n of dragged) positions[n.id] = { x: Math.round(n.position.x), y: Math.round(n.position.y) };
    useGraphStore.getState().apply((g) => moveNodes(g, positions));
  }, [buildNodes]);

  const onConnect = useCallback(
    (c: Connection) => {
      const edge = { source: c.source, sourcePort: c.sourceHandle ?? '', target: c.target, targetPort: c.targetHandle ?? '' };
      const check = checkConnection(useGraphStore.getState().graph, edge);
      if (!check.ok) {
        notify({ kind: 'error', text: `Cannot connect: ${check.reason}`, source: 'connection' });
        return;
      }
      useGraphStore.getState().apply((g) => connect(g, edge));
    },
    [notify],
  );

  const onEdgeDoubleClick = useCallback((_e: unknown, edge: Edge) => {
    useGraphStore.getState().apply((g) => removeEdges(g, [edge.id]));
  }, []);

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(KIND_MIME) || e.dataTransfer.types.includes(CUSTOM_MIME) || e.dataTransfer.types.includes('Files')) {
      e.preventDefault();
      e.dataTransfer.dropEffect = e.dataTransfer.types.includes('Files') ? 'copy' : 'move';
    }
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const custom = e.dataTransfer.getData(CUSTOM_MIME);
      if (custom) {
        e.preventDefault();
        const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
        addCustomAt(JSON.parse(custom) as Parameters<typeof addCustomAt>[0], { x: p.x - 85, y: p.y - 30 });
        return;
      }
      const kind = e.dataTransfer.getData(KIND_MIME);
      if (kind) {
        e.preventDefault();
        const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
        addNodeAt(kind, { x: p.x - 85, y: p.y - 30 });
        return;
      }
      const file = e.dataTransfer.files[0];
      if (file) {
        e.preventDefault();
        void importFile(file);
      }
    },
    [rf],
  );

  const getSelectedEdges = useCallback(() => edges.filter((e) => e.selected).map((e) => e.id), [edges]);
  useShortcuts(getSelectedEdges);

  // Fit once the first time nodes of a newly opened graph are on screen.
  const fitted = useRef<string | null>(null);
  const projectName = useGraphStore((s) => s.projectName);
  useEffect(() => {
    if (!nodes.length || fitted.current === projectName) return;
    fitted.current = projectName;
    requestAnimationFrame(() => fitGraph(rf, { padding: 0.15, maxZoom: 1.2 }));
  }, [nodes.length, projectName, rf]);

  return (
    <div className="kc-flow" onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
      <ReactFlow<KilnFlowNode>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStart={onNodeDragStart}
        onNodeDragStop={onNodeDragStop}
        onConnect={onConnect}
        onEdgeDoubleClick={onEdgeDoubleClick}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Shift', 'Meta', 'Control']}
        minZoom={0.1}
        maxZoom={2}
        proOptions={{ hideAttribution: true }}
        onlyRenderVisibleElements={nodes.length > 150}
      >
        <Background gap={20} size={1} />
        <MiniMap style={{ width: 150, height: 100 }} pannable zoomable nodeColor={(n) => ((n.data as { problems?: string[] }).problems?.length ? '#fca5a5' : '#d6cfc5')} ariaLabel="Minimap" />
        <Controls showInteractive={false} showFitView={false} />
      </ReactFlow>
      {empty ? (
        <div className="kc-empty">
          <strong>This pipeline is empty.</strong>
          <span>Drag a node from the palette (start with Dataset), or Import a .json / .png pipeline.</span>
        </div>
      ) : null}
      <div className="kc-legend" aria-label="Port types">
        {Object.entries(PORT_COLORS).map(([t, c]) => (
          <span key={t}>
            <i style={{ background: c }} />
            {t}
          </span>
        ))}
      </div>
    </div>
  );
}
