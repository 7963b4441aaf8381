import { describe, expect, it } from 'vitest';
import { canonicalJson, graphHash } from './canonical';
import { graphSchema, type Graph } from './schema';

/**
 * A known graph, written out here (not read from a fixture that may legitimately change), so the
 * only thing that can move its hash is the canonicalisation itself.
 */
const KNOWN: Graph = graphSchema.parse({
  version: 1,
  name: 'pinned',
  seed: 7,
  nodes: [
    { id: 'train', kind: 'train', params: { epochs: 5, learningRate: 0.01 }, position: { x: 300, y: 0 } },
    { id: 'data', kind: 'dataset', params: { source: 'builtin', name: 'cars', target: 'Miles_per_Gallon' }, position: { x: 0, y: 0 } },
    { id: 'model', kind: 'linear_regression', params: {}, label: 'Linear' },
  ],
  edges: [
    { source: 'model', sourcePort: 'model', target: 'train', targetPort: 'model' },
    { source: 'data', sourcePort: 'data', target: 'train', targetPort: 'data' },
  ],
});

/**
 * Stored graph versions, run records and cache keys are keyed by this hash. If this test fails,
 * a change altered canonical JSON or the execution graph: every stored graph would be re-keyed.
 * Do not update the literal; make the change hash-preserving, or add a migration that says so.
 */
const KNOWN_HASH = '64c18bdfafd35a4ed2a7bba36714fe631547b7b274261d45004fb58238bda43f';

describe('graphHash', () => {
  it('is pinned for a known graph', () => {
    expect(graphHash(KNOWN)).toBe(KNOWN_HASH);
  });

  it('ignores layout and the order of nodes, edges and keys', () => {
    const moved: Graph = {
      ...KNOWN,
      nodes: [...KNOWN.nodes].reverse().map((n) => ({ params: n.params, kind: n.kind, id: n.id, position: { x: 1, y: 2 } })),
      edges: [...KNOWN.edges].reverse(),
    };
    expect(graphHash(moved)).toBe(KNOWN_HASH);
  });

  it('changes when a param changes', () => {
    const changed: Graph = { ...KNOWN, nodes: KNOWN.nodes.map((n) => (n.id === 'train' ? { ...n, params: { ...n.params, epochs: 6 } } : n)) };
    expect(graphHash(changed)).not.toBe(KNOWN_HASH);
  });
});

describe('canonicalJson', () => {
  it('sorts keys, drops undefined properties, writes undefined array items as null', () => {
    expect(canonicalJson({ b: [1, 'x', null, undefined], a: { d: 1.5, c: true }, e: undefined })).toBe('{"a":{"c":true,"d":1.5},"b":[1,"x",null,null]}');
  });
  it('rejects non-finite numbers', () => {
    expect(() => canonicalJson({ a: NaN })).toThrow(/non-finite/);
    expect(() => canonicalJson([Infinity])).toThrow(/non-finite/);
  });
});
