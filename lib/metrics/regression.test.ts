import { describe, expect, it } from 'vitest';
import { KilnError } from '../errors';
import { mae, mape, mse, r2, regressionMetrics, rmse } from './regression';

// References from scikit-learn 1.9.1: r2_score, root_mean_squared_error, mean_absolute_error,
// mean_squared_error; MAPE = mean_absolute_percentage_error on the rows with y != 0.
const y = [3, -0.5, 2, 7, 0, 4.2];
const p = [2.5, 0.0, 2, 8, 0.3, 3.9];

describe('regression metrics', () => {
  it('match sklearn', () => {
    expect(r2(y, p)).toBeCloseTo(0.9567103285376852, 12);
    expect(rmse(y, p)).toBeCloseTo(0.5291502622129182, 12);
    expect(mae(y, p)).toBeCloseTo(0.43333333333333335, 12);
    expect(mse(Float64Array.from(y), Float64Array.from(p))).toBeCloseTo(0.28, 12);
  });

  it('MAPE leaves out zero targets and is NaN when all are zero', () => {
    expect(mape(y, p)).toBeCloseTo(0.2761904761904762, 12);
    expect(mape([0, 0], [1, 2])).toBeNaN();
    expect(mape([1e-13, 2], [5, 3])).toBeCloseTo(0.5, 12);
  });

  it('R² on constant truth follows sklearn force_finite', () => {
    expect(r2([2, 2, 2], [2, 2, 2])).toBe(1);
    expect(r2([2, 2, 2], [1, 2, 3])).toBe(0);
    expect(r2([1, 2, 3], [3, 2, 1])).toBeCloseTo(-3, 12);
  });

  it('propagates NaN predictions rather than hiding them', () => {
    const m = regressionMetrics([1, 2, 3], [1, NaN, 3]);
    for (const k of ['r2', 'rmse', 'mae', 'mape']) expect(m[k as keyof typeof m]).toBeNaN();
  });

  it('rejects mismatched or empty inputs', () => {
    expect(() => rmse([1, 2], [1])).toThrow(KilnError);
    expect(() => rmse([1, 2], [1])).toThrow('rmse: 2 true values but 1 predictions');
    expect(() => r2([], [])).toThrow('r2: no rows to score');
  });
});
