/**
 * What a cell run owns: the tensors it made and kept (found by walking its values) and the models
 * it built. They are disposed when the cell re-runs or goes away, so re-runs do not leak.
 */
import type * as tfNs from '@tensorflow/tfjs';
import { isLayersModel, isTensor } from './display';

/** Tensors and models reachable from `roots` (arrays, plain objects, Maps, Sets; bounded). */
export function reachable(roots: unknown[]): { tensors: Set<tfNs.Tensor>; models: Set<tfNs.LayersModel> } {
  const tensors = new Set<tfNs.Tensor>();
  const models = new Set<tfNs.LayersModel>();
  const seen = new Set<object>();
  // Breadth first, so tensors near the top are found before a big array eats the budget.
  let queue: unknown[] = roots;
  let budget = 200_000;
  for (let depth = 0; depth <= 6 && queue.length && budget > 0; depth++) {
    const next: unknown[] = [];
    for (const v of queue) {
      if (!v || typeof v !== 'object' || seen.has(v) || --budget < 0) continue;
      seen.add(v);
      if (isTensor(v)) tensors.add(v);
      else if (isLayersModel(v)) models.add(v);
      else if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) continue;
      else if (Array.isArray(v)) next.push(...v.slice(0, 100_000));
      else if (v instanceof Map) next.push(...v.values());
      else if (v instanceof Set) next.push(...v);
      else {
        try {
          next.push(...Object.values(v));
        } catch {
          // exotic object (proxy, host object): nothing to find
        }
      }
    }
    queue = next;
  }
  return { tensors, models };
}

/** Ids of the tensors the engine will hand out next: tensors made during a run have ids ≥ this. */
export function nextTensorId(tf: typeof tfNs): number {
  const t = tf.scalar(0);
  const id = t.id;
  t.dispose();
  return id + 1;
}

/** Disposes what a run owned (tensors already disposed and models disposed twice are fine). */
export function disposeOwned(tensors: tfNs.Tensor[], models: { dispose(): unknown }[]): void {
  for (const t of tensors) if (!t.isDisposed) t.dispose();
  for (const m of models) {
    try {
      m.dispose();
    } catch {
      // already disposed
    }
  }
}
