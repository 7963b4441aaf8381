'use client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type KeyboardEvent } from 'react';
import { freshId } from '../../lib/graph/edit';
import { CUSTOM_KIND, customNodeParams } from '../../lib/nodes/custom-def';
import { useGraphStore } from '../studio/graph-store';
import { errorMessage, trpc, type RouterOutputs } from '../studio/trpc';
import { freeSpot } from './commands';
import { PORT_COLORS } from './ports';

type CustomDef = RouterOutputs['customNodes']['list'][number];

/** react-query key of a project's custom node kinds: invalidate it after `customNodes.define`. */
export const customNodesQueryKey = (projectName: string | null) => ['customNodes', projectName] as const;

function matches(d: CustomDef, q: string): boolean {
  if (!q) return true;
  const hay = `${d.label} ${d.name} ${d.description} custom`.toLowerCase();
  return q.toLowerCase().split(/\s+/).filter(Boolean).every((w) => hay.includes(w));
}

/** Drag-and-drop payload of a custom kind (its params travel with it). */
export const CUSTOM_MIME = 'application/x-kiln-custom-node';

/**
 * Adds a `custom` node carrying the kind's code near `at` (a free spot), named after the kind
 * (`cap_hp`, `cap_hp_2` …), and selects it.
 */
export function addCustomAt(d: Pick<CustomDef, 'name' | 'label' | 'description' | 'config' | 'code' | 'preservesRows'>, at: { x: number; y: number }): string {
  const store = useGraphStore.getState();
  let id = '';
  store.apply((g) => {
    id = freshId(d.name, new Set(g.nodes.map((n) => n.id)));
    const node = { id, kind: CUSTOM_KIND, params: customNodeParams(d as CustomDef), label: d.label, position: freeSpot(g, { x: Math.round(at.x), y: Math.round(at.y) }) };
    return { ...g, nodes: [...g.nodes, node] };
  });
  store.setSelection([id]);
  return id;
}

/**
 * The palette's "Custom" group: this project's custom node kinds (defined in the notebook with
 * `kiln.defineNode`). Adding one puts a `custom` node on the canvas that carries the kind's code,
 * so the graph runs without the database.
 */
export function CustomKinds({ query, centre }: { query: string; centre: () => { x: number; y: number } }) {
  const projectName = useGraphStore((s) => s.projectName);
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const list = useQuery({
    queryKey: customNodesQueryKey(projectName),
    queryFn: () => trpc.customNodes.list.query({ projectName: projectName! }),
    enabled: !!projectName,
    // The notebook defines kinds in another view: pick them up when the canvas comes back.
    refetchOnMount: 'always',
    refetchOnWindowFocus: true,
    refetchInterval: 15_000,
  });

  const add = (d: CustomDef) => {
    const c = centre();
    addCustomAt(d, { x: c.x - 85, y: c.y - 40 });
  };
  const remove = async (d: CustomDef) => {
    if (!projectName || !window.confirm(`Remove the custom node kind "${d.label}" from this project? Nodes already on a canvas keep their code.`)) return;
    try {
      await trpc.customNodes.remove.mutate({ projectName, name: d.name });
      setError(null);
      await qc.invalidateQueries({ queryKey: customNodesQueryKey(projectName) });
    } catch (e) {
      setError(`could not remove "${d.name}": ${errorMessage(e)}`);
    }
  };

  const onKey = (e: KeyboardEvent, d: CustomDef) => {
    if (e.target !== e.currentTarget) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      add(d);
    }
  };

  const defs = (list.data ?? []).filter((d) => matches(d, query));
  // While searching, an empty group would only add noise.
  if (query && defs.length === 0) return null;

  return (
    <section data-testid="palette-custom">
      <h3>Custom</h3>
      {list.isError ? <p className="error small">Custom nodes: {errorMessage(list.error)}</p> : null}
      {error ? <p className="error small">{error}</p> : null}
      {list.isSuccess && defs.length === 0 ? (
        <p className="muted small" data-testid="palette-custom-empty">
          None yet. In the notebook, <code>kiln.defineNode(&#123; name, label, code &#125;)</code> adds one here.
        </p>
      ) : null}
      <ul>
        {defs.map((d) => (
          <li
            key={d.name}
            role="button"
            tabIndex={0}
            className="kc-palette-item"
            style={{ cursor: 'pointer' }}
            data-testid={`palette-custom-${d.name}`}
            title={`${d.description ? `${d.description}\n\n` : ''}Custom node "${d.name}" (runs this project's own code). Drag onto the canvas, or click / Enter to add.`}
            draggable
            onDragStart={(e) => {
              e.dataTransfer.setData(CUSTOM_MIME, JSON.stringify(d));
              e.dataTransfer.effectAllowed = 'move';
            }}
            onClick={() => add(d)}
            onKeyDown={(e) => onKey(e, d)}
          >
            <span className="kc-palette-label">{d.label}</span>
            <span style={{ display: 'flex', alignItems: 'center', gap: 4 }}>
              <span className="kc-palette-ports" aria-hidden>
                <i style={{ background: PORT_COLORS.table }} />
              </span>
              <button
                type="button"
                aria-label={`Remove custom node kind ${d.label}`}
                data-testid={`palette-custom-remove-${d.name}`}
                title="Remove this kind from the project"
                style={{ border: 'none', background: 'none', padding: '0 2px', cursor: 'pointer', color: 'var(--muted)', lineHeight: 1 }}
                onClick={(e) => {
                  e.stopPropagation();
                  void remove(d);
                }}
              >
                ×
              </button>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
