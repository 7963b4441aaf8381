import { describe, expect, it } from 'vitest';
import '../nodes/catalog';
import { getNodeKind } from '../nodes/registry';
import { addNode, pasteNodes } from './edit';
import { graphHash } from './canonical';
import { migrateNodeParams } from './migrate';
import type { Graph } from './schema';
import { validateGraph } from './validate';

/** A graph as Kiln wrote it before minmax_scale's params had versions (version 1: `min`, `max`). */
const savedBeforeV2 = (): Graph => ({
  version: 1,
  seed: 42,
  nodes: [
    { id: 'data', kind: 'dataset', params: { name: 'cars', target: 'Miles_per_Gallon' } },
    { id: 'scale', kind: 'minmax_scale', params: { columns: ['Horsepower'], min: -1, max: 1, clip: true } },
  ],
  edges: [{ source: 'data', sourcePort: 'data', target: 'scale', targetPort: 'data' }],
});

describe('per-kind params migrations', () => {
  it('opens a graph saved with minmax_scale params version 1 (min/max → featureRange)', () => {
    const v = validateGraph(savedBeforeV2());
    expect(v.diagnostics).toEqual([]);
    const node = v.graph!.nodes.find((n) => n.id === 'scale')!;
    expect(node.paramsVersion).toBe(2);
    expect(node.params).toEqual({ columns: ['Horsepower'], featureRange: [-1, 1], clip: true });
    expect(v.params.scale).toEqual({ columns: ['Horsepower'], featureRange: [-1, 1], clip: true });
  });

  it('leaves version-1 params without min/max as they are, so such graphs keep their hash', () => {
    const g: Graph = { ...savedBeforeV2(), nodes: [savedBeforeV2().nodes[0]!, { id: 'scale', kind: 'minmax_scale', params: {} }] };
    const before = graphHash(g);
    const v = validateGraph(g);
    expect(v.ok).toBe(true);
    expect(v.graph!.nodes[1]!.params).toEqual({});
    expect(graphHash(v.graph!)).toBe(before);
  });

  it('a graph whose kinds are all at version 1 comes back as the same object (nothing stamped)', () => {
    const g: Graph = { ...savedBeforeV2(), nodes: [savedBeforeV2().nodes[0]!] , edges: [] };
    const r = migrateNodeParams(g);
    expect(r.graph).toBe(g);
    expect(r.migrated).toEqual([]);
  });

  it('params already at version 2 are not migrated again', () => {
    const g = savedBeforeV2();
    g.nodes[1] = { id: 'scale', kind: 'minmax_scale', paramsVersion: 2, params: { featureRange: [2, 5] } };
    const r = migrateNodeParams(g);
    expect(r.migrated).toEqual([]);
    expect(r.graph.nodes[1]!.params).toEqual({ featureRange: [2, 5] });
  });

  it('a node written by a newer kind version is a diagnostic naming the node, not a crash', () => {
    const g = savedBeforeV2();
    g.nodes[1] = { id: 'scale', kind: 'minmax_scale', paramsVersion: 7, params: { someday: true } };
    const v = validateGraph(g);
    expect(v.ok).toBe(false);
    expect(v.diagnostics).toHaveLength(1);
    expect(v.diagnostics[0]).toMatchObject({ code: 'PARAMS_VERSION', nodeId: 'scale', path: 'nodes[1].paramsVersion' });
    expect(v.diagnostics[0]!.message).toMatch(/node "scale" \(minmax_scale\): params are version 7, newer than .*version 2.*upgrade Kiln/);
  });

  it('a failing migration step is reported on the node', () => {
    const kind = getNodeKind('minmax_scale')!;
    const saved = kind.migrations;
    kind.migrations = [{ from: 1, up: () => { throw new Error('boom'); } }];
    try {
      const v = validateGraph(savedBeforeV2());
      expect(v.diagnostics.map((d) => [d.code, d.nodeId])).toEqual([['PARAMS_MIGRATION', 'scale']]);
      expect(v.diagnostics[0]!.message).toContain('boom');
    } finally {
      kind.migrations = saved;
    }
  });

  it('nodes added by the editor carry the current version, so a reload does not upgrade them twice', () => {
    const { graph, id } = addNode(savedBeforeV2(), 'minmax_scale', { params: { featureRange: [0, 10] } });
    expect(graph.nodes.find((n) => n.id === id)!.paramsVersion).toBe(2);
    expect(addNode(savedBeforeV2(), 'impute').graph.nodes.at(-1)).not.toHaveProperty('paramsVersion');
  });

  it('pasted nodes from an older Kiln are upgraded as they arrive', () => {
    const old = savedBeforeV2();
    const { graph, ids } = pasteNodes({ version: 1, seed: 42, nodes: [], edges: [] }, { nodes: [old.nodes[1]!], edges: [] });
    expect(graph.nodes.find((n) => n.id === ids[0])).toMatchObject({ paramsVersion: 2, params: { featureRange: [-1, 1] } });
  });
});
