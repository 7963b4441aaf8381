import { describe, expect, it } from 'vitest';
import type { Graph, GraphNode } from '../../lib/graph/schema';
import { testDataFingerprint } from './gates';

const edge = (source: string, target: string, sourcePort = 'data', targetPort = 'data') => ({ source, sourcePort, target, targetPort });

/** data → split → [between…] → train ← model; train → evaluate */
function graph(between: GraphNode[] = []): Graph {
  const chain = ['split', ...between.map((n) => n.id), 'train'];
  return {
    version: 1,
    seed: 42,
    nodes: [
      { id: 'data', kind: 'dataset', params: { source: 'input', name: 'cars', target: 'y' } },
      { id: 'split', kind: 'split', params: { seed: 3 } },
      ...between,
      { id: 'model', kind: 'linear_regression', params: {} },
      { id: 'train', kind: 'train', params: { epochs: 5 } },
      { id: 'evaluate', kind: 'evaluate', params: {} },
    ],
    edges: [
      edge('data', 'split'),
      ...chain.slice(1).map((t, i) => edge(chain[i]!, t)),
      edge('model', 'train', 'model', 'model'),
      edge('train', 'evaluate', 'trained', 'model'),
    ],
  };
}

const datasets = { cars: 'ds-1' };
const custom = (extra: Record<string, unknown> = {}): GraphNode => ({ id: 'clean', kind: 'custom', params: { name: 'clean', label: 'Clean', code: '(rows) => rows', ...extra } });

describe('testDataFingerprint asks the kinds which nodes decide the test rows', () => {
  it('row-preserving kinds are transparent, whatever their params', () => {
    const base = testDataFingerprint(graph(), datasets);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(testDataFingerprint(graph([{ id: 'scale', kind: 'standard_scale', params: { withMean: false } }]), datasets)).toBe(base);
  });

  it('a custom node counts in full unless its definition declares that it keeps every row', () => {
    const base = testDataFingerprint(graph(), datasets);
    expect(testDataFingerprint(graph([custom()]), datasets)).not.toBe(base);
    expect(testDataFingerprint(graph([custom({ preservesRows: true })]), datasets)).toBe(base);
  });

  it('row filters, unknown kinds and other dataset versions change it', () => {
    const base = testDataFingerprint(graph(), datasets);
    expect(testDataFingerprint(graph([{ id: 'f', kind: 'filter_rows', params: { expr: 'x > 1' } }]), datasets)).not.toBe(base);
    expect(testDataFingerprint(graph([{ id: 'k', kind: 'a_kind_from_the_future', params: {} }]), datasets)).not.toBe(base);
    expect(testDataFingerprint(graph(), { cars: 'ds-2' })).not.toBe(base);
    expect(testDataFingerprint(graph(), {})).toBeNull();
  });

  it('follows the verdict (lowest evaluation id), wherever it sits in node order', () => {
    const g = graph();
    // a second evaluation, first in node order, scoring a model trained on unsplit data
    g.nodes.unshift({ id: 'z_eval', kind: 'evaluate', params: {} }, { id: 'z_train', kind: 'train', params: {} });
    g.edges.push(edge('data', 'z_train'), edge('model', 'z_train', 'model', 'model'), edge('z_train', 'z_eval', 'trained', 'model'));
    expect(testDataFingerprint(g, datasets)).toBe(testDataFingerprint(graph(), datasets));
    g.nodes.find((n) => n.id === 'z_eval')!.id = 'a_eval';
    g.edges.find((e) => e.target === 'z_eval')!.target = 'a_eval';
    expect(testDataFingerprint(g, datasets)).toBeNull(); // a_eval decides now, and it scored unsplit rows
  });
});
