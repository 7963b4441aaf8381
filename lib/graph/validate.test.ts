import { describe, expect, it } from 'vitest';
import '../nodes/catalog';
import { graphHash, canonicalJson } from './canonical';
import { migrateGraph } from './migrate';
import { validateGraph } from './validate';
import { dataChain, trainEdges } from './wiring';

const base = () => ({
  version: 1,
  nodes: [
    { id: 'data', kind: 'dataset', params: { name: 'cars', target: 'Miles_per_Gallon' }, position: { x: 0, y: 0 } },
    { id: 'split', kind: 'split', params: {} },
    { id: 'model', kind: 'linear_regression', params: {} },
    { id: 'train', kind: 'train', params: { epochs: 5 } },
    { id: 'eval', kind: 'evaluate', params: { gates: ['r2 >= 0.5'] } },
  ],
  edges: [...dataChain(['data', 'split']), ...trainEdges({ data: 'split', model: 'model', train: 'train', evaluate: 'eval' })],
});

const codes = (g: unknown) => validateGraph(g).diagnostics.map((d) => d.code);

describe('validateGraph', () => {
  it('accepts a valid graph and applies defaults', () => {
    const v = validateGraph(base());
    expect(v.diagnostics).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.graph!.seed).toBe(42);
    expect((v.params.train as { learningRate: number }).learningRate).toBeGreaterThan(0);
  });

  it('never throws, whatever the input', () => {
    for (const bad of [null, undefined, 42, 'x', [], { version: 1 }, { version: 1, nodes: 'x' }, { version: 1, nodes: [null] }, { version: 1, nodes: [{ id: 'a' }] }]) {
      const v = validateGraph(bad);
      expect(v.ok).toBe(false);
      expect(v.diagnostics.length).toBeGreaterThan(0);
    }
  });

  it('names the node of an unknown kind', () => {
    const g = base();
    g.nodes[2]!.kind = 'linear_regresion';
    const d = validateGraph(g).diagnostics.find((x) => x.code === 'UNKNOWN_KIND')!;
    expect(d.nodeId).toBe('model');
    expect(d.path).toBe('nodes[2].kind');
    expect(d.message).toContain('linear_regresion');
  });

  it('names node and param of a bad param (negative learning rate)', () => {
    const g = base();
    (g.nodes[3]!.params as Record<string, unknown>) = { learningRate: -0.1 };
    const d = validateGraph(g).diagnostics.find((x) => x.code === 'BAD_PARAM')!;
    expect(d.nodeId).toBe('train');
    expect(d.param).toBe('learningRate');
    expect(d.message).toMatch(/node "train".*param "learningRate"/);
  });

  it('reports a missing required input', () => {
    const g = base();
    g.edges = g.edges.filter((e) => e.target !== 'train' || e.targetPort !== 'model');
    const d = validateGraph(g).diagnostics.find((x) => x.code === 'MISSING_INPUT')!;
    expect(d).toMatchObject({ nodeId: 'train', port: 'model' });
  });

  it('reports a port type mismatch naming both ends', () => {
    const g = base();
    g.edges.push({ source: 'model', sourcePort: 'model', target: 'eval', targetPort: 'model' });
    const d = validateGraph(g).diagnostics.find((x) => x.code === 'PORT_TYPE_MISMATCH')!;
    expect(d.message).toContain('model.model');
    expect(d.message).toContain('eval.model');
    expect(d.edge).toBe(4);
  });

  it('reports unknown ports, dangling edges, duplicate ids and multiple edges into one port', () => {
    const g = base();
    g.edges.push({ source: 'data', sourcePort: 'nope', target: 'split', targetPort: 'data' });
    g.edges.push({ source: 'ghost', sourcePort: 'data', target: 'split', targetPort: 'data' });
    g.edges.push({ source: 'data', sourcePort: 'data', target: 'split', targetPort: 'data' });
    g.nodes.push({ id: 'model', kind: 'mlp', params: {} });
    const c = codes(g);
    expect(c).toContain('UNKNOWN_PORT');
    expect(c).toContain('DANGLING_EDGE');
    expect(c).toContain('DUPLICATE_ID');
    expect(c).toContain('PORT_MULTIPLE');
  });

  it('reports a cycle on the nodes in it', () => {
    const g = base();
    g.nodes.push({ id: 'scale', kind: 'standard_scale', params: {} });
    g.edges = g.edges.filter((e) => e.target !== 'split');
    g.edges.push({ source: 'split', sourcePort: 'data', target: 'scale', targetPort: 'data' });
    g.edges.push({ source: 'scale', sourcePort: 'data', target: 'split', targetPort: 'data' });
    const ds = validateGraph(g).diagnostics.filter((x) => x.code === 'GRAPH_CYCLE');
    expect(ds.map((d) => d.nodeId)).toEqual(expect.arrayContaining(['split', 'scale']));
  });

  it('names the cycle itself, and marks the nodes downstream of it apart', () => {
    const g = base();
    g.nodes.push(
      { id: 'impute_numeric', kind: 'impute', params: {} },
      { id: 'encode', kind: 'one_hot', params: {} },
      { id: 'scale', kind: 'standard_scale', params: {} },
    );
    g.edges = g.edges.filter((e) => e.target !== 'train' || e.targetPort !== 'data');
    g.edges.push(
      { source: 'impute_numeric', sourcePort: 'data', target: 'encode', targetPort: 'data' },
      { source: 'encode', sourcePort: 'data', target: 'scale', targetPort: 'data' },
      { source: 'scale', sourcePort: 'data', target: 'impute_numeric', targetPort: 'data' },
      { source: 'scale', sourcePort: 'data', target: 'train', targetPort: 'data' },
    );
    const v = validateGraph(g);
    const cycle = v.diagnostics.filter((d) => d.code === 'GRAPH_CYCLE');
    expect(cycle.map((d) => [d.nodeId, d.severity])).toEqual([
      ['impute_numeric', 'error'],
      ['encode', 'error'],
      ['scale', 'error'],
    ]);
    expect(cycle[0]!.message).toBe('node "impute_numeric" is on a cycle (impute_numeric → encode → scale → impute_numeric)');
    expect(cycle[2]!.message).toBe('node "scale" is on a cycle (scale → impute_numeric → encode → scale)');
    const blocked = v.diagnostics.filter((d) => d.code === 'BLOCKED_BY_CYCLE');
    expect(blocked.map((d) => d.nodeId).sort()).toEqual(['eval', 'train']);
    expect(blocked.every((d) => d.severity === 'warning' && d.message.includes('downstream of the cycle impute_numeric → encode → scale → impute_numeric'))).toBe(true);
    // train and evaluate are not on the cycle, so no message names them as part of it.
    expect(cycle.some((d) => /train|eval/.test(d.message))).toBe(false);
    expect(v.ok).toBe(false);
  });

  it('reports a node wired to itself as a cycle of one', () => {
    const g = base();
    g.nodes.push({ id: 'scale', kind: 'standard_scale', params: {} });
    g.edges.push({ source: 'scale', sourcePort: 'data', target: 'scale', targetPort: 'data' });
    const cycle = validateGraph(g).diagnostics.filter((d) => d.code === 'GRAPH_CYCLE');
    expect(cycle.map((d) => d.message)).toEqual(['node "scale" is on a cycle (scale → scale)']);
  });

  it('enforces the size limit before per-node work', () => {
    const nodes = Array.from({ length: 2001 }, (_, i) => ({ id: `n${i}`, kind: 'mlp', params: {} }));
    expect(codes({ version: 1, nodes, edges: [] })).toEqual(['GRAPH_TOO_LARGE']);
  });

  it('rejects a graph from a newer version and migrates via the hook', () => {
    expect(codes({ ...base(), version: 99 })).toEqual(['GRAPH_VERSION']);
    const r = migrateGraph({ version: 1, nodes: [] }, [{ from: 1, up: (d) => ({ ...d, nodes: ['upgraded'] }) }], 2);
    expect(r).toMatchObject({ ok: true, migratedFrom: 1, doc: { version: 2, nodes: ['upgraded'] } });
  });
});

describe('graphHash', () => {
  it('ignores layout and order but not params', () => {
    const a = validateGraph(base()).graph!;
    const moved = base();
    moved.nodes[0]!.position = { x: 500, y: 900 };
    moved.nodes.reverse();
    moved.edges.reverse();
    expect(graphHash(validateGraph(moved).graph!)).toBe(graphHash(a));
    const changed = base();
    (changed.nodes[3]!.params as Record<string, unknown>) = { epochs: 6 };
    expect(graphHash(validateGraph(changed).graph!)).not.toBe(graphHash(a));
    expect(graphHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('canonical JSON sorts keys and rejects non-finite numbers', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 'x', c: null }] })).toBe('{"a":[2,{"c":null,"d":"x"}],"b":1}');
    expect(() => canonicalJson({ a: NaN })).toThrow();
  });
});
