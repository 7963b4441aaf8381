/**
 * The `kiln` object notebook cells use, inside the kernel worker. One is made per cell run (its
 * `signal` is that run's). Graph writes go to the worker's snapshot at once and are posted as ops
 * to the main thread, whose graph store stays the one source of truth. Calls to Kiln (datasets,
 * runs, custom nodes) go through `env.api`, which the page performs: the worker holds no
 * credentials and makes no request to /api. Types: ./api-types.ts.
 */
import type * as tfNs from '@tensorflow/tfjs';
import type { BackendInfo } from '../../../lib/backend';
import { tableFromRecords } from '../../../lib/data/infer';
import { ExecCache } from '../../../lib/exec/cache';
import { runGraph } from '../../../lib/exec/executor';
import { collectResults } from '../../../lib/exec/results';
import { freshId } from '../../../lib/graph/edit';
import type { Graph, GraphEdge } from '../../../lib/graph/schema';
import { customNodeDefSchema, type CustomNodeDefInput } from '../../../lib/nodes/custom-def';
import { getNodeKind } from '../../../lib/nodes/registry';
import type { DataSource, Frame, NodeContext } from '../../../lib/nodes/types';
import { sampleDataSource } from '../../../lib/data/sample';
import { chartMarker, htmlMarker } from '../../../lib/notebook/display';
import type { CellContext } from '../../../lib/notebook/runtime';
import { applyGraphOp, parseEndpoint, type GraphOp } from './graph-ops';
import { KilnData, kilnData, loadRef, type Row } from './kiln-data';
import type { KernelApi } from './protocol';

/** The worker's copy of the store graph plus its own ops the store has not acknowledged yet. */
export class GraphMirror {
  private base: Graph;
  private pending: { seq: number; op: GraphOp }[] = [];
  private seq = 0;
  current: Graph;

  constructor(
    graph: Graph,
    private readonly post: (seq: number, op: GraphOp) => void,
  ) {
    this.base = graph;
    this.current = graph;
  }

  /** Applies an op here (throws when not allowed) and sends it to the store. */
  apply(op: GraphOp): void {
    this.current = applyGraphOp(this.current, op);
    const seq = ++this.seq;
    this.pending.push({ seq, op });
    this.post(seq, op);
  }

  /** The store's graph, which has every op up to `ack`; newer ops of ours are replayed on top. */
  receive(graph: Graph, ack: number): void {
    this.base = graph;
    this.pending = this.pending.filter((p) => p.seq > ack);
    let g = graph;
    for (const p of this.pending) {
      try {
        g = applyGraphOp(g, p.op);
      } catch {
        // the canvas changed under it (e.g. the node was deleted): the store will refuse it too
      }
    }
    this.current = g;
  }
}

export interface KilnEnv {
  tf: typeof tfNs;
  projectName: () => string;
  backend: () => BackendInfo | null;
  graph: GraphMirror;
  /** the notebook API: the page performs each call for the notebook's project */
  api: KernelApi;
}

const execCache = new ExecCache(64);

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Converts what a cell passes on a node port into what node kinds take. */
function toPortValue(v: unknown, port: string): unknown {
  if (v instanceof KilnData) return v.toFrame();
  if (Array.isArray(v) && v.every((r) => r && typeof r === 'object' && !Array.isArray(r))) return { table: tableFromRecords(v, { name: port }), steps: [], inputSchema: [], datasetHashes: [] } satisfies Frame;
  return v;
}

function isFrame(v: unknown): v is Frame {
  return !!v && typeof v === 'object' && 'table' in v && Array.isArray((v as Frame).steps);
}

type CustomConfig = Record<string, number | string | boolean>;
/** A custom node's transform as a cell writes it (runs for real in an isolated process on the runner). */
type CustomTransform = (rows: Row[], config: CustomConfig) => Row[] | Promise<Row[]>;

/** Makes the `kiln` object of one cell run. `memo` is kept across runs of the same cell. */
export function makeKiln(ctx: CellContext, env: KilnEnv, memo: Record<string, unknown>) {
  const { tf } = env;
  // Nodes this cell added without an id last run get the same ids again: re-running is idempotent.
  const previous = (memo.addedIds as string[] | undefined) ?? [];
  const added: string[] = [];
  memo.addedIds = added;

  const graph = {
    get nodes() {
      return clone(env.graph.current.nodes);
    },
    get edges() {
      return clone(env.graph.current.edges);
    },
    /** the whole document (a copy) */
    toJSON(): Graph {
      return clone(env.graph.current);
    },
    node(id: string) {
      const n = env.graph.current.nodes.find((x) => x.id === id);
      return n ? clone(n) : undefined;
    },
    params(id: string) {
      const n = env.graph.current.nodes.find((x) => x.id === id);
      if (!n) throw new Error(`kiln.graph.params: node "${id}" does not exist`);
      return clone(n.params);
    },
    addNode(kind: string, params: Record<string, unknown> = {}, opts: { id?: string; position?: { x: number; y: number } } = {}): string {
      const g = env.graph.current;
      let id = opts.id;
      if (!id) {
        const prev = previous[added.length];
        const reuse = prev && g.nodes.some((n) => n.id === prev && n.kind === kind) ? prev : undefined;
        id = reuse ?? freshId(kind, new Set([...g.nodes.map((n) => n.id), ...added]));
      }
      env.graph.apply({ op: 'addNode', id, kind, params: clone(params), ...(opts.position ? { position: opts.position } : {}) });
      added.push(id);
      return id;
    },
    removeNode(id: string): void {
      env.graph.apply({ op: 'removeNode', id });
    },
    connect(from: string, to: string): void {
      env.graph.apply({ op: 'connect', edge: edge(from, to) });
    },
    disconnect(from: string, to: string): void {
      env.graph.apply({ op: 'disconnect', edge: edge(from, to) });
    },
    setParam(id: string, name: string, value: unknown): void {
      env.graph.apply({ op: 'setParam', id, name, value: clone(value) });
    },
    setParams(id: string, params: Record<string, unknown>): void {
      env.graph.apply({ op: 'setParams', id, params: clone(params) });
    },
  };

  function edge(from: string, to: string): GraphEdge {
    const a = parseEndpoint(from, 'from');
    const b = parseEndpoint(to, 'to');
    return { source: a.node, sourcePort: a.port, target: b.node, targetPort: b.port };
  }

  function loadData(ref: { builtin?: string; input?: string }): Promise<DataSource> {
    return loadRef(env.api, ref, (name) => `input dataset "${name}" is not uploaded to project "${env.projectName()}"`, ctx.signal);
  }

  const kiln = {
    graph,
    signal: ctx.signal,
    get backend() {
      return env.backend();
    },
    data: (name: string, opts?: { sample?: number; seed?: number }) => kilnData(tf, env.api, env.projectName(), name, opts, ctx.signal),
    chart: chartMarker,
    html: htmlMarker,

    async run(g?: Graph, opts: { sample?: number; epochs?: number; seed?: number } = {}) {
      const doc = clone(g ?? env.graph.current);
      if (opts.epochs !== undefined) {
        // Training kinds say how their params hold the epoch count.
        for (const n of doc.nodes) {
          const set = getNodeKind(n.kind)?.epochs?.set;
          if (set) n.params = set(n.params, opts.epochs);
        }
      }
      const sample = opts.sample ?? 1000;
      const r = await runGraph(doc, {
        signal: ctx.signal,
        cache: execCache,
        onEvent: (e) => {
          if (e.type !== 'epoch') return;
          const p: Record<string, number> = {};
          for (const [k, v] of Object.entries(e.metrics)) if (typeof v === 'number' && Number.isFinite(v)) p[k] = v;
          ctx.progress(p);
        },
        loadData: async (ref) => sampleDataSource(await loadData(ref), sample, opts.seed ?? doc.seed ?? 42).source,
      });
      const res = collectResults(r.graph, r.outputs);
      const evaluations = Object.fromEntries(res.evaluations.map((e) => [e.nodeId, e.evaluation.metrics]));
      const histories = Object.fromEntries(res.trained.map((t) => [t.nodeId, t.trained.history]));
      // `metrics` is the verdict's: the same evaluation node the runner and `kiln run` report.
      const verdict = res.verdict?.nodeId ?? null;
      return { graphHash: r.graphHash, backend: r.backend, metrics: res.verdict?.evaluation?.metrics ?? null, verdict, evaluations, histories, timings: r.timings, cached: r.cached };
    },

    async submit(g?: Graph) {
      const doc = clone(g ?? env.graph.current);
      // The page resolves the graph's input datasets to their newest versions in its project.
      const { runId, url } = await env.api('submit', { graph: doc }, ctx.signal);
      const get = () => env.api('runStatus', { runId }, ctx.signal);
      const status = async () => (await get()).status as string;
      return {
        runId,
        url,
        status,
        async wait(opts: { pollMs?: number } = {}) {
          for (;;) {
            const run = await get();
            if (['succeeded', 'failed', 'cancelled'].includes(run.status as string)) return run;
            if (ctx.signal.aborted) throw new Error(`stopped waiting for run ${runId}`);
            await new Promise((res) => setTimeout(res, opts.pollMs ?? 1000));
          }
        },
      };
    },

    async node(kind: string, params: Record<string, unknown> = {}, inputs: Record<string, unknown> = {}) {
      const k = getNodeKind(kind);
      if (!k) throw new Error(`kiln.node: unknown node kind "${kind}"`);
      const parsed = k.params.safeParse(params);
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        throw new Error(`kiln.node("${kind}") param "${i?.path.join('.') || '(params)'}": ${i?.message ?? 'invalid'}`);
      }
      const ins: Record<string, unknown> = {};
      for (const p of k.inputs) {
        if (p.name in inputs) ins[p.name] = toPortValue(inputs[p.name], p.name);
        else if (p.required !== false) throw new Error(`kiln.node("${kind}"): input "${p.name}" (${p.type}) is missing (inputs: ${k.inputs.map((x) => x.name).join(', ')})`);
      }
      const nctx: NodeContext = {
        nodeId: kind,
        seed: 42,
        signal: ctx.signal,
        tf,
        backend: tf.getBackend(),
        emit: (e) => {
          if (e.type === 'epoch') ctx.progress({ ...(e.metrics as Record<string, number>) });
        },
        log: () => {},
        loadData,
      };
      const out = await k.run(ins, parsed.data, nctx);
      const conv = Object.fromEntries(Object.entries(out).map(([port, v]) => [port, isFrame(v) ? new KilnData(`${kind}.${port}`, v.table, tf) : v]));
      const ports = Object.keys(conv);
      return ports.length === 1 ? conv[ports[0]!] : conv;
    },

    async defineNode(def: Omit<CustomNodeDefInput, 'code'> & { code: string | CustomTransform }) {
      const code = typeof def.code === 'function' ? def.code.toString() : def.code;
      const r = customNodeDefSchema.safeParse({ ...def, code });
      if (!r.success) {
        const i = r.error.issues[0];
        throw new Error(`kiln.defineNode: ${i?.path.join('.') || 'def'}: ${i?.message ?? 'invalid'}`);
      }
      let fn: CustomTransform;
      try {
        fn = new Function(`"use strict"; return (${code});`)() as typeof fn;
      } catch (e) {
        throw new Error(`kiln.defineNode("${r.data.name}"): code does not compile: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (typeof fn !== 'function') throw new Error(`kiln.defineNode("${r.data.name}"): code must be a function (rows, config) => rows`);
      await env.api('defineNode', { def: r.data }, ctx.signal);
      const defaults = r.data.config;
      return (rows: Row[], config: CustomConfig = {}) => fn(rows, { ...defaults, ...config });
    },
  };
  return kiln;
}

export type Kiln = ReturnType<typeof makeKiln>;
