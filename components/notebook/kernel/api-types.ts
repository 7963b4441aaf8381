/**
 * TypeScript declarations of the notebook API, fed to Monaco so cells get completion, hover docs
 * and type checking for `kiln`. A global script (no top-level import/export): `kiln` is a global
 * in every cell. tfjs types are referenced with `import('@tensorflow/tfjs')`, which resolves once
 * the editor has loaded the tfjs declarations. Keep in step with ./kiln-api.ts.
 */
export const KILN_API_DTS = String.raw`
declare namespace Kiln {
  /** A pipeline node: its kind, params and (UI only) position and label. */
  interface GraphNode {
    id: string;
    kind: string;
    params: Record<string, unknown>;
    position?: { x: number; y: number };
    label?: string;
  }
  /** An edge from an output port to an input port. */
  interface GraphEdge {
    source: string;
    sourcePort: string;
    target: string;
    targetPort: string;
  }
  /** A pipeline graph document (the JSON the canvas and the runner share). */
  interface Graph {
    version: 1;
    name?: string;
    seed: number;
    nodes: GraphNode[];
    edges: GraphEdge[];
  }

  /**
   * The project's pipeline, live: the canvas shows every change a cell makes, and cells that
   * read it (without writing it) re-run when the canvas changes it. Reads return copies.
   */
  interface GraphApi {
    /** Every node (a copy). */
    readonly nodes: GraphNode[];
    /** Every edge (a copy). */
    readonly edges: GraphEdge[];
    /** The whole graph document (a copy), e.g. to pass to {@link Api.run}. */
    toJSON(): Graph;
    /** A node by id, or undefined. */
    node(id: string): GraphNode | undefined;
    /** A node's params (a copy); throws when the node does not exist. */
    params(id: string): Record<string, unknown>;
    /**
     * Adds a node of a kind (e.g. "dataset", "standard_scale", "mlp", "train", "evaluate") and
     * returns its id. With an existing 'id' it updates that node's params instead (an upsert),
     * and a re-run cell reuses the ids it got last time, so re-running never duplicates nodes.
     * Params are checked against the kind's schema.
     * @example kiln.graph.addNode('dataset', { source: 'builtin', name: 'cars', target: 'Miles_per_Gallon' }, { id: 'cars' })
     */
    addNode(kind: string, params?: Record<string, unknown>, opts?: { id?: string; position?: { x: number; y: number } }): string;
    /** Removes a node and its edges. */
    removeNode(id: string): void;
    /**
     * Connects an output port to an input port, written "node.port"; port types must match and
     * no cycle may form. Connecting an existing edge again does nothing.
     * @example kiln.graph.connect('cars.data', 'split.data')
     */
    connect(from: string, to: string): void;
    /** Removes the edge between two "node.port" endpoints, if any. */
    disconnect(from: string, to: string): void;
    /** Sets one param (undefined removes it so the default applies); checked against the kind's schema. */
    setParam(id: string, name: string, value: unknown): void;
    /** Replaces a node's params; checked against the kind's schema. */
    setParams(id: string, params: Record<string, unknown>): void;
  }

  type Row = Record<string, string | number | boolean | null>;

  /** A dataset loaded by {@link Api.data}: shown as a table when it is a cell's value. */
  interface Data {
    readonly name: string;
    /** column names */
    readonly columns: string[];
    /** column names and inferred types (numeric, categorical, boolean, date) */
    readonly schema: { name: string; type: string }[];
    /** one object per row; missing values are null, dates ISO strings */
    readonly records: Row[];
    /** rows loaded (after sampling) */
    readonly length: number;
    /** rows in the full dataset */
    readonly totalRows: number;
    /**
     * Features as 'x' [rows, features] and the target as 'y' [rows, 1] (float32). Features
     * default to every numeric column but the target; rows with a missing value are dropped. A
     * categorical target becomes class indices into 'labels'. The tensors are disposed when
     * the cell re-runs.
     */
    toTensors(opts: { features?: string[]; target: string }): {
      x: import('@tensorflow/tfjs').Tensor2D;
      y: import('@tensorflow/tfjs').Tensor2D;
      features: string[];
      labels?: string[];
      dropped: number;
    };
  }

  /** Per-epoch metrics of a training run. */
  interface EpochMetrics {
    epoch: number;
    loss: number;
    valLoss?: number;
    [metric: string]: number | undefined;
  }

  /** What {@link Api.run} returns. */
  interface RunResult {
    graphHash: string;
    backend: string;
    /** metrics of the graph's verdict (its evaluate node with the lowest id), or null when it has none */
    metrics: Record<string, number> | null;
    /** id of the evaluate node whose metrics these are (null when the graph has none) */
    verdict: string | null;
    /** metrics by evaluate node id */
    evaluations: Record<string, Record<string, number>>;
    /** epoch history by train node id */
    histories: Record<string, EpochMetrics[]>;
    /** ms per node (0 when cached) */
    timings: Record<string, number>;
    cached: string[];
  }

  /** A run submitted to the server runner. */
  interface SubmittedRun {
    runId: string;
    /** the run's page in the studio */
    url: string;
    /** queued | running | succeeded | failed | cancelled */
    status(): Promise<string>;
    /** Polls until the run ends and returns it (stops when the cell is interrupted). */
    wait(opts?: { pollMs?: number }): Promise<{ id: string; status: string; error?: string | null; metrics?: unknown; [k: string]: unknown }>;
  }

  /** A custom node kind: a JS transform of rows, listed in the canvas palette of this project. */
  interface CustomNodeDef {
    /** lowercase letter, then up to 40 lowercase letters, digits or _ */
    name: string;
    label: string;
    description?: string;
    /** config defaults, editable in the canvas inspector */
    config?: Record<string, number | string | boolean>;
    /** the transform (or its JS source); runs in an isolated process on the server runner */
    code: string | ((rows: Row[], config: Record<string, number | string | boolean>) => Row[] | Promise<Row[]>);
    /** the function keeps every row, in order (it only changes columns); checked on every run */
    preservesRows?: boolean;
  }

  /** The backend the kernel computes on. */
  interface BackendInfo {
    name: 'webgpu' | 'webgl' | 'wasm' | 'cpu';
    /** the device, e.g. "SwiftShader … (software)" or "WebAssembly SIMD, 1 thread" */
    adapter: string;
    fallbackFrom?: string[];
  }

  /** A chart output (from {@link Api.chart}). */
  interface Chart { readonly __kilnDisplay: 'chart'; readonly spec: Record<string, unknown> }
  /** An HTML output (from {@link Api.html}). */
  interface Html { readonly __kilnDisplay: 'html'; readonly html: string }

  interface Api {
    /** The project's pipeline graph, two-way bound to the canvas. */
    readonly graph: GraphApi;
    /**
     * Aborted when this cell re-runs or is interrupted: check it in long loops
     * ('if (kiln.signal.aborted) break') or pass it on.
     */
    readonly signal: AbortSignal;
    /** The tfjs backend in use, or null while it starts. */
    readonly backend: BackendInfo | null;
    /**
     * Loads a dataset: the project's uploaded dataset of that name (newest version), else the
     * built-in vega dataset (cars, penguins, seattle-weather, …). 'sample' keeps that many rows (seeded).
     * @example const cars = await kiln.data('cars')
     */
    data(name: string, opts?: { sample?: number; seed?: number }): Promise<Data>;
    /**
     * Runs a graph here in the browser on the kernel's backend (default: the current kiln.graph)
     * on 'sample' rows per dataset (default 1000); 'epochs' overrides every train node. Epoch
     * metrics stream into the cell's output as a progress chart.
     */
    run(graph?: Graph, opts?: { sample?: number; epochs?: number; seed?: number }): Promise<RunResult>;
    /** Sends a graph (default: the current kiln.graph) to the server runner to train on full data. */
    submit(graph?: Graph): Promise<SubmittedRun>;
    /**
     * Runs one node kind on values: inputs by port name (a kiln.data result or an array of records
     * for table ports). Returns the output (the object of outputs by port when there are several);
     * table outputs come back as Data.
     * @example const scaled = await kiln.node('standard_scale', { columns: ['Horsepower'] }, { data: cars })
     */
    node(kind: string, params?: Record<string, unknown>, inputs?: Record<string, unknown>): Promise<any>;
    /** Shows a Vega-Lite spec (data inlined) as a chart when it is the cell's value. */
    chart(spec: Record<string, unknown>): Chart;
    /** Shows HTML in a sandboxed iframe (no scripts, no same-origin) when it is the cell's value. */
    html(html: string): Html;
    /**
     * Defines a custom node kind for this project (it appears in the canvas palette) and returns
     * the transform to use in cells: '(rows, config?) => rows'.
     */
    defineNode(def: CustomNodeDef): Promise<(rows: Row[], config?: Record<string, number | string | boolean>) => Row[] | Promise<Row[]>>;
  }
}

/**
 * Kiln's notebook API: the project's pipeline graph (live with the canvas), datasets, browser
 * runs, server runs, single node kinds, charts and custom node kinds. Also importable:
 * 'import { kiln } from 'kiln''.
 */
declare const kiln: Kiln.Api;

declare module 'kiln' {
  export const kiln: Kiln.Api;
  export default kiln;
}
`;
