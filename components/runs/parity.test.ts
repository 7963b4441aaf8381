import { describe, expect, it } from 'vitest';
import { parityRows } from './parity';

describe('parityRows', () => {
  it('flags metrics whose relative difference exceeds the tolerance and keeps one-sided ones unflagged', () => {
    const rows = parityRows({ rmse: 3.3, r2: 0.8, only_browser: 1 }, { rmse: 3.0, r2: 0.81, mape: 0.1 });
    const by = Object.fromEntries(rows.map((r) => [r.metric, r]));
    expect(rows.map((r) => r.metric)).toEqual(['mape', 'only_browser', 'r2', 'rmse']);
    expect(by.rmse!.flagged).toBe(true);
    expect(by.rmse!.relDiff).toBeCloseTo(0.1, 10);
    expect(by.r2!.flagged).toBe(false);
    expect(by.mape).toMatchObject({ browser: null, server: 0.1, relDiff: null, flagged: false });
    expect(by.only_browser).toMatchObject({ browser: 1, server: null, flagged: false });
  });

  it('honours a custom tolerance, treats NaN as missing and never flags equal zeros', () => {
    expect(parityRows({ a: 1.04 }, { a: 1 }, 0.03)[0]!.flagged).toBe(true);
    expect(parityRows({ a: 1.04 }, { a: 1 })[0]!.flagged).toBe(false);
    expect(parityRows({ a: Number.NaN }, { a: 1 })[0]).toMatchObject({ browser: null, flagged: false });
    expect(parityRows({ a: 0 }, { a: 0 })[0]!.flagged).toBe(false);
  });
});
