/**
 * A mergeable sketch of one numeric column: count, min, max, mean and variance (Welford per
 * value, Chan et al.'s pairwise formula to merge), the exact distinct values with their counts
 * while there are at most `maxExact` of them, and a DDSketch (Masson, Rim & Lee, VLDB 2019:
 * logarithmic buckets, every quantile within a relative error α) for the rest.
 *
 * DDSketch over t-digest: its bucket counts simply add, so merging the sketches of parts gives
 * exactly the sketch of the whole, in any order, which t-digest's clustering does not. The
 * bucket mapping (value → key → representative) is `@datadog/sketches-js`'s LogarithmicMapping;
 * the counts live in {@link BucketStore}: the package's `DDSketch.merge` (2.1.1) drops the other
 * sketch's negative values, its collapsing stores depend on arrival order, and its dense store
 * grows quadratically over wide ranges.
 *
 * The stores are unbounded: a collapsing store (a bin limit) would make the result depend on
 * the order values arrive in. Memory grows with the range of magnitudes,
 * log(max|x| / min|x|) / 2α buckets: 69k for 1e-6..1e6 at α = 0.02 %.
 *
 * Exact values are kept as distinct values with counts rather than as a list of raw values: a
 * small sample stays exact, and so does a discrete column (a year, a count, a 0/1 flag) of any
 * length, whose drift is then computed without bucket error.
 */
import { LogarithmicMapping } from '@datadog/sketches-js/dist/ddsketch/mapping';
import { z } from 'zod';
import { KilnError } from '../errors';
import { BucketStore } from './bucket-store';

/**
 * Defaults: α = 0.02 % (≈ 5,760 buckets per decade of magnitude; 2,000 buckets, 8 KB of JSON,
 * for a million values between 30 and 70) and 5,000 exact values. Wasserstein distances from
 * buckets are within 1e-6 of exact already at α = 0.1 %, but the Jensen–Shannon distance of two
 * nearly equal histograms is a square root near 0 and needs α = 0.02 % to stay within 1e-4.
 */
export const DEFAULT_RELATIVE_ACCURACY = 2e-4;
export const DEFAULT_MAX_EXACT = 5_000;

export interface NumericSketchOptions {
  /** DDSketch relative accuracy α (0 < α < 1) */
  relativeAccuracy?: number;
  /** distinct values kept exactly before only the DDSketch remains */
  maxExact?: number;
}

const storeJsonSchema = z.object({
  /** key of counts[0] */
  minKey: z.number().int(),
  counts: z.array(z.number().nonnegative()),
});

export const numericSketchJsonSchema = z.object({
  kind: z.literal('numeric'),
  relativeAccuracy: z.number().positive().lt(1),
  maxExact: z.number().int().nonnegative(),
  count: z.number().int().nonnegative(),
  /** null when count is 0 (JSON has no Infinity) */
  min: z.number().nullable(),
  max: z.number().nullable(),
  mean: z.number(),
  /** sum of squared deviations from the mean */
  m2: z.number().nonnegative(),
  /** [value, count] ascending by value; null once more than maxExact distinct values were seen */
  exact: z.array(z.tuple([z.number(), z.number().int().positive()])).nullable(),
  positive: storeJsonSchema,
  negative: storeJsonSchema,
  zeroCount: z.number().int().nonnegative(),
});
export type NumericSketchJson = z.infer<typeof numericSketchJsonSchema>;


/** One (value, weight) point of a sketched distribution. */
export interface WeightedPoints {
  /** ascending */
  values: Float64Array;
  weights: Float64Array;
  /** whether the points are the data itself (exact) or bucket representatives */
  exact: boolean;
  /** bucket value ranges [low, high] (bucketed points only) */
  lows?: Float64Array;
  highs?: Float64Array;
}

export class NumericSketch {
  readonly relativeAccuracy: number;
  readonly maxExact: number;
  count = 0;
  min = Infinity;
  max = -Infinity;
  mean = 0;
  m2 = 0;
  /** distinct value → count; null once it overflowed */
  exact: Map<number, number> | null = new Map();
  private readonly mapping: LogarithmicMapping;
  private readonly pos = new BucketStore();
  private readonly neg = new BucketStore();
  private zeroCount = 0;

  constructor(opts: NumericSketchOptions = {}) {
    this.relativeAccuracy = opts.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
    this.maxExact = opts.maxExact ?? DEFAULT_MAX_EXACT;
    if (!(this.relativeAccuracy > 0 && this.relativeAccuracy < 1)) {
      throw new KilnError('SKETCH_INVALID', `numeric sketch at relativeAccuracy: ${this.relativeAccuracy} must be in (0, 1)`);
    }
    this.mapping = new LogarithmicMapping(this.relativeAccuracy);
  }

  /** Adds one finite value (NaN and ±Infinity are the caller's to count as missing/invalid). */
  add(x: number): void {
    const n = ++this.count;
    const d = x - this.mean;
    this.mean += d / n;
    this.m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    const m = this.mapping;
    if (x > m.minPossible) this.pos.add(m.key(x));
    else if (x < -m.minPossible) this.neg.add(m.key(-x));
    else this.zeroCount++;
    const ex = this.exact;
    if (ex !== null) {
      const c = ex.get(x);
      if (c !== undefined) ex.set(x, c + 1);
      else if (ex.size < this.maxExact) ex.set(x, 1);
      else this.exact = null;
    }
  }

  /** Adds every non-NaN value of an array; returns how many were NaN. */
  addAll(values: ArrayLike<number>): number {
    let missing = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (Number.isNaN(v)) missing++;
      else this.add(v);
    }
    return missing;
  }

  /** Population variance (n denominator, numpy's `np.var` default); NaN when empty. */
  get variance(): number {
    return this.count > 0 ? this.m2 / this.count : NaN;
  }

  /** Sample variance (n − 1 denominator); NaN with fewer than 2 values. */
  get sampleVariance(): number {
    return this.count > 1 ? this.m2 / (this.count - 1) : NaN;
  }

  /** Whether the exact distinct values are still known. */
  get isExact(): boolean {
    return this.exact !== null;
  }

  /** Distinct values: exact while known, otherwise undefined (more than maxExact). */
  get distinct(): number | undefined {
    return this.exact?.size;
  }

  /**
   * Quantile q (0..1). Exact (numpy's linear interpolation) while the distinct values are known,
   * otherwise DDSketch's estimate, within α relative error of the rank-⌊q(n−1)⌋ value.
   */
  quantile(q: number): number {
    if (this.count === 0 || !(q >= 0 && q <= 1)) return NaN;
    if (this.exact !== null) {
      const { values, weights } = this.points();
      const pos = q * (this.count - 1);
      const lo = Math.floor(pos);
      const a = valueAtRank(values, weights, lo);
      const b = valueAtRank(values, weights, Math.min(lo + 1, this.count - 1));
      return a + (b - a) * (pos - lo);
    }
    if (q === 0) return this.min;
    if (q === 1) return this.max;
    // DDSketch's rank rule: the bucket holding rank ⌊q(n − 1)⌋ (0-based).
    const { values, weights } = this.points();
    return valueAtRank(values, weights, Math.floor(q * (this.count - 1)));
  }

  /**
   * The distribution as ascending weighted points: the exact values while known, otherwise one
   * point per DDSketch bucket at its representative value, clamped into [min, max].
   */
  points(): WeightedPoints {
    if (this.exact !== null) {
      const keys = [...this.exact.keys()].sort((a, b) => a - b);
      const values = Float64Array.from(keys);
      const weights = new Float64Array(keys.length);
      for (let i = 0; i < keys.length; i++) weights[i] = this.exact.get(keys[i]!)!;
      return { values, weights, exact: true };
    }
    const vs: number[] = [];
    const ws: number[] = [];
    const lows: number[] = [];
    const highs: number[] = [];
    const clamp = (v: number) => Math.min(this.max, Math.max(this.min, v));
    const push = (v: number, w: number, a: number, b: number) => {
      vs.push(clamp(v));
      ws.push(w);
      lows.push(clamp(a));
      highs.push(clamp(b));
    };
    const { mapping } = this;
    // A key's representative is 2γ^i/(1+γ) for the range (γ^(i−1), γ^i].
    const high = (k: number) => (mapping.value(k) * (1 + mapping.gamma)) / 2;
    const neg = this.neg;
    for (let k = neg.maxKey; k >= neg.minKey; k--) {
      const w = neg.get(k);
      if (w > 0) push(-mapping.value(k), w, -high(k), -high(k) / mapping.gamma);
    }
    if (this.zeroCount > 0) push(0, this.zeroCount, 0, 0);
    const pos = this.pos;
    for (let k = pos.minKey; k <= pos.maxKey; k++) {
      const w = pos.get(k);
      if (w > 0) push(mapping.value(k), w, high(k) / mapping.gamma, high(k));
    }
    return {
      values: Float64Array.from(vs),
      weights: Float64Array.from(ws),
      exact: false,
      lows: Float64Array.from(lows),
      highs: Float64Array.from(highs),
    };
  }

  /** Adds another sketch into this one (same options required). */
  merge(o: NumericSketch): this {
    if (o.relativeAccuracy !== this.relativeAccuracy || o.maxExact !== this.maxExact) {
      throw new KilnError(
        'SKETCH_MISMATCH',
        `numeric sketch merge: options differ (relativeAccuracy ${this.relativeAccuracy} vs ${o.relativeAccuracy}, maxExact ${this.maxExact} vs ${o.maxExact})`,
      );
    }
    if (o.count === 0) return this;
    // Chan, Golub & LeVeque's pairwise update of mean and M2.
    const n = this.count + o.count;
    const delta = o.mean - this.mean;
    this.mean = this.count === 0 ? o.mean : this.mean + (delta * o.count) / n;
    this.m2 = this.m2 + o.m2 + (delta * delta * this.count * o.count) / n;
    this.count = n;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
    this.pos.merge(o.pos);
    this.neg.merge(o.neg);
    this.zeroCount += o.zeroCount;
    if (this.exact !== null) {
      if (o.exact === null) this.exact = null;
      else {
        for (const [v, c] of o.exact) {
          const mine = this.exact.get(v);
          if (mine !== undefined) this.exact.set(v, mine + c);
          else if (this.exact.size < this.maxExact) this.exact.set(v, c);
          else {
            this.exact = null;
            break;
          }
        }
      }
    }
    return this;
  }

  clone(): NumericSketch {
    return NumericSketch.fromJSON(this.toJSON());
  }

  toJSON(): NumericSketchJson {
    return {
      kind: 'numeric',
      relativeAccuracy: this.relativeAccuracy,
      maxExact: this.maxExact,
      count: this.count,
      min: this.count > 0 ? this.min : null,
      max: this.count > 0 ? this.max : null,
      mean: this.mean,
      m2: this.m2,
      exact: this.exact === null ? null : [...this.exact.entries()].sort((a, b) => a[0] - b[0]),
      positive: storeToJson(this.pos),
      negative: storeToJson(this.neg),
      zeroCount: this.zeroCount,
    };
  }

  /**
   * @param trusted JSON this code wrote itself and stored (the server's prediction rollup): the
   * schema check, most of the cost of reading a sketch with thousands of buckets, is skipped; the
   * bucket total is still checked against the count.
   * @throws KilnError `SKETCH_INVALID` naming the field when `json` is not a numeric sketch.
   */
  static fromJSON(json: unknown, where = 'numeric sketch', trusted = false): NumericSketch {
    let j: NumericSketchJson;
    if (trusted) j = json as NumericSketchJson;
    else {
      const parsed = numericSketchJsonSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new KilnError('SKETCH_INVALID', `${where} at ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
          path: issue.path.join('.'),
        });
      }
      j = parsed.data;
    }
    const s = new NumericSketch(j);
    s.count = j.count;
    s.min = j.min ?? Infinity;
    s.max = j.max ?? -Infinity;
    s.mean = j.mean;
    s.m2 = j.m2;
    s.exact = j.exact === null ? null : new Map(j.exact);
    storeFromJson(s.pos, j.positive);
    storeFromJson(s.neg, j.negative);
    s.zeroCount = j.zeroCount;
    const bucketed = s.pos.total + s.neg.total + j.zeroCount;
    if (bucketed !== j.count) {
      throw new KilnError('SKETCH_INVALID', `${where} at count: buckets hold ${bucketed} values but count is ${j.count}`);
    }
    return s;
  }
}

function valueAtRank(values: Float64Array, weights: Float64Array, rank: number): number {
  let seen = 0;
  for (let i = 0; i < values.length; i++) {
    seen += weights[i]!;
    if (rank < seen) return values[i]!;
  }
  return values[values.length - 1]!;
}

function storeToJson(s: BucketStore): z.infer<typeof storeJsonSchema> {
  if (s.total === 0) return { minKey: 0, counts: [] };
  const counts: number[] = [];
  for (let k = s.minKey; k <= s.maxKey; k++) counts.push(s.get(k));
  return { minKey: s.minKey, counts };
}

function storeFromJson(s: BucketStore, j: z.infer<typeof storeJsonSchema>): void {
  for (let i = 0; i < j.counts.length; i++) {
    const c = j.counts[i]!;
    if (c > 0) s.add(j.minKey + i, c);
  }
}
