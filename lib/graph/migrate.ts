import { getNodeKind } from '../nodes/registry';
import { paramsVersionField, upgradeParams } from '../nodes/params-version';
import { GRAPH_VERSION, type Graph, type GraphNode } from './schema';

/** One upgrade step: from version `from` to `from + 1`. */
export interface GraphMigration {
  from: number;
  up(doc: Record<string, unknown>): Record<string, unknown>;
}

/**
 * Upgrade steps, in order. Version 1 is the first format, so the list is empty; when version 2
 * arrives, add `{ from: 1, up }` here and bump GRAPH_VERSION. Documents are never downgraded.
 */
export const graphMigrations: GraphMigration[] = [];

export type MigrateResult =
  | { ok: true; doc: Record<string, unknown>; migratedFrom?: number }
  | { ok: false; code: 'GRAPH_VERSION'; message: string };

/** Brings a parsed JSON document to the current graph version, or says why it cannot. */
export function migrateGraph(input: unknown, migrations: GraphMigration[] = graphMigrations, current = GRAPH_VERSION): MigrateResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, code: 'GRAPH_VERSION', message: 'a graph must be a JSON object with "version", "nodes" and "edges"' };
  }
  let doc = input as Record<string, unknown>;
  const v = doc.version;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    return { ok: false, code: 'GRAPH_VERSION', message: `"version" must be a positive integer (current format is ${current})` };
  }
  if (v > current) {
    return { ok: false, code: 'GRAPH_VERSION', message: `graph version ${v} is newer than this Kiln understands (${current}); upgrade Kiln` };
  }
  let version = v;
  while (version < current) {
    const m = migrations.find((x) => x.from === version);
    if (!m) return { ok: false, code: 'GRAPH_VERSION', message: `no migration from graph version ${version}` };
    doc = { ...m.up(doc), version: version + 1 };
    version++;
  }
  return version === v ? { ok: true, doc } : { ok: true, doc, migratedFrom: v };
}

/** A node whose params could not be brought to its kind's current version. */
export interface ParamsProblem {
  index: number;
  nodeId: string;
  kind: string;
  code: 'PARAMS_VERSION' | 'PARAMS_MIGRATION';
  message: string;
}

/**
 * Upgrades every node's params to its kind's current version (the per-kind step after the
 * graph-level one). Nodes of unknown kinds, and nodes that cannot be upgraded, are left as they
 * are and listed in `problems`; a graph with nothing to upgrade comes back as the same object.
 * Used wherever a graph is loaded: validation (server, runner, CLI, executor) and the studio.
 */
export function migrateNodeParams(graph: Graph): { graph: Graph; problems: ParamsProblem[]; migrated: string[] } {
  const problems: ParamsProblem[] = [];
  const migrated: string[] = [];
  let changed = false;
  const nodes = graph.nodes.map((n, index): GraphNode => {
    const kind = getNodeKind(n.kind);
    if (!kind) return n;
    const r = upgradeParams(kind, n.params ?? {}, n.paramsVersion ?? 1);
    if (!r.ok) {
      problems.push({ index, nodeId: n.id, kind: n.kind, code: r.code, message: r.message });
      return n;
    }
    const { paramsVersion: _old, ...rest } = n;
    const next: GraphNode = { ...rest, params: r.params, ...paramsVersionField(kind) };
    if (r.migratedFrom === undefined && next.paramsVersion === n.paramsVersion) return n;
    if (r.migratedFrom !== undefined) migrated.push(n.id);
    changed = true;
    return next;
  });
  return { graph: changed ? { ...graph, nodes } : graph, problems, migrated };
}
