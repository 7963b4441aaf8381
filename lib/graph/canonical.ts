import { sha256Hex } from '../data/hash';
import type { Graph } from './schema';

/**
 * Canonical JSON: object keys sorted, no whitespace, `undefined` dropped, non-finite numbers
 * rejected (JSON cannot carry them, so two platforms could not agree on them).
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`cannot canonicalise non-finite number ${value}`);
      return JSON.stringify(value);
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
      const keys = Object.keys(value as object)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
    }
    default:
      throw new Error(`cannot canonicalise ${typeof value}`);
  }
}

/** The execution-relevant part of a graph: layout (positions, labels) and node/edge order removed. */
export function executionGraph(g: Graph): unknown {
  return {
    version: g.version,
    seed: g.seed,
    nodes: [...g.nodes]
      .map((n) => ({ id: n.id, kind: n.kind, params: n.params }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    edges: g.edges
      .map((e) => ({ source: e.source, sourcePort: e.sourcePort, target: e.target, targetPort: e.targetPort }))
      .sort((a, b) => {
        const ka = canonicalJson(a);
        const kb = canonicalJson(b);
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      }),
  };
}

/** SHA-256 of the canonical execution graph: the graph's version identity. Moving a node does not change it. */
export function graphHash(g: Graph): string {
  return sha256Hex(canonicalJson(executionGraph(g)));
}
