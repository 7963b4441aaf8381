import { describe, expect, it } from 'vitest';
import type { Graph } from '../../../lib/graph/schema';
import '../../../lib/nodes/catalog';
import { applyGraphOp, parseEndpoint, type GraphOp } from './graph-ops';
import { GraphMirror } from './kiln-api';

const EMPTY: Graph = { version: 1, seed: 42, nodes: [], edges: [] };

describe('graph ops', () => {
  it('adds, upserts, connects idempotently and validates', () => {
    let g = applyGraphOp(EMPTY, { op: 'addNode', id: 'cars', kind: 'dataset', params: { name: 'cars' } });
    g = applyGraphOp(g, { op: 'addNode', id: 'cars', kind: 'dataset', params: { name: 'penguins' } });
    expect(g.nodes).toHaveLength(1);
    expect(g.nodes[0]!.params).toEqual({ name: 'penguins' });
    g = applyGraphOp(g, { op: 'addNode', id: 'sel', kind: 'select_columns', params: { columns: ['a'] } });
    const edge = { source: 'cars', sourcePort: 'data', target: 'sel', targetPort: 'data' };
    g = applyGraphOp(g, { op: 'connect', edge });
    expect(applyGraphOp(g, { op: 'connect', edge })).toBe(g);
    expect(() => applyGraphOp(g, { op: 'addNode', id: 'x', kind: 'nope', params: {} })).toThrow(/unknown node kind "nope"/);
    expect(() => applyGraphOp(g, { op: 'setParam', id: 'ghost', name: 'a', value: 1 })).toThrow(/node "ghost" does not exist/);
    expect(() => applyGraphOp(g, { op: 'setParam', id: 'cars', name: 'source', value: 'ftp' })).toThrow(/node "cars" \(dataset\) param "source"/);
    expect(() => parseEndpoint('cars', 'from')).toThrow(/"node.port"/);
  });

  it('mirror replays its unacknowledged ops on the store graph it receives', () => {
    const sent: GraphOp[] = [];
    const m = new GraphMirror(EMPTY, (_s, op) => sent.push(op));
    m.apply({ op: 'addNode', id: 'a', kind: 'dataset', params: { name: 'cars' } });
    m.apply({ op: 'addNode', id: 'b', kind: 'dataset', params: { name: 'penguins' } });
    // The store acknowledges op 1 only, and a canvas edit added node "z" meanwhile.
    const store = applyGraphOp(applyGraphOp(EMPTY, sent[0]!), { op: 'addNode', id: 'z', kind: 'dataset', params: { name: 'co2' } });
    m.receive(store, 1);
    expect(m.current.nodes.map((n) => n.id).sort()).toEqual(['a', 'b', 'z']);
    m.receive(applyGraphOp(store, sent[1]!), 2);
    expect(m.current.nodes.map((n) => n.id).sort()).toEqual(['a', 'b', 'z']);
  });
});
