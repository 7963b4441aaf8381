import { describe, expect, it } from 'vitest';
import '../../lib/nodes/catalog';
import type { Graph } from '../../lib/graph/schema';
import { validateGraph } from '../../lib/graph/validate';
import { FlowNodeCache, problemsByNode } from './flow-elements';

const graph = (evalIds: string[]): Graph => ({
  version: 1,
  seed: 42,
  nodes: [
    { id: 'data', kind: 'dataset', params: { name: 'cars', target: 'Miles_per_Gallon' } },
    { id: 'model', kind: 'linear_regression', params: {} },
    { id: 'train', kind: 'train', params: {} },
    ...evalIds.map((id) => ({ id, kind: 'evaluate', params: {} })),
  ],
  edges: [
    { source: 'data', sourcePort: 'data', target: 'train', targetPort: 'data' },
    { source: 'model', sourcePort: 'model', target: 'train', targetPort: 'model' },
    ...evalIds.map((id) => ({ source: 'train', sourcePort: 'trained', target: id, targetPort: 'model' })),
  ],
});

const build = (g: Graph) => new FlowNodeCache().build(g, validateGraph(g).diagnostics, {}, new Set(), []);

describe('canvas nodes and the verdict', () => {
  it('marks the deciding evaluation node when there are several, and only then', () => {
    const nodes = build(graph(['eval_z', 'eval_b']));
    expect(nodes.filter((n) => n.data.verdict).map((n) => [n.id, n.data.verdict])).toEqual([['eval_b', 2]]);
    expect(build(graph(['eval_z'])).some((n) => n.data.verdict)).toBe(false);
  });

  it('the "which one decides" warning is not painted as a problem on the node', () => {
    const g = graph(['eval_z', 'eval_b']);
    const d = validateGraph(g).diagnostics;
    expect(d.map((x) => x.code)).toEqual(['SEVERAL_EVALUATIONS']);
    expect(problemsByNode(d).size).toBe(0);
  });
});
