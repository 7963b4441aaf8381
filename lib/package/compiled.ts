/**
 * A compiled forward pass for packages whose members are plain dense stacks (InputLayer → Dense
 * / Dropout / Activation …): matrix–vector loops over typed arrays, no tfjs call, no tensor
 * allocation. A tfjs `predict` costs tens of microseconds of op dispatch per call even for a
 * 9→64→32→1 MLP; this costs a few, which is what a serving process answering one record per
 * request needs. Anything it does not recognise makes {@link compileMembers} return `null`, and
 * the caller keeps using tfjs ({@link ModelRunner}), so the fast path never guesses.
 *
 * Numerics follow tfjs's CPU kernels: float32 weights, each dot product summed in double and
 * rounded to float32 once stored, activations written back to float32, so outputs agree with
 * tfjs within float32 rounding (tested ≤ 1e-5).
 */
import type { SerializedModel, Task } from '../nodes/types';
import { outputsToPredictions } from './outputs';
import type { Predictions } from './predictor';

/** What {@link compileMembers} needs from a manifest: how to map member outputs to predictions. */
export interface CompileTarget {
  features: readonly string[];
  task: Task;
  labels?: readonly string[];
  targetScale?: { mean: number; std: number };
}

type Activation = (v: Float32Array, n: number, width: number) => void;

interface DenseOp {
  nIn: number;
  nOut: number;
  /** the Dense kernel transposed to [nOut, nIn], so each output is one contiguous dot product */
  kernelT: Float32Array;
  bias: Float32Array | null;
  activation: Activation;
}

interface CompiledMember {
  /** feature-matrix column for each model input column */
  gather: Int32Array;
  ops: DenseOp[];
  outWidth: number;
}

/** A compiled model: the same contract as `ModelRunner.predictMatrix`, synchronous. */
export interface CompiledModel {
  /** Predicts from a row-major feature matrix of `n` rows (`features.length` columns). */
  predictMatrix(x: Float32Array | Float64Array, n: number): Predictions;
  /** layer count per member, e.g. for logs (`[3]` = one member of three Dense layers) */
  readonly depth: number[];
}

// tfjs's SELU constants (tfjs-core selu_util).
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
// tfjs's CPU softplus switches formula at these thresholds (tfjs-backend-cpu Softplus).
const SOFTPLUS_THRESHOLD = Math.log(1.1920928955078125e-7) + 2.0;

// One loop per activation, not a shared loop calling a function: a shared call site would see
// every activation and stop V8 from inlining any of them (measured 3× slower).
const ACTIVATIONS: Record<string, Activation> = {
  linear: () => undefined,
  relu: (v) => {
    for (let i = 0; i < v.length; i++) if (v[i]! < 0) v[i] = 0;
  },
  tanh: (v) => {
    for (let i = 0; i < v.length; i++) v[i] = Math.tanh(v[i]!);
  },
  sigmoid: (v) => {
    for (let i = 0; i < v.length; i++) v[i] = 1 / (1 + Math.exp(-v[i]!));
  },
  elu: (v) => {
    for (let i = 0; i < v.length; i++) if (v[i]! < 0) v[i] = Math.exp(v[i]!) - 1;
  },
  selu: (v) => {
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      v[i] = x >= 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * (Math.exp(x) - 1);
    }
  },
  softplus: (v) => {
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      v[i] = x > -SOFTPLUS_THRESHOLD ? x : x < SOFTPLUS_THRESHOLD ? Math.exp(x) : Math.log(Math.exp(x) + 1);
    }
  },
  softmax: (v, n, width) => {
    for (let r = 0; r < n; r++) {
      const o = r * width;
      let max = -Infinity;
      for (let c = 0; c < width; c++) if (v[o + c]! > max) max = v[o + c]!;
      let sum = 0;
      for (let c = 0; c < width; c++) {
        const e = Math.fround(Math.exp(Math.fround(v[o + c]! - max)));
        v[o + c] = e;
        sum += e;
      }
      sum = Math.fround(sum);
      for (let c = 0; c < width; c++) v[o + c] = v[o + c]! / sum;
    }
  },
};

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

interface LayerJson {
  name: string;
  className: string;
  config: Json;
  inbound: string[];
}

/** The layers of a Sequential or functional (`Model`) topology in execution order, or null if not a single chain. */
function chainOf(topology: unknown): LayerJson[] | null {
  if (!isObj(topology)) return null;
  // model.json's `modelTopology` is either the Keras model config itself or wraps it under `model_config`.
  const top = isObj(topology.model_config) ? topology.model_config : topology;
  const className = top.class_name;
  const config = top.config;
  const rawLayers = Array.isArray(config) ? config : isObj(config) && Array.isArray(config.layers) ? config.layers : null;
  if (!rawLayers) return null;
  const layers: LayerJson[] = [];
  for (const l of rawLayers) {
    if (!isObj(l) || typeof l.class_name !== 'string' || !isObj(l.config)) return null;
    const name = typeof l.name === 'string' ? l.name : typeof l.config.name === 'string' ? l.config.name : null;
    if (!name) return null;
    const inbound: string[] = [];
    if (Array.isArray(l.inbound_nodes)) {
      if (l.inbound_nodes.length > 1) return null; // a shared layer: not a plain chain
      for (const node of l.inbound_nodes) {
        if (!Array.isArray(node)) return null;
        for (const t of node) {
          if (!Array.isArray(t) || typeof t[0] !== 'string') return null;
          inbound.push(t[0]);
        }
      }
    }
    layers.push({ name, className: l.class_name, config: l.config, inbound });
  }
  if (className === 'Sequential') return layers;
  if (className !== 'Model' && className !== 'Functional') return null;
  if (!isObj(config)) return null;
  const ins = config.input_layers;
  const outs = config.output_layers;
  if (!Array.isArray(ins) || ins.length !== 1 || !Array.isArray(outs) || outs.length !== 1) return null;
  const outName = Array.isArray(outs[0]) ? outs[0][0] : null;
  const byName = new Map(layers.map((l) => [l.name, l]));
  // Walk back from the output; every layer must have exactly one input and be used once.
  const chain: LayerJson[] = [];
  let cur = typeof outName === 'string' ? byName.get(outName) : undefined;
  while (cur) {
    chain.push(cur);
    if (cur.inbound.length === 0) break;
    if (cur.inbound.length !== 1) return null;
    cur = byName.get(cur.inbound[0]!);
    if (!cur) return null;
  }
  if (chain.length !== layers.length) return null;
  return chain.reverse();
}

function inputWidth(cfg: Json): number | null {
  const shape = Array.isArray(cfg.batch_input_shape) ? cfg.batch_input_shape : Array.isArray(cfg.batchInputShape) ? cfg.batchInputShape : null;
  if (!shape) return null;
  const w = shape[shape.length - 1];
  return shape.length === 2 && typeof w === 'number' ? w : null;
}

/** Compiles one member, or null when any layer is not a plain dense one. */
function compileMember(m: SerializedModel, nFeatures: number): CompiledMember | null {
  if (m.inputGroups.length !== 1 || m.intInputs.length !== 1 || m.intInputs[0]) return null;
  const group = m.inputGroups[0]!;
  if (group.some((j) => !Number.isInteger(j) || j < 0 || j >= nFeatures)) return null;
  const chain = chainOf(m.modelTopology);
  if (!chain || chain.length === 0) return null;

  // Weights sit back to back in weightData, in weightSpecs order.
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  let offset = 0;
  for (const w of m.weightSpecs) {
    if (w.dtype !== 'float32') return null;
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (offset + size * 4 > m.weightData.byteLength) return null;
    // A copy: the package's buffer may be unaligned for Float32Array and may be released.
    weights.set(w.name, { shape: w.shape, data: new Float32Array(m.weightData.slice(offset, offset + size * 4)) });
    offset += size * 4;
  }

  let width = group.length;
  const ops: DenseOp[] = [];
  for (const [i, layer] of chain.entries()) {
    const cfg = layer.config;
    switch (layer.className) {
      case 'InputLayer': {
        if (i !== 0 || inputWidth(cfg) !== width) return null;
        break;
      }
      case 'Dropout':
        // Identity at inference, as in tfjs's predict().
        break;
      case 'Activation': {
        const act = typeof cfg.activation === 'string' ? ACTIVATIONS[cfg.activation] : undefined;
        if (!act) return null;
        const prev = ops[ops.length - 1];
        // An Activation layer right after a Dense with a linear activation folds into it.
        if (!prev || prev.activation !== ACTIVATIONS.linear) return null;
        prev.activation = act;
        break;
      }
      case 'Dense': {
        if (i === 0) {
          const w = inputWidth(cfg);
          if (w !== null && w !== width) return null;
        }
        const act = typeof (cfg.activation ?? 'linear') === 'string' ? ACTIVATIONS[(cfg.activation as string | undefined) ?? 'linear'] : undefined;
        const units = cfg.units;
        if (!act || typeof units !== 'number') return null;
        const kernel = weights.get(`${layer.name}/kernel`);
        const useBias = cfg.use_bias !== false;
        const bias = useBias ? weights.get(`${layer.name}/bias`) : undefined;
        if (!kernel || kernel.shape.length !== 2 || kernel.shape[0] !== width || kernel.shape[1] !== units) return null;
        if (useBias && (!bias || bias.shape.length !== 1 || bias.shape[0] !== units)) return null;
        ops.push({ nIn: width, nOut: units, kernelT: transpose(kernel.data, width, units), bias: bias?.data ?? null, activation: act });
        width = units;
        break;
      }
      default:
        return null;
    }
  }
  if (ops.length === 0) return null;
  return { gather: Int32Array.from(group), ops, outWidth: width };
}

function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c]!;
  return t;
}

/** Runs one member on n rows of the feature matrix; returns n × outWidth. */
function runMember(cm: CompiledMember, x: Float32Array | Float64Array, n: number, nFeatures: number): Float32Array {
  const { gather } = cm;
  const g = gather.length;
  let h = new Float32Array(n * g);
  for (let r = 0; r < n; r++) {
    const src = r * nFeatures;
    const dst = r * g;
    for (let k = 0; k < g; k++) h[dst + k] = x[src + gather[k]!]!;
  }
  for (const op of cm.ops) {
    const { nIn, nOut, kernelT, bias } = op;
    const n4 = nIn & ~3;
    const out = new Float32Array(n * nOut);
    for (let r = 0; r < n; r++) {
      const hi = r * nIn;
      const oi = r * nOut;
      for (let c = 0; c < nOut; c++) {
        // A contiguous dot product over the transposed kernel, summed in double as tfjs's CPU
        // matMul does; the store rounds it to float32 before the bias, as tfjs does.
        // Four partial sums (unrolled: ~1.5× faster in V8); in double, their order changes
        // the float32 result by at most one rounding step, far inside tfjs parity.
        const ko = c * nIn;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let k = 0;
        for (; k < n4; k += 4) {
          s0 += h[hi + k]! * kernelT[ko + k]!;
          s1 += h[hi + k + 1]! * kernelT[ko + k + 1]!;
          s2 += h[hi + k + 2]! * kernelT[ko + k + 2]!;
          s3 += h[hi + k + 3]! * kernelT[ko + k + 3]!;
        }
        for (; k < nIn; k++) s0 += h[hi + k]! * kernelT[ko + k]!;
        out[oi + c] = s0 + s1 + (s2 + s3);
      }
      if (bias) for (let c = 0; c < nOut; c++) out[oi + c] = out[oi + c]! + bias[c]!;
    }
    op.activation(out, n, nOut);
    h = out;
  }
  return h;
}

/**
 * Compiles a package's members into a typed-array forward pass, or returns `null` when any
 * member is not a plain dense stack (InputLayer, Dense with linear/relu/tanh/sigmoid/softmax/
 * elu/selu/softplus, Activation, Dropout), has several or integer inputs, or has non-float32
 * weights. The result averages members and maps outputs exactly as `ModelRunner.predictMatrix`.
 */
export function compileMembers(target: CompileTarget, members: readonly SerializedModel[]): CompiledModel | null {
  const nFeatures = target.features.length;
  const compiled: CompiledMember[] = [];
  for (const m of members) {
    const cm = compileMember(m, nFeatures);
    if (!cm) return null;
    compiled.push(cm);
  }
  if (compiled.length === 0) return null;
  const width = compiled[0]!.outWidth;
  if (compiled.some((c) => c.outWidth !== width)) return null;
  const k = target.labels?.length ?? Math.max(2, width);
  if (target.task === 'regression' ? width !== 1 : width === 1 ? k !== 2 : width !== k) return null;

  return {
    depth: compiled.map((c) => c.ops.length),
    predictMatrix(x, n) {
      if (x.length < n * nFeatures) throw new RangeError(`feature matrix holds ${x.length} values; ${n} rows need ${n * nFeatures}`);
      let avg: Float32Array;
      if (compiled.length === 1) avg = runMember(compiled[0]!, x, n, nFeatures);
      else {
        avg = new Float32Array(n * width);
        // Same order of operations as ModelRunner: each member's output divided, then summed.
        for (const cm of compiled) {
          const o = runMember(cm, x, n, nFeatures);
          for (let i = 0; i < avg.length; i++) avg[i] = avg[i]! + o[i]! / compiled.length;
        }
      }
      return outputsToPredictions(avg, n, width, target);
    },
  };
}
