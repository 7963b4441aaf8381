import { KilnError } from '../errors';

/** Numeric vectors metrics accept. */
export type Vector = ArrayLike<number>;

/** Metric inputs must pair up and be non-empty: a mismatch is a wiring bug worth a clear message. */
export function checkPaired(metric: string, yTrue: Vector, yPred: { length: number }): void {
  if (yTrue.length !== yPred.length) {
    throw new KilnError(
      'METRIC_INPUT',
      `${metric}: ${yTrue.length} true values but ${yPred.length} predictions`,
      { path: metric },
    );
  }
  if (yTrue.length === 0) {
    throw new KilnError('METRIC_INPUT', `${metric}: no rows to score`, { path: metric });
  }
}
