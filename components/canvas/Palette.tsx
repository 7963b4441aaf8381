'use client';
import { useReactFlow } from '@xyflow/react';
import { useMemo, useState, type DragEvent, type KeyboardEvent } from 'react';
import { listNodeKinds, type AnyNodeKind } from '../../lib/nodes/registry';
import '../../lib/nodes/catalog';
import { useGraphStore } from '../studio/graph-store';
import { addNodeAt, freeSpot } from './commands';
import { CustomKinds } from './CustomKinds';
import { KIND_MIME } from './FlowCanvas';
import { CATEGORY_LABELS, CATEGORY_ORDER, PORT_COLORS } from './ports';

function matches(k: AnyNodeKind, q: string): boolean {
  if (!q) return true;
  const hay = `${k.label} ${k.kind} ${k.description}`.toLowerCase();
  return q.toLowerCase().split(/\s+/).filter(Boolean).every((w) => hay.includes(w));
}

/** Node kinds from the registry, grouped by category: drag onto the canvas, or click / Enter to add at the view centre. */
export function Palette() {
  const [q, setQ] = useState('');
  const rf = useReactFlow();
  const groups = useMemo(() => {
    // Kinds made from a definition (custom: the Custom group lists the project's own) are never added blank.
    const all = listNodeKinds().filter((k) => k.inPalette !== false && matches(k, q));
    return CATEGORY_ORDER.map((c) => ({ category: c, kinds: all.filter((k) => k.category === c) })).filter((g) => g.kinds.length);
  }, [q]);

  const viewCentre = () => {
    const el = document.querySelector('.kc-flow');
    const r = el?.getBoundingClientRect();
    return r ? rf.screenToFlowPosition({ x: r.left + r.width / 2, y: r.top + r.height / 2 }) : { x: 0, y: 0 };
  };

  const addAtCentre = (kind: string) => {
    const centre = viewCentre();
    // Below the centre's first free spot, so a new node never hides an existing one.
    addNodeAt(kind, freeSpot(useGraphStore.getState().graph, { x: centre.x - 85, y: centre.y - 40 }));
  };

  const onDragStart = (e: DragEvent, kind: string) => {
    e.dataTransfer.setData(KIND_MIME, kind);
    e.dataTransfer.effectAllowed = 'move';
  };

  const onKey = (e: KeyboardEvent, kind: string) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      addAtCentre(kind);
    }
  };

  return (
    <aside className="kc-palette" aria-label="Node palette">
      <input
        type="search"
        className="kc-search"
        placeholder="Search nodes…"
        aria-label="Search nodes"
        data-testid="palette-search"
        value={q}
        onChange={(e) => setQ(e.target.value)}
      />
      <div className="kc-palette-list">
        {groups.length === 0 ? <p className="muted small">No built-in node kind matches “{q}”.</p> : null}
        {groups.map((g) => (
          <section key={g.category}>
            <h3>{CATEGORY_LABELS[g.category]}</h3>
            <ul>
              {g.kinds.map((k) => (
                <li
                  key={k.kind}
                  role="button"
                  tabIndex={0}
                  draggable
                  className="kc-palette-item"
                  data-testid={`palette-item-${k.kind}`}
                  title={`${k.description}\n\nDrag onto the canvas, or click / Enter to add.`}
                  onDragStart={(e) => onDragStart(e, k.kind)}
                  onClick={() => addAtCentre(k.kind)}
                  onKeyDown={(e) => onKey(e, k.kind)}
                >
                  <span className="kc-palette-label">{k.label}</span>
                  <span className="kc-palette-ports" aria-hidden>
                    {k.outputs.map((p) => (
                      <i key={p.name} style={{ background: PORT_COLORS[p.type] }} />
                    ))}
                  </span>
                </li>
              ))}
            </ul>
          </section>
        ))}
        <CustomKinds query={q} centre={viewCentre} />
      </div>
    </aside>
  );
}
