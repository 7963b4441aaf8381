/**
 * A speed fix for tfjs's wasm backend, applied whenever Kiln starts it (browser and Node).
 *
 * tfjs-backend-wasm 4.22 sends a 2-D matMul to XNNPACK only when neither operand is transposed;
 * `transposeA`/`transposeB` fall to a scalar triple loop (batch_mat_mul_impl.cc). Backprop
 * through a dense layer is exactly those two cases (dX = dY·Wᵀ, dW = Xᵀ·dY), so training spent
 * ~70% of each step there. Transposing explicitly (a fast wasm kernel) and then calling the
 * untransposed kernel keeps every matMul on XNNPACK: ~2× faster MLP training steps, same
 * numbers up to float rounding. It also sidesteps an upstream bug: the scalar path adds the
 * fused bias at index i·n+j instead of j, so a fused, transposed product with a bias was wrong.
 */
import * as tf from '@tensorflow/tfjs';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type Info = tf.TensorInfo;
type DisposableBackend = { disposeData(dataId: object): void };

const PATCHED = Symbol.for('kiln.wasmMatMulPatched');

function singleMatrix(x: Info): boolean {
  return x.shape.length === 2 || (x.shape.length === 3 && x.shape[0] === 1);
}

function wrap(orig: KernelFunc, transpose: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const a = inputs.a as Info;
    const b = inputs.b as Info;
    const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    // Truly batched products take the scalar path either way; only single matrices gain
    // (the fused op hands them over as [1, m, k]).
    if ((!transposeA && !transposeB) || !singleMatrix(a) || !singleMatrix(b) || a.shape.length !== b.shape.length) return orig(args);
    const perm = a.shape.length === 2 ? [1, 0] : [0, 2, 1];
    const temps: Info[] = [];
    const t = (x: Info): Info => {
      const r = transpose({ inputs: { x }, backend, attrs: { perm } }) as Info;
      temps.push(r);
      return r;
    };
    try {
      return orig({
        ...args,
        inputs: { ...inputs, a: transposeA ? t(a) : a, b: transposeB ? t(b) : b },
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const r of temps) (backend as unknown as DisposableBackend).disposeData(r.dataId);
    }
  };
}

/**
 * Re-registers the wasm `BatchMatMul` and `_FusedMatMul` kernels with the transpose fix above.
 * Idempotent; a no-op when the wasm backend's kernels are not registered.
 */
export function patchWasmMatMul(): boolean {
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) return false;
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const orig = tf.getKernel(name, 'wasm');
    if (!orig) return false;
    if ((orig as unknown as Record<symbol, boolean>)[PATCHED]) continue;
    tf.unregisterKernel(name, 'wasm');
    const patched: tf.KernelConfig = { ...orig, kernelFunc: wrap(orig.kernelFunc, transpose.kernelFunc) };
    (patched as unknown as Record<symbol, boolean>)[PATCHED] = true;
    tf.registerKernel(patched);
  }
  return true;
}
