/**
 * tfjs-backend-wasm 4.22 lacks kernels that Kiln's models need to train: `UnsortedSegmentSum`
 * (the gradient of `gather`, so Embedding layers) and `Conv2DBackpropFilter` (conv nets), among
 * others. For every kernel the cpu backend has and wasm does not, this registers a bridge on wasm
 * that copies the inputs to the cpu backend, runs the cpu kernel and copies the result back. Same
 * arithmetic as cpu (so parity holds); slower only for those ops.
 */
import * as tf from '@tensorflow/tfjs';

interface DataBackend {
  readSync(dataId: object): tf.backend_util.BackendValues;
  write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): object;
  disposeData(dataId: object): boolean | void;
  makeOutput?(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): tf.TensorInfo;
}

const REGISTERED = Symbol.for('kiln.wasmBridgedKernels');

/** Registers cpu-bridged wasm kernels once per process (idempotent); returns how many. */
export function registerWasmExtraKernels(): string {
  const g = globalThis as Record<symbol, unknown>;
  if (typeof g[REGISTERED] === 'string') return g[REGISTERED] as string;
  const have = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  const bridged: string[] = [];
  for (const k of tf.getKernelsForBackend('cpu')) {
    if (have.has(k.kernelName)) continue;
    const cpuFunc = k.kernelFunc;
    tf.registerKernel({
      kernelName: k.kernelName,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const wasm = backend as unknown as DataBackend;
        const cpu = tf.findBackend('cpu') as unknown as DataBackend;
        const moved: Record<string, tf.TensorInfo> = {};
        const temp: object[] = [];
        for (const [name, t] of Object.entries(inputs)) {
          if (!t) continue;
          const dataId = cpu.write(wasm.readSync(t.dataId), [...t.shape], t.dtype);
          temp.push(dataId);
          moved[name] = { dataId, shape: t.shape, dtype: t.dtype };
        }
        try {
          const out = cpuFunc({ inputs: moved, backend: cpu as unknown as tf.KernelBackend, attrs: attrs ?? {} });
          const outs = Array.isArray(out) ? out : [out];
          const back = outs.map((o) => {
            const values = cpu.readSync(o.dataId);
            cpu.disposeData(o.dataId);
            return wasm.makeOutput!([...o.shape], o.dtype, undefined, values);
          });
          return Array.isArray(out) ? back : back[0]!;
        } finally {
          for (const id of temp) cpu.disposeData(id);
        }
      },
    });
    bridged.push(k.kernelName);
  }
  const summary = `${bridged.length} cpu-bridged kernels`;
  g[REGISTERED] = summary;
  return summary;
}
