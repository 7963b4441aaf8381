import * as tf from '@tensorflow/tfjs';
import { sha256Hex } from '../data/hash';
import type { Table } from '../data/table';
import { KilnError, isKilnError } from '../errors';
import { canonicalJson, graphHash } from '../graph/canonical';
import type { Graph, GraphNode } from '../graph/schema';
import { validateGraph, type Diagnostic, formatDiagnostic } from '../graph/validate';
import { getNodeKind } from '../nodes/registry';
import type { DataSource, ExecEvent, NodeContext, PortValues, RunCustom } from '../nodes/types';
import { deriveSeed } from '../rng';
import { ExecCache } from './cache';

export interface RunGraphOptions {
  /** resolves dataset references; the host decides where data comes from (fs, fetch, upload) */
  loadData: (ref: { builtin?: string; input?: string }) => Promise<DataSource>;
  signal?: AbortSignal;
  onEvent?: (e: ExecEvent) => void;
  /** reuse results across runs: only nodes whose key changed re-run */
  cache?: ExecCache;
  /** score evaluate nodes on this raw table; split nodes then keep every row for training */
  testData?: Table;
  /** content hash of testData, part of every cache key when testData is set */
  testDataHash?: string;
  /** how `custom` nodes run user code here (a sandboxed process, a worker); absent = they fail */
  runCustom?: RunCustom;
}

export interface RunGraphResult {
  graphHash: string;
  graph: Graph;
  /** outputs of every node by id */
  outputs: Record<string, PortValues>;
  /** wall time per node, ms (0 for cache hits) */
  timings: Record<string, number>;
  cached: string[];
  backend: string;
}

/** Thrown when the graph does not validate; carries every diagnostic. */
export class GraphInvalidError extends KilnError {
  constructor(readonly diagnostics: Diagnostic[]) {
    const first = diagnostics[0];
    const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : '';
    super('GRAPH_INVALID', `${first ? formatDiagnostic(first) : 'graph is invalid'}${more}`, first?.nodeId ? { nodeId: first.nodeId } : {});
  }
}

function nodeSeed(g: Graph, n: GraphNode, params: unknown): number {
  const p = params as { seed?: unknown } | undefined;
  return typeof p?.seed === 'number' ? p.seed : deriveSeed(g.seed, n.id);
}

/**
 * Runs a graph: validates it, schedules nodes in dependency order with independent branches in
 * flight together, reuses cached results whose key is unchanged, streams progress events, and
 * stops on abort. Node values are plain data, so a run leaves no tensors behind.
 */
export async function runGraph(input: unknown, opts: RunGraphOptions): Promise<RunGraphResult> {
  const v = validateGraph(input);
  if (!v.ok || !v.graph) throw new GraphInvalidError(v.diagnostics);
  const g = v.graph;
  const hash = graphHash(g);
  const emit = (e: ExecEvent) => opts.onEvent?.(e);

  // Internal controller: the first failure stops the branches still running.
  const ctl = new AbortController();
  const onAbort = () => ctl.abort(opts.signal?.reason);
  if (opts.signal?.aborted) throw new KilnError('CANCELLED', 'run cancelled before it started');
  opts.signal?.addEventListener('abort', onAbort);

  const dataMemo = new Map<string, Promise<DataSource>>();
  const loadData = (ref: { builtin?: string; input?: string }) => {
    const k = JSON.stringify(ref);
    let p = dataMemo.get(k);
    if (!p) {
      p = opts.loadData(ref);
      dataMemo.set(k, p);
    }
    return p;
  };

  const nodes = new Map(g.nodes.map((n) => [n.id, n]));
  const incoming = new Map<string, typeof g.edges>(g.nodes.map((n) => [n.id, []]));
  for (const e of g.edges) incoming.get(e.target)!.push(e);
  const outputs: Record<string, PortValues> = {};
  const keys: Record<string, string> = {};
  const timings: Record<string, number> = {};
  const cached: string[] = [];
  const backend = tf.getBackend();

  const makeCtx = (n: GraphNode, seed: number): NodeContext => ({
    nodeId: n.id,
    seed,
    signal: ctl.signal,
    tf,
    backend,
    emit,
    log: (message, level = 'info') => emit({ type: 'log', nodeId: n.id, level, message }),
    loadData,
    ...(opts.testData ? { testData: opts.testData } : {}),
    ...(opts.runCustom ? { runCustom: opts.runCustom } : {}),
  });

  const runNode = async (n: GraphNode): Promise<void> => {
    const kind = getNodeKind(n.kind)!;
    const params = v.params[n.id];
    const seed = nodeSeed(g, n, params);
    const ctx = makeCtx(n, seed);
    const inputs: PortValues = {};
    const inputKeys: string[] = [];
    for (const p of kind.inputs) {
      const es = incoming.get(n.id)!.filter((e) => e.targetPort === p.name);
      // Stable order for multi-edge ports: by source id, so the key does not depend on edge order.
      es.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
      const vals = es.map((e) => outputs[e.source]![e.sourcePort]);
      if (p.multiple) inputs[p.name] = vals;
      else if (vals.length) inputs[p.name] = vals[0];
      for (const e of es) inputKeys.push(`${p.name}<-${keys[e.source]}:${e.sourcePort}`);
    }
    let sourceKey = '';
    if (kind.sourceKey) sourceKey = await kind.sourceKey(params, ctx);
    const key = sha256Hex(
      canonicalJson({ kind: n.kind, params, seed, inputs: inputKeys, source: sourceKey, test: opts.testDataHash ?? null }),
    );
    keys[n.id] = key;
    const hit = opts.cache?.get(key);
    if (hit) {
      outputs[n.id] = hit;
      timings[n.id] = 0;
      cached.push(n.id);
      emit({ type: 'node-finish', nodeId: n.id, kind: n.kind, cached: true, ms: 0 });
      return;
    }
    emit({ type: 'node-start', nodeId: n.id, kind: n.kind });
    const t0 = performance.now();
    try {
      const out = await kind.run(inputs, params, ctx);
      if (ctl.signal.aborted) throw new KilnError('CANCELLED', 'run cancelled', { nodeId: n.id });
      outputs[n.id] = out;
      opts.cache?.set(key, out);
    } catch (e) {
      const err = isKilnError(e)
        ? e.where.nodeId
          ? e
          : new KilnError(e.code, `node "${n.id}" (${n.kind}): ${e.message}`, { ...e.where, nodeId: n.id })
        : new KilnError('NODE_FAILED', `node "${n.id}" (${n.kind}) failed: ${(e as Error)?.message ?? String(e)}`, { nodeId: n.id });
      if (!ctl.signal.aborted || err.code !== 'CANCELLED') emit({ type: 'node-error', nodeId: n.id, kind: n.kind, message: err.message });
      throw err;
    }
    const ms = performance.now() - t0;
    timings[n.id] = ms;
    emit({ type: 'node-finish', nodeId: n.id, kind: n.kind, cached: false, ms });
  };

  // Dataflow scheduling: a node starts as soon as all its inputs are done.
  const pending = new Map(g.nodes.map((n) => [n.id, new Set(incoming.get(n.id)!.map((e) => e.source))]));
  const running = new Map<string, Promise<void>>();
  let failure: unknown = null;
  try {
    while (pending.size || running.size) {
      if (!failure) {
        for (const [id, deps] of [...pending]) {
          if (deps.size > 0) continue;
          pending.delete(id);
          running.set(
            id,
            runNode(nodes.get(id)!).then(
              () => {
                running.delete(id);
                for (const d of pending.values()) d.delete(id);
              },
              (e) => {
                running.delete(id);
                if (!failure) failure = e;
                ctl.abort(e);
              },
            ),
          );
        }
      }
      if (!running.size) break;
      await Promise.race(running.values());
    }
    if (failure) throw failure;
    if (opts.signal?.aborted) throw new KilnError('CANCELLED', 'run cancelled');
    return { graphHash: hash, graph: g, outputs, timings, cached, backend };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
