import { checkPaired, type Vector } from './check';

/**
 * Regression metrics. Inputs are paired true values and predictions of equal, non-zero length
 * (else KilnError `METRIC_INPUT`). NaN anywhere propagates to the result: a diverged model
 * should read as NaN, not be scored on the rows it happened to get finite.
 */

/** Mean squared error. */
export function mse(yTrue: Vector, yPred: Vector): number {
  checkPaired('mse', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const d = yTrue[i]! - yPred[i]!;
    s += d * d;
  }
  return s / yTrue.length;
}

/** Root mean squared error, in the target's units. */
export function rmse(yTrue: Vector, yPred: Vector): number {
  checkPaired('rmse', yTrue, yPred);
  return Math.sqrt(mse(yTrue, yPred));
}

/** Mean absolute error, in the target's units. */
export function mae(yTrue: Vector, yPred: Vector): number {
  checkPaired('mae', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yTrue[i]! - yPred[i]!);
  return s / yTrue.length;
}

/**
 * Coefficient of determination, 1 − SS_res / SS_tot, as sklearn's `r2_score`: can be negative
 * for a model worse than predicting the mean. When the truth is constant (SS_tot = 0) it is 1
 * for a perfect prediction and 0 otherwise (sklearn's `force_finite=True`).
 */
export function r2(yTrue: Vector, yPred: Vector): number {
  checkPaired('r2', yTrue, yPred);
  const n = yTrue.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i]!;
  mean /= n;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    const t = yTrue[i]!;
    const r = t - yPred[i]!;
    const d = t - mean;
    ssRes += r * r;
    ssTot += d * d;
  }
  if (Number.isNaN(ssRes) || Number.isNaN(ssTot)) return NaN;
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

/** Targets this close to zero have no meaningful relative error. */
export const MAPE_ZERO_TOLERANCE = 1e-12;

/**
 * Mean absolute percentage error as a fraction (0.12 = 12%), mean of |y − ŷ| / |y|.
 *
 * Rows whose target is zero (|y| < 1e-12) are left out of the mean, since their relative error
 * is undefined; if every target is zero the result is NaN (so a gate such as `mape <= 0.45`
 * fails rather than passes). This differs from sklearn's `mean_absolute_percentage_error`,
 * which divides by machine epsilon and reports astronomically large values instead.
 */
export function mape(yTrue: Vector, yPred: Vector): number {
  checkPaired('mape', yTrue, yPred);
  let s = 0;
  let n = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i]!;
    const p = yPred[i]!;
    if (Number.isNaN(t) || Number.isNaN(p)) return NaN;
    const a = Math.abs(t);
    if (a < MAPE_ZERO_TOLERANCE) continue;
    s += Math.abs(t - p) / a;
    n++;
  }
  return n === 0 ? NaN : s / n;
}

export interface RegressionMetrics {
  r2: number;
  rmse: number;
  mae: number;
  mape: number;
  [name: string]: number;
}

/** Every regression metric, keyed by the names gates use (`r2`, `rmse`, `mae`, `mape`). */
export function regressionMetrics(yTrue: Vector, yPred: Vector): RegressionMetrics {
  return { r2: r2(yTrue, yPred), rmse: rmse(yTrue, yPred), mae: mae(yTrue, yPred), mape: mape(yTrue, yPred) };
}
