import { describe, expect, it } from 'vitest';
import { parseTable } from './infer';
import { loadBuiltinDataset } from './node';
import { columnStats, histogram, tableStats, type CategoricalStats, type NumericStats } from './stats';
import type { Column } from './table';

const num = (name: string, values: number[]): Column => ({ name, type: 'numeric', values: Float64Array.from(values) });

function numeric(s: ReturnType<typeof columnStats>): NumericStats {
  if (s.type === 'categorical') throw new Error('expected numeric stats');
  return s;
}

describe('numeric column stats', () => {
  it('matches numpy on a small column with missing values', () => {
    // numpy: x.mean(), x.std(ddof=1), np.quantile(x, [.05,.25,.5,.75,.95]), np.histogram(x, 4)
    const s = numeric(columnStats(num('x', [3, NaN, 1, 4, 1, 5, 9, NaN, 2, 6]), { bins: 4 }));
    expect(s.count).toBe(8);
    expect(s.missing).toBe(2);
    expect(s.mean).toBeCloseTo(3.875, 12);
    expect(s.std).toBeCloseTo(2.748376143938713, 12);
    expect(s.min).toBe(1);
    expect(s.max).toBe(9);
    expect(s.quantiles.p05).toBeCloseTo(1.0, 12);
    expect(s.quantiles.p25).toBeCloseTo(1.75, 12);
    expect(s.quantiles.p50).toBeCloseTo(3.5, 12);
    expect(s.quantiles.p75).toBeCloseTo(5.25, 12);
    expect(s.quantiles.p95).toBeCloseTo(7.949999999999998, 12);
    expect(s.histogram).toEqual({ edges: [1, 3, 5, 7, 9], counts: [3, 2, 2, 1] });
  });

  it('widens a constant column to value ± 0.5 like numpy', () => {
    const h = histogram([7, 7, 7], 3);
    expect(h.counts).toEqual([0, 3, 0]);
    expect(h.edges[0]).toBe(6.5);
    expect(h.edges[3]).toBe(7.5);
    const s = numeric(columnStats(num('c', [7])));
    expect(s.std).toBeNaN();
    expect(s.quantiles.p95).toBe(7);
  });

  it('gives NaN statistics and an empty histogram when every value is missing', () => {
    const s = numeric(columnStats(num('m', [NaN, NaN])));
    expect(s).toMatchObject({ count: 0, missing: 2, histogram: { edges: [], counts: [] } });
    expect(s.mean).toBeNaN();
    expect(s.min).toBeNaN();
    expect(s.quantiles.p50).toBeNaN();
  });

  it('is exact on a million rows', () => {
    const n = 1_000_000;
    const values = new Float64Array(n);
    // reversed so the implementation has to sort
    for (let i = 0; i < n; i++) values[i] = n - 1 - i;
    const s = numeric(columnStats({ name: 'big', type: 'numeric', values }));
    expect(s.mean).toBe(499999.5);
    // numpy: np.arange(1e6).std(ddof=1) and np.quantile(..., [.05, .5, .95])
    expect(s.std).toBeCloseTo(288675.27893234405, 6);
    expect(s.quantiles.p05).toBeCloseTo(49999.95, 6);
    expect(s.quantiles.p50).toBe(499999.5);
    expect(s.quantiles.p95).toBeCloseTo(949999.05, 6);
    expect(s.histogram.counts.every((c) => c === 50_000)).toBe(true);
    expect(values[0]).toBe(n - 1); // input not sorted in place
  });
});

describe('categorical column stats', () => {
  it('counts unique values and orders the top list by count, then value', () => {
    const s = columnStats({ name: 'c', type: 'categorical', values: ['b', 'a', null, 'b', 'c', 'a', 'b', null] }, { topK: 2 });
    expect(s).toEqual({
      name: 'c',
      type: 'categorical',
      count: 6,
      missing: 2,
      unique: 3,
      top: [
        { value: 'b', count: 3 },
        { value: 'a', count: 2 },
      ],
    } satisfies CategoricalStats);
  });
});

describe('stats of real datasets', () => {
  it('cars.json Horsepower and Origin match values computed with numpy', async () => {
    const stats = tableStats(parseTable(await loadBuiltinDataset('cars')));
    expect(stats.nRows).toBe(406);
    const hp = numeric(stats.columns.find((c) => c.name === 'Horsepower')!);
    expect(hp.count).toBe(400);
    expect(hp.missing).toBe(6);
    expect(hp.mean).toBeCloseTo(105.0825, 10);
    expect(hp.std).toBeCloseTo(38.768779183105195, 10);
    expect([hp.min, hp.max]).toEqual([46, 230]);
    expect(hp.quantiles).toEqual({ p05: 60, p25: 75.75, p50: 95, p75: 130, p95: 180 });
    expect(hp.histogram.counts).toEqual([14, 14, 55, 40, 67, 53, 35, 11, 8, 11, 19, 30, 8, 6, 12, 4, 3, 2, 4, 4]);
    expect(hp.histogram.edges[1]).toBeCloseTo(55.2, 12);
    const origin = stats.columns.find((c) => c.name === 'Origin') as CategoricalStats;
    expect(origin.top).toEqual([
      { value: 'USA', count: 254 },
      { value: 'Japan', count: 79 },
      { value: 'Europe', count: 73 },
    ]);
  });

  it('seattle-weather.csv precipitation and weather', async () => {
    const stats = tableStats(parseTable(await loadBuiltinDataset('seattle-weather')));
    const p = numeric(stats.columns.find((c) => c.name === 'precipitation')!);
    expect(p.count).toBe(1461);
    expect(p.mean).toBeCloseTo(3.02943189596167, 10);
    expect(p.std).toBeCloseTo(6.680194322314738, 10);
    expect(p.quantiles.p50).toBe(0);
    const w = stats.columns.find((c) => c.name === 'weather') as CategoricalStats;
    expect(w.unique).toBe(5);
    expect(w.top[0]).toEqual({ value: 'rain', count: 641 });
  });
});
