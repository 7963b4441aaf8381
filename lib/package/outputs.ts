import type { Task } from '../nodes/types';

/** Predictions for n rows: `values` (regression, original units) or `probs` (n × K, classification). */
export interface Predictions {
  n: number;
  values?: Float32Array;
  probs?: Float32Array;
  classes?: number;
}

/** What the output mapping needs to know about the trained model. */
export interface OutputTarget {
  task: Task;
  labels?: readonly string[];
  targetScale?: { mean: number; std: number };
}

/**
 * Maps the averaged model output (n rows × width, row-major) to predictions: regression values
 * back in target units, a single sigmoid unit to two-class probabilities (it outputs
 * P(labels[1])), softmax rows as they are. The tfjs runner and the compiled forward pass both
 * call it, so the two paths cannot answer differently.
 */
export function outputsToPredictions(avg: Float32Array, n: number, width: number, target: OutputTarget): Predictions {
  if (target.task === 'regression') {
    const s = target.targetScale ?? { mean: 0, std: 1 };
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = avg[i * width]! * s.std + s.mean;
    return { n, values };
  }
  if (width === 1) {
    const probs = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      probs[i * 2 + 1] = avg[i]!;
      probs[i * 2] = 1 - avg[i]!;
    }
    return { n, probs, classes: 2 };
  }
  return { n, probs: avg, classes: target.labels?.length ?? Math.max(2, width) };
}
