import type { z } from 'zod';
import { getNodeKind } from '../nodes/registry';
import { evaluationNodes } from '../nodes/graph-queries';
import { migrateGraph, migrateNodeParams } from './migrate';
import { GRAPH_LIMITS, graphSchema, type Graph } from './schema';
import { cyclesThrough, descendants, topoSort } from './topology';

export type DiagnosticCode =
  | 'GRAPH_VERSION'
  | 'GRAPH_SHAPE'
  | 'GRAPH_TOO_LARGE'
  | 'DUPLICATE_ID'
  | 'UNKNOWN_KIND'
  | 'BAD_PARAM'
  | 'DANGLING_EDGE'
  | 'UNKNOWN_PORT'
  | 'PORT_TYPE_MISMATCH'
  | 'PORT_MULTIPLE'
  | 'MISSING_INPUT'
  | 'GRAPH_CYCLE'
  | 'BLOCKED_BY_CYCLE'
  | 'PARAMS_VERSION'
  | 'PARAMS_MIGRATION'
  | 'SEVERAL_EVALUATIONS';

/** A problem found in a graph: a code, where it is, and one line for the user. */
export interface Diagnostic {
  code: DiagnosticCode;
  severity: 'error' | 'warning';
  message: string;
  /** JSON path in the document, e.g. `nodes[3].params.learningRate` */
  path: string;
  nodeId?: string;
  param?: string;
  port?: string;
  /** index into `edges` */
  edge?: number;
}

export interface ValidationResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  /** the parsed graph (defaults applied, params upgraded to each kind's version) when the document's shape is valid */
  graph?: Graph;
  /** per node id: params parsed by the kind's schema (defaults applied), for nodes whose params are valid */
  params: Record<string, unknown>;
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

function zodIssues(err: z.ZodError): { path: string; message: string; first: string | undefined }[] {
  return err.issues.map((i) => ({
    path: issuePath(i.path),
    message: i.message,
    first: i.path.length ? String(i.path[0]) : undefined,
  }));
}

/**
 * Checks a graph document and reports every problem it finds, each naming the node id and the
 * param or port. Never throws, whatever the input.
 */
export function validateGraph(input: unknown): ValidationResult {
  const diagnostics: Diagnostic[] = [];
  const params: Record<string, unknown> = {};
  const err = (d: Omit<Diagnostic, 'severity'>) => diagnostics.push({ severity: 'error', ...d });
  try {
    const migrated = migrateGraph(input);
    if (!migrated.ok) {
      err({ code: migrated.code, message: migrated.message, path: 'version' });
      return { ok: false, diagnostics, params };
    }
    const doc = migrated.doc;
    // Size limits before any per-node work, so a huge document costs little.
    if (Array.isArray(doc.nodes) && doc.nodes.length > GRAPH_LIMITS.maxNodes) {
      err({ code: 'GRAPH_TOO_LARGE', message: `graph has ${doc.nodes.length} nodes; at most ${GRAPH_LIMITS.maxNodes} are allowed`, path: 'nodes' });
      return { ok: false, diagnostics, params };
    }
    if (Array.isArray(doc.edges) && doc.edges.length > GRAPH_LIMITS.maxEdges) {
      err({ code: 'GRAPH_TOO_LARGE', message: `graph has ${doc.edges.length} edges; at most ${GRAPH_LIMITS.maxEdges} are allowed`, path: 'edges' });
      return { ok: false, diagnostics, params };
    }
    const parsed = graphSchema.safeParse(doc);
    if (!parsed.success) {
      for (const i of zodIssues(parsed.error)) {
        const m = /^nodes\[(\d+)\]/.exec(i.path);
        const raw = m ? (doc.nodes as unknown[])[Number(m[1])] : undefined;
        const nodeId = raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined;
        err({ code: 'GRAPH_SHAPE', message: `${i.path || 'graph'}${nodeId ? ` (node "${nodeId}")` : ''}: ${i.message}`, path: i.path, ...(nodeId ? { nodeId } : {}) });
      }
      return { ok: false, diagnostics, params };
    }
    // Each node's params to its kind's current version; a node that cannot be upgraded is reported and skipped below.
    const up = migrateNodeParams(parsed.data);
    const g = up.graph;
    const stuck = new Set<number>();
    for (const p of up.problems) {
      stuck.add(p.index);
      const path = p.code === 'PARAMS_VERSION' ? `nodes[${p.index}].paramsVersion` : `nodes[${p.index}].params`;
      err({ code: p.code, message: `node "${p.nodeId}" (${p.kind}): ${p.message}`, path, nodeId: p.nodeId });
    }

    const byId = new Map<string, number>();
    g.nodes.forEach((n, i) => {
      if (byId.has(n.id)) {
        err({ code: 'DUPLICATE_ID', message: `nodes[${i}]: id "${n.id}" is already used by nodes[${byId.get(n.id)}]`, path: `nodes[${i}].id`, nodeId: n.id });
      } else byId.set(n.id, i);
    });

    for (const [i, n] of g.nodes.entries()) {
      const kind = getNodeKind(n.kind);
      if (!kind) {
        err({ code: 'UNKNOWN_KIND', message: `node "${n.id}": unknown kind "${n.kind}"`, path: `nodes[${i}].kind`, nodeId: n.id });
        continue;
      }
      if (stuck.has(i)) continue;
      if (JSON.stringify(n.params).length > GRAPH_LIMITS.maxParamsBytes) {
        err({ code: 'GRAPH_TOO_LARGE', message: `node "${n.id}": params exceed ${GRAPH_LIMITS.maxParamsBytes} bytes`, path: `nodes[${i}].params`, nodeId: n.id });
        continue;
      }
      const p = kind.params.safeParse(n.params);
      if (p.success) params[n.id] = p.data;
      else {
        for (const is of zodIssues(p.error)) {
          const param = is.path || undefined;
          err({
            code: 'BAD_PARAM',
            message: `node "${n.id}" (${n.kind})${param ? ` param "${param}"` : ''}: ${is.message}`,
            path: `nodes[${i}].params${param ? `.${param}` : ''}`,
            nodeId: n.id,
            ...(param ? { param } : {}),
          });
        }
      }
    }

    // Edges: endpoints exist, ports exist, types agree, single-edge ports get one edge.
    const into = new Map<string, number>();
    const validEdges: { source: string; target: string }[] = [];
    g.edges.forEach((e, i) => {
      const path = `edges[${i}]`;
      const s = byId.has(e.source) ? g.nodes[byId.get(e.source)!]! : undefined;
      const t = byId.has(e.target) ? g.nodes[byId.get(e.target)!]! : undefined;
      if (!s || !t) {
        const missing = !s ? e.source : e.target;
        err({ code: 'DANGLING_EDGE', message: `${path}: ${!s ? 'source' : 'target'} node "${missing}" does not exist`, path, edge: i, nodeId: missing });
        return;
      }
      validEdges.push(e);
      const sk = getNodeKind(s.kind);
      const tk = getNodeKind(t.kind);
      const sp = sk?.outputs.find((p) => p.name === e.sourcePort);
      const tp = tk?.inputs.find((p) => p.name === e.targetPort);
      // An edge from a node of unknown kind still connects its target port: report the kind once, not a missing input too.
      if (!sk || !tk) {
        if (tp) into.set(`${t.id}\u0000${tp.name}`, (into.get(`${t.id}\u0000${tp.name}`) ?? 0) + 1);
        return;
      }
      if (!sp) {
        err({ code: 'UNKNOWN_PORT', message: `${path}: node "${s.id}" (${s.kind}) has no output port "${e.sourcePort}" (outputs: ${sk.outputs.map((p) => p.name).join(', ') || 'none'})`, path, edge: i, nodeId: s.id, port: e.sourcePort });
        return;
      }
      if (!tp) {
        err({ code: 'UNKNOWN_PORT', message: `${path}: node "${t.id}" (${t.kind}) has no input port "${e.targetPort}" (inputs: ${tk.inputs.map((p) => p.name).join(', ') || 'none'})`, path, edge: i, nodeId: t.id, port: e.targetPort });
        return;
      }
      if (sp.type !== tp.type) {
        err({ code: 'PORT_TYPE_MISMATCH', message: `${path}: "${s.id}.${sp.name}" gives ${sp.type} but "${t.id}.${tp.name}" takes ${tp.type}`, path, edge: i, nodeId: t.id, port: tp.name });
        return;
      }
      const key = `${t.id}\u0000${tp.name}`;
      const count = (into.get(key) ?? 0) + 1;
      into.set(key, count);
      if (count > 1 && !tp.multiple) {
        err({ code: 'PORT_MULTIPLE', message: `${path}: input port "${tp.name}" of node "${t.id}" takes one edge, got ${count}`, path, edge: i, nodeId: t.id, port: tp.name });
      }
    });

    for (const [i, n] of g.nodes.entries()) {
      const kind = getNodeKind(n.kind);
      if (!kind) continue;
      for (const p of kind.inputs) {
        if (p.required !== false && !into.has(`${n.id}\u0000${p.name}`)) {
          err({ code: 'MISSING_INPUT', message: `node "${n.id}" (${n.kind}): required input "${p.name}" (${p.type}) is not connected`, path: `nodes[${i}]`, nodeId: n.id, port: p.name });
        }
      }
    }

    const { cyclic } = topoSort([...byId.keys()], validEdges);
    if (cyclic.length) {
      // Name the cycle itself on the nodes in it; the nodes it blocks downstream get their own line.
      const cycles = cyclesThrough(cyclic, validEdges);
      for (const [id, cycle] of cycles) {
        err({ code: 'GRAPH_CYCLE', message: `node "${id}" is on a cycle (${cycle.join(' → ')})`, path: `nodes[${byId.get(id)}]`, nodeId: id });
      }
      const blockedBy = new Map<string, string[]>();
      for (const [id, cycle] of cycles) {
        for (const d of descendants(id, validEdges)) if (!cycles.has(d) && !blockedBy.has(d)) blockedBy.set(d, cycle);
      }
      for (const [id, cycle] of blockedBy) {
        diagnostics.push({
          code: 'BLOCKED_BY_CYCLE',
          severity: 'warning',
          message: `node "${id}" cannot run: it is downstream of the cycle ${cycle.join(' → ')}`,
          path: `nodes[${byId.get(id)}]`,
          nodeId: id,
        });
      }
    }
    // Several evaluate nodes: each scores its model, but one rule picks the run's verdict; say which.
    const evals = evaluationNodes(g);
    if (evals.length > 1) {
      const [verdict, ...others] = evals;
      diagnostics.push({
        code: 'SEVERAL_EVALUATIONS',
        severity: 'warning',
        message: `${evals.length} evaluation nodes (${evals.map((n) => `"${n.id}"`).join(', ')}): "${verdict!.id}" decides the run's verdict (gates, registered metrics) as the lowest id; ${others.map((n) => `"${n.id}"`).join(', ')} only report`,
        path: `nodes[${byId.get(verdict!.id)}]`,
        nodeId: verdict!.id,
      });
    }
    return { ok: !diagnostics.some((d) => d.severity === 'error'), diagnostics, graph: g, params };
  } catch (e) {
    // Validation must never throw: report the unexpected as a shape problem.
    err({ code: 'GRAPH_SHAPE', message: `graph could not be read: ${(e as Error).message}`, path: '' });
    return { ok: false, diagnostics, params };
  }
}

/** `GRAPH_CYCLE at nodes[3] (train): …` — one line per diagnostic. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.code} at ${d.path || 'graph'}: ${d.message}`;
}
