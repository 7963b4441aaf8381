import { describe, expect, it } from 'vitest';
import { tableFromRecords } from '../data/infer';
import { createRng } from '../rng';
import { CategoricalSketch } from './categorical-sketch';
import { NumericSketch } from './numeric-sketch';
import { mergeTableSketches, RecordSketcher, sketchTable, tableSketchFromJson, tableSketchToJson } from './table-sketch';

function normals(n: number, seed: number, mean = 0, sd = 1): Float64Array {
  const rng = createRng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - rng();
    out[i] = mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
  }
  return out;
}

/** Random split points of [0, n) into `k` parts (some possibly empty). */
function splits(n: number, k: number, seed: number): number[] {
  const rng = createRng(seed);
  const cuts = Array.from({ length: k - 1 }, () => Math.floor(rng() * (n + 1))).sort((a, b) => a - b);
  return [0, ...cuts, n];
}

function relClose(a: number, b: number, tol = 1e-12): void {
  expect(Math.abs(a - b) / Math.max(Math.abs(b), 1e-300)).toBeLessThanOrEqual(tol);
}

/** Everything but mean/m2 must be identical; mean/m2 within 1e-12 relative. */
function expectSameNumeric(merged: NumericSketch, whole: NumericSketch): void {
  const { mean: ma, m2: sa, ...a } = merged.toJSON();
  const { mean: mb, m2: sb, ...b } = whole.toJSON();
  // Strings: a deep toEqual over tens of thousands of bucket counts takes seconds.
  expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  relClose(ma, mb);
  relClose(sa, sb);
}

describe('NumericSketch', () => {
  it('keeps small samples exact: numpy quantiles, population and sample variance', () => {
    const s = new NumericSketch();
    s.addAll([3, 1, 4, 1, 5, 9, 2, 6, NaN]);
    expect(s.count).toBe(8);
    expect(s.isExact).toBe(true);
    expect(s.distinct).toBe(7);
    // np.quantile([3,1,4,1,5,9,2,6], [0.25, 0.5, 0.9]) = 1.75, 3.5, 6.9
    expect(s.quantile(0.25)).toBeCloseTo(1.75, 12);
    expect(s.quantile(0.5)).toBeCloseTo(3.5, 12);
    expect(s.quantile(0.9)).toBeCloseTo(6.9, 12);
    expect(s.mean).toBeCloseTo(3.875, 12);
    expect(s.variance).toBeCloseTo(6.609375, 12); // np.var
    expect(s.sampleVariance).toBeCloseTo(7.553571428571429, 12); // np.var(ddof=1)
  });

  it('merge(parts) equals the whole for random splits: buckets, exact values, min/max exact; mean/var to 1e-12', () => {
    for (let trial = 0; trial < 6; trial++) {
      // mixed signs, zeros, a discrete part and a wide range (collapsing buckets on the small side)
      const base = normals(20_000 + trial * 5_000, 100 + trial, trial - 2, 10 ** (trial % 3));
      const x = new Float64Array(base.length);
      for (let i = 0; i < x.length; i++) x[i] = i % 7 === 0 ? 0 : i % 5 === 0 ? Math.round(base[i]!) : base[i]! * (i % 11 === 0 ? 1e-9 : 1);
      const opts = { maxExact: trial % 3 === 0 ? 30_000 : 5_000 };
      const whole = new NumericSketch(opts);
      whole.addAll(x);
      const cut = splits(x.length, 2 + trial, 7 + trial);
      const parts = cut.slice(0, -1).map((start, k) => {
        const p = new NumericSketch(opts);
        p.addAll(x.subarray(start, cut[k + 1]));
        return p;
      });
      // merge in a shuffled order
      const order = parts.map((_, i) => i).sort((a, b) => ((a * 7919 + trial) % 13) - ((b * 7919 + trial) % 13));
      const merged = new NumericSketch(opts);
      for (const i of order) merged.merge(parts[i]!);
      expectSameNumeric(merged, whole);
      expect(merged.isExact).toBe(opts.maxExact === 30_000);
    }
  });

  it('stays exact across a merge while the union has few distinct values, and overflows when it does not', () => {
    const a = new NumericSketch({ maxExact: 3 });
    a.addAll([1, 1, 2]);
    const b = new NumericSketch({ maxExact: 3 });
    b.addAll([2, 3]);
    expect(a.clone().merge(b).toJSON().exact).toEqual([[1, 2], [2, 2], [3, 1]]);
    const c = new NumericSketch({ maxExact: 3 });
    c.addAll([4]);
    expect(a.clone().merge(b).merge(c).isExact).toBe(false);
    const whole = new NumericSketch({ maxExact: 3 });
    whole.addAll([1, 1, 2, 2, 3, 4]);
    expectSameNumeric(a.clone().merge(c).merge(b), whole);
  });

  it('round-trips through JSON and keeps accepting values the same way', () => {
    const x = normals(50_000, 3, 5, 2);
    const s = new NumericSketch();
    s.addAll(x.subarray(0, 25_000));
    const back = NumericSketch.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    back.addAll(x.subarray(25_000));
    const whole = new NumericSketch();
    whole.addAll(x);
    expectSameNumeric(back, whole);
  });

  it('estimates quantiles of a large sample within the relative accuracy', () => {
    const x = normals(200_000, 9, 100, 15);
    const s = new NumericSketch();
    s.addAll(x);
    const sorted = Float64Array.from(x).sort();
    for (const q of [0.01, 0.25, 0.5, 0.75, 0.99]) {
      const truth = sorted[Math.floor(q * (x.length - 1))]!;
      expect(Math.abs(s.quantile(q) - truth) / truth).toBeLessThanOrEqual(s.relativeAccuracy + 1e-12);
    }
  });

  it('rejects a bad sketch naming the field, and a merge of different accuracies', () => {
    expect(() => NumericSketch.fromJSON({ ...new NumericSketch().toJSON(), count: -1 })).toThrow(/numeric sketch at count/);
    const s = new NumericSketch();
    s.add(1);
    expect(() => NumericSketch.fromJSON({ ...s.toJSON(), count: 2 })).toThrow(/buckets hold 1 values but count is 2/);
    expect(() => new NumericSketch({ relativeAccuracy: 0.01 }).merge(new NumericSketch())).toThrow(/relativeAccuracy 0.01 vs 0.0002/);
  });

  it('sketches a million values well under a second', () => {
    const x = normals(1_000_000, 11);
    const t0 = performance.now();
    const s = new NumericSketch();
    s.addAll(x);
    const ms = performance.now() - t0;
    expect(s.count).toBe(1_000_000);
    expect(ms).toBeLessThan(500);
  });
});

describe('CategoricalSketch', () => {
  function values(n: number, distinct: number, seed: number): string[] {
    const rng = createRng(seed);
    // skewed: a few frequent categories and a long tail
    return Array.from({ length: n }, () => `c${Math.floor(distinct * rng() ** 3)}`);
  }

  it('counts exactly below the bound, most frequent first', () => {
    const s = new CategoricalSketch();
    expect(s.addAll(['b', 'a', null, 'b', 'c', 'a', 'b'])).toBe(1);
    expect(s.toJSON()).toEqual({ kind: 'categorical', maxCategories: 1000, count: 6, other: 0, overflowed: false, categories: [['b', 3], ['a', 2], ['c', 1]] });
    expect(s.distinct).toBe(3);
  });

  it('merge(parts) equals the whole exactly, below and beyond the bound, in any order', () => {
    for (const [distinct, k] of [[50, 100], [5_000, 200], [3_000, 1_000]] as const) {
      const v = values(30_000, distinct, distinct + k);
      const whole = new CategoricalSketch({ maxCategories: k });
      whole.addAll(v);
      const cut = splits(v.length, 5, k);
      const parts = cut.slice(0, -1).map((s, i) => {
        const p = new CategoricalSketch({ maxCategories: k });
        p.addAll(v.slice(s, cut[i + 1]));
        return p;
      });
      const fwd = new CategoricalSketch({ maxCategories: k });
      for (const p of parts) fwd.merge(p);
      const back = new CategoricalSketch({ maxCategories: k });
      for (const p of [...parts].reverse()) back.merge(p);
      expect(fwd.toJSON()).toEqual(whole.toJSON());
      expect(back.toJSON()).toEqual(whole.toJSON());
      expect(whole.overflowed).toBe(new Set(v).size > k);
    }
  });

  it('estimates distinct values beyond the bound within a few percent (KMV)', () => {
    const s = new CategoricalSketch({ maxCategories: 1_000 });
    for (let i = 0; i < 200_000; i++) s.add(`user-${i % 50_000}`);
    expect(s.overflowed).toBe(true);
    expect(Math.abs(s.distinct - 50_000) / 50_000).toBeLessThan(0.1);
    expect(s.count).toBe(200_000);
    expect(s.other + s.categories().reduce((a, [, c]) => a + c, 0)).toBe(200_000);
  });

  it('round-trips through JSON and rejects counts that do not add up', () => {
    const s = new CategoricalSketch({ maxCategories: 10 });
    s.addAll(values(1_000, 40, 1));
    const back = CategoricalSketch.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    back.add('c1');
    s.add('c1');
    expect(back.toJSON()).toEqual(s.toJSON());
    expect(() => CategoricalSketch.fromJSON({ ...s.toJSON(), other: 0 })).toThrow(/categorical sketch at count: categories/);
  });
});

describe('table sketches', () => {
  const records = [
    { hp: 130, origin: 'USA', ok: true, when: '1970-01-01' },
    { hp: '95', origin: 'Japan', ok: 'no', when: null },
    { hp: null, origin: 'Europe', ok: false, when: '1971-02-03' },
    { hp: 'fast', origin: null, ok: true, when: '1972-03-04', extra: 1 },
  ];
  const schema = [
    { name: 'hp', type: 'numeric' as const, nullable: true },
    { name: 'origin', type: 'categorical' as const, nullable: true },
    { name: 'ok', type: 'boolean' as const, nullable: false },
    { name: 'when', type: 'date' as const, nullable: true },
  ];

  it('sketches raw records by the schema: invalid cells counted, not sketched; raw kinds and extra fields recorded', () => {
    const r = new RecordSketcher(schema);
    for (const rec of records) r.add(rec);
    const [hp, origin, ok, when] = r.sketch().columns;
    expect(hp).toMatchObject({ rows: 4, missing: 1, invalid: 1, kinds: { number: 2, string: 1 } });
    expect(hp!.numeric!.toJSON().exact).toEqual([[95, 1], [130, 1]]);
    expect(origin).toMatchObject({ missing: 1, invalid: 0 });
    expect(ok!.numeric!.mean).toBeCloseTo(0.5, 12);
    expect(when!.numeric!.min).toBe(0);
    expect(r.extraFields.get('extra')).toBe(1);
  });

  it('merges parts with a column missing on one side as missing rows, and round-trips JSON', () => {
    const t = tableFromRecords(records.slice(0, 3).map(({ hp, origin }) => ({ hp, origin })), { schema: schema.slice(0, 2) });
    const whole = sketchTable(t);
    const a = sketchTable(tableFromRecords(records.slice(0, 2).map(({ hp, origin }) => ({ hp, origin })), { schema: schema.slice(0, 2) }));
    const b = sketchTable(tableFromRecords([{ hp: null, origin: 'Europe' }], { schema: schema.slice(0, 2) }));
    expect(tableSketchToJson(mergeTableSketches(a, b))).toEqual(tableSketchToJson(whole));
    const onlyHp = sketchTable(tableFromRecords([{ hp: 1 }]));
    const m = mergeTableSketches(a, onlyHp);
    expect(m.columns.find((c) => c.name === 'origin')).toMatchObject({ rows: 3, missing: 1 });
    const json = JSON.parse(JSON.stringify(tableSketchToJson(m)));
    expect(tableSketchToJson(tableSketchFromJson(json))).toEqual(json);
    expect(() => tableSketchFromJson({ ...json, version: 2 })).toThrow(/table sketch at version/);
    json.columns[1].type = 'numeric';
    expect(() => tableSketchFromJson(json)).toThrow(/columns.1 \("origin"\) at values.kind/);
  });
});
