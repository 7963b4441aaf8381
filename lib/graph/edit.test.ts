import { describe, expect, it } from 'vitest';
import '../nodes/catalog';
import { graphHash } from './canonical';
import { addNode, checkConnection, connect, copyNodes, edgeId, freshId, moveNodes, parseClip, pasteNodes, removeEdges, removeNodes, renameLabel, setParam, setParams } from './edit';
import type { Graph } from './schema';

const g0 = (): Graph => ({
  version: 1,
  seed: 42,
  nodes: [
    { id: 'data', kind: 'dataset', params: { name: 'cars' }, position: { x: 0, y: 0 } },
    { id: 'split', kind: 'split', params: {}, position: { x: 200, y: 0 } },
    { id: 'mlp', kind: 'mlp', params: {}, position: { x: 200, y: 200 } },
    { id: 'train', kind: 'train', params: {}, position: { x: 400, y: 0 } },
    { id: 'ens', kind: 'ensemble', params: {} },
  ],
  edges: [{ source: 'data', sourcePort: 'data', target: 'split', targetPort: 'data' }],
});

describe('checkConnection', () => {
  it('accepts a well-typed edge', () => {
    expect(checkConnection(g0(), { source: 'mlp', sourcePort: 'model', target: 'train', targetPort: 'model' })).toEqual({ ok: true });
  });
  it('refuses a type mismatch naming both ports', () => {
    const r = checkConnection(g0(), { source: 'split', sourcePort: 'data', target: 'train', targetPort: 'model' });
    expect(r).toEqual({ ok: false, reason: 'train.model expects model, split.data gives table' });
  });
  it('refuses a self loop, unknown ports and nodes', () => {
    expect(checkConnection(g0(), { source: 'split', sourcePort: 'data', target: 'split', targetPort: 'data' }).ok).toBe(false);
    const r = checkConnection(g0(), { source: 'mlp', sourcePort: 'out', target: 'train', targetPort: 'model' });
    expect(r.ok || r.reason).toMatch(/mlp \(mlp\) has no output "out"/);
    expect(checkConnection(g0(), { source: 'nope', sourcePort: 'x', target: 'train', targetPort: 'model' }).ok).toBe(false);
  });
  it('refuses a second edge into a single input but not into a multiple one', () => {
    const g = g0();
    const r = checkConnection(g, { source: 'data', sourcePort: 'data', target: 'split', targetPort: 'data' });
    expect(r.ok).toBe(false);
    g.nodes.push({ id: 'data2', kind: 'dataset', params: {} });
    const r2 = checkConnection(g, { source: 'data2', sourcePort: 'data', target: 'split', targetPort: 'data' });
    expect(r2.ok || r2.reason).toMatch(/split.data takes one input and already has data.data/);
    const g2 = { ...g0(), nodes: [...g0().nodes, { id: 't2', kind: 'train', params: {} }] };
    const a = connect(g2, { source: 'train', sourcePort: 'trained', target: 'ens', targetPort: 'models' });
    expect(checkConnection(a, { source: 't2', sourcePort: 'trained', target: 'ens', targetPort: 'models' })).toEqual({ ok: true });
  });
  it('refuses a cycle', () => {
    const g: Graph = {
      version: 1,
      seed: 42,
      nodes: [
        { id: 'a', kind: 'impute', params: {} },
        { id: 'b', kind: 'impute', params: {} },
        { id: 'c', kind: 'impute', params: {} },
      ],
      edges: [
        { source: 'a', sourcePort: 'data', target: 'b', targetPort: 'data' },
        { source: 'b', sourcePort: 'data', target: 'c', targetPort: 'data' },
      ],
    };
    const r = checkConnection(g, { source: 'c', sourcePort: 'data', target: 'a', targetPort: 'data' });
    expect(r.ok || r.reason).toMatch(/cycle/);
    expect(connect(g, { source: 'c', sourcePort: 'data', target: 'a', targetPort: 'data' })).toBe(g);
  });
});

describe('edit ops', () => {
  it('addNode gives fresh ids derived from the kind', () => {
    const a = addNode(g0(), 'mlp', { position: { x: 1, y: 2 } });
    expect(a.id).toBe('mlp_2');
    const b = addNode(a.graph, 'mlp');
    expect(b.id).toBe('mlp_3');
    expect(b.graph.nodes.find((n) => n.id === 'mlp_2')!.position).toEqual({ x: 1, y: 2 });
    expect(freshId('x_9', new Set(['x_9']))).toBe('x_10');
  });
  it('removeNodes drops their edges; unknown ids are a no-op', () => {
    const g = g0();
    const r = removeNodes(g, ['split']);
    expect(r.nodes.map((n) => n.id)).not.toContain('split');
    expect(r.edges).toEqual([]);
    expect(removeNodes(g, ['zzz'])).toBe(g);
  });
  it('connect and removeEdges round-trip', () => {
    const g = g0();
    const e = { source: 'mlp', sourcePort: 'model', target: 'train', targetPort: 'model' };
    const c = connect(g, e);
    expect(c.edges).toHaveLength(2);
    expect(removeEdges(c, [edgeId(e)]).edges).toEqual(g.edges);
    expect(removeEdges(g, ['nope'])).toBe(g);
  });
  it('setParam / setParams change the hash; moveNodes and renameLabel do not', () => {
    const g = g0();
    const h = graphHash(g);
    const p = setParam(g, 'train', 'epochs', 5);
    expect(p.nodes.find((n) => n.id === 'train')!.params).toEqual({ epochs: 5 });
    expect(graphHash(p)).not.toBe(h);
    expect(setParam(p, 'train', 'epochs', 5)).toBe(p);
    expect(setParam(p, 'train', 'epochs', undefined).nodes.find((n) => n.id === 'train')!.params).toEqual({});
    expect(setParams(g, 'mlp', { l2: 1 }).nodes.find((n) => n.id === 'mlp')!.params).toEqual({ l2: 1 });
    const m = moveNodes(g, { data: { x: 10, y: 20 } });
    expect(m.nodes[0]!.position).toEqual({ x: 10, y: 20 });
    expect(graphHash(m)).toBe(h);
    expect(moveNodes(m, { data: { x: 10, y: 20 } })).toBe(m);
    const l = renameLabel(g, 'data', '  Cars  ');
    expect(l.nodes[0]!.label).toBe('Cars');
    expect(graphHash(l)).toBe(h);
    expect('label' in renameLabel(l, 'data', '').nodes[0]!).toBe(false);
  });
  it('copy/paste keeps internal edges under new ids, offset', () => {
    const g = g0();
    const clip = copyNodes(g, ['data', 'split', 'mlp']);
    expect(clip.edges).toHaveLength(1);
    const back = parseClip(JSON.stringify(clip));
    expect(back).not.toBeNull();
    const p = pasteNodes(g, back!, { x: 10, y: 10 });
    expect(p.ids).toEqual(['data_2', 'split_2', 'mlp_2']);
    expect(p.graph.edges).toContainEqual({ source: 'data_2', sourcePort: 'data', target: 'split_2', targetPort: 'data' });
    expect(p.graph.nodes.find((n) => n.id === 'split_2')!.position).toEqual({ x: 210, y: 10 });
    expect(parseClip('{"kiln":"nodes","nodes":[{"id":1}],"edges":[]}')).toBeNull();
    expect(parseClip('not json')).toBeNull();
  });
});
