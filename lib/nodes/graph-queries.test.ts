import { describe, expect, it } from 'vitest';
import './catalog';
import type { Graph } from '../graph/schema';
import { validateGraph } from '../graph/validate';
import { columnsReadBySteps, stepCardinality, typicalValuesFromSteps } from './fitted';
import { evaluationNodes, graphBuiltinDatasets, graphDatasets, graphInputDatasets, preservesRows, verdictNode } from './graph-queries';
import { listNodeKinds } from './registry';

const node = (id: string, kind: string, params: Record<string, unknown> = {}) => ({ id, kind, params });

describe('what kinds declare', () => {
  it('every kind has an example value its own params schema accepts', () => {
    for (const k of listNodeKinds()) {
      expect(k.example, `${k.kind} declares no example`).toBeDefined();
      const r = k.params.safeParse(k.example);
      expect(r.success, `${k.kind}: ${r.success ? '' : r.error.message}`).toBe(true);
    }
  });

  it('every kind that replays a fitted step declares its state', () => {
    for (const k of listNodeKinds()) if (k.apply) expect(k.fitted, k.kind).toBeDefined();
  });

  it('row preservation is declared by the kind (the kinds the registry gates used to list by name)', () => {
    const keep = listNodeKinds().filter((k) => preservesRows(node('n', k.kind, k.example as Record<string, unknown>))).map((k) => k.kind).sort();
    expect(keep).toEqual(
      ['binning', 'convnet', 'drop_columns', 'embedding_mlp', 'ensemble', 'evaluate', 'impute', 'lasso', 'linear_regression', 'logistic_regression', 'minmax_scale', 'mlp', 'one_hot', 'ordinal_encode', 'pca', 'polynomial_features', 'ridge', 'custom', 'select_columns', 'standard_scale', 'train'].sort(),
    );
    // custom: its definition decides
    expect(preservesRows(node('c', 'custom', { name: 'f', label: 'F', code: '(r) => r' }))).toBe(false);
    expect(preservesRows(node('c', 'custom', { name: 'f', label: 'F', code: '(r) => r', preservesRows: true }))).toBe(true);
    for (const k of ['dataset', 'filter_rows', 'split', 'no_such_kind']) expect(preservesRows(node('n', k, { expr: 'a > 1' }))).toBe(false);
  });

  it('the datasets a graph reads come from the kinds that read them, params parsed (defaults applied)', () => {
    const g = {
      nodes: [
        node('a', 'dataset', { source: 'input', name: 'sales', schema: [{ name: 'x', type: 'numeric' }] }),
        node('b', 'dataset', { name: 'cars' }), // source defaults to builtin
        node('c', 'dataset', { source: 'input', name: 'sales' }),
        node('d', 'filter_rows', { expr: 'x > 1' }),
        node('e', 'dataset', { source: 'input' }), // invalid params: reads nothing
      ],
    };
    expect(graphDatasets(g).map((d) => [d.nodeId, d.ref.source, d.ref.name])).toEqual([
      ['a', 'input', 'sales'],
      ['b', 'builtin', 'cars'],
      ['c', 'input', 'sales'],
    ]);
    expect(graphDatasets(g)[0]!.ref.schema).toEqual([{ name: 'x', type: 'numeric', nullable: true }]);
    expect([...graphInputDatasets(g)]).toEqual([['sales', 'a']]);
    expect(graphBuiltinDatasets(g)).toEqual(['cars']);
  });
});

describe('the verdict', () => {
  const twoEvals = (): Graph => ({
    version: 1,
    seed: 42,
    nodes: [
      node('data', 'dataset', { name: 'cars', target: 'Miles_per_Gallon' }),
      node('model', 'linear_regression'),
      node('train', 'train', { epochs: 2 }),
      // first in node order, but not the lowest id
      node('eval_z', 'evaluate', { gates: ['r2 >= 0.5'] }),
      node('eval_a', 'evaluate', { gates: ['rmse <= 5'] }),
    ],
    edges: [
      { source: 'data', sourcePort: 'data', target: 'train', targetPort: 'data' },
      { source: 'model', sourcePort: 'model', target: 'train', targetPort: 'model' },
      { source: 'train', sourcePort: 'trained', target: 'eval_z', targetPort: 'model' },
      { source: 'train', sourcePort: 'trained', target: 'eval_a', targetPort: 'model' },
    ],
  });

  it('is the evaluation node with the lowest id, whatever the node order', () => {
    const g = twoEvals();
    expect(verdictNode(g)?.id).toBe('eval_a');
    expect(verdictNode({ nodes: [...g.nodes].reverse() })?.id).toBe('eval_a');
    expect(evaluationNodes(g).map((n) => n.id)).toEqual(['eval_a', 'eval_z']);
    expect(verdictNode({ nodes: g.nodes.filter((n) => n.kind !== 'evaluate') })).toBeUndefined();
  });

  it('validation warns about several evaluation nodes and names the one that decides', () => {
    const v = validateGraph(twoEvals());
    expect(v.ok).toBe(true);
    expect(v.diagnostics).toHaveLength(1);
    expect(v.diagnostics[0]).toMatchObject({ code: 'SEVERAL_EVALUATIONS', severity: 'warning', nodeId: 'eval_a', path: 'nodes[4]' });
    expect(v.diagnostics[0]!.message).toContain('"eval_a" decides');
  });
});

describe('fitted steps are read through their kinds', () => {
  it('columns read: the kind says, whatever fields the state has', () => {
    const imputed = { kind: 'impute', nodeId: 'i', state: { strategy: 'mean', fills: [], reads: ['a', 'b'] } };
    expect(columnsReadBySteps([imputed])).toEqual(new Set(['a', 'b']));
    // select_columns' state lists kept columns, which serving need not send
    expect(columnsReadBySteps([imputed, { kind: 'select_columns', nodeId: 's', state: { keep: ['a'], reads: [] } }])).toEqual(new Set(['a', 'b']));
    // a state that looks right but whose kind is unknown, or custom code: every column may be needed
    expect(columnsReadBySteps([{ kind: 'someone_elses', nodeId: 'x', state: { reads: ['a'] } }])).toBeNull();
    expect(columnsReadBySteps([{ kind: 'custom', nodeId: 'c', state: { nodeId: 'c', name: 'f', label: 'F' } }])).toBeNull();
  });

  it('cardinality comes from kinds that declare it, not from any state with a `cardinality` field', () => {
    expect(
      stepCardinality([
        { kind: 'ordinal_encode', nodeId: 'o', state: { columns: [], cardinality: { Origin: 4 }, reads: ['Origin'] } },
        { kind: 'standard_scale', nodeId: 's', state: { columns: [], reads: [], cardinality: { bogus: 9 } } },
      ]),
    ).toEqual({ Origin: 4 });
  });

  it('typical values (sample requests) come from the kinds that learned them; the first step per column wins', () => {
    const v = typicalValuesFromSteps([
      { kind: 'impute', nodeId: 'i', state: { strategy: 'mean', fills: [{ column: 'hp', value: 104.5 }], reads: ['hp'] } },
      { kind: 'standard_scale', nodeId: 's', state: { columns: [{ column: 'hp', mean: 1, scale: 2 }, { column: 'w', mean: 2970, scale: 840 }], reads: ['hp', 'w'] } },
      { kind: 'one_hot', nodeId: 'o', state: { columns: [{ column: 'origin', numeric: false, categories: ['Europe', 'Japan'] }], handleUnknown: 'ignore', dropOriginal: true, reads: ['origin'] } },
      { kind: 'minmax_scale', nodeId: 'm', state: { columns: [{ column: 'acc', dataMin: 8, dataMax: 24 }], min: 0, max: 1, clip: false, reads: ['acc'] } },
      // shaped like an imputation, but not one: ignored
      { kind: 'someone_elses', nodeId: 'x', state: { fills: [{ column: 'z', value: 1 }] } },
      // an impute state that lost its shape: skipped, not guessed at
      { kind: 'impute', nodeId: 'j', state: { fills: 'z=1' } },
    ]);
    expect(Object.fromEntries(v)).toEqual({ hp: 104.5, w: 2970, origin: 'Europe', acc: 16 });
  });
});
