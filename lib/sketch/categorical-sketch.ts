/**
 * A mergeable sketch of one categorical column: exact counts of up to `maxCategories` distinct
 * values, an "other" count for the rest, and a distinct-count estimate beyond the bound.
 *
 * Which categories keep exact counts once there are too many is decided by a hash, not by arrival
 * order: the sketch keeps the `maxCategories` values with the smallest 53-bit hashes (a bottom-k
 * or KMV sample, as in Apache DataSketches' theta sketch). That set depends only on the set of
 * distinct values, so the sketch of a whole equals the merge of its parts' sketches exactly, in
 * any order; a first-come bound would keep different categories for different splits. The same
 * sample gives the distinct count beyond the bound, (k − 1) / θ with θ the k-th smallest hash as
 * a fraction of 2^53 (Bar-Yossef et al. 2002; relative standard error ≈ 1/√(k − 2), 3 % at
 * k = 1,000). A separate HyperLogLog would repeat that information, and no npm package fits:
 * `bloom-filters` installs `reflect-metadata`'s global polyfill and hashes with a pure-JS 64-bit
 * xxhash; `hyperloglog-lite` needs a native addon, which the browser cannot load.
 */
import { z } from 'zod';
import { KilnError } from '../errors';

export const DEFAULT_MAX_CATEGORIES = 1_000;

const TWO_53 = 2 ** 53;

/**
 * cyrb53 (bryc, public domain): a fast 53-bit string hash from two 32-bit Math.imul lanes.
 * Isomorphic and allocation-free; 53 bits keep collisions negligible for KMV estimates.
 */
export function hash53(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Order of the bottom-k sample: by hash, ties (distinct strings, same hash) by code units. */
function before(ha: number, a: string, hb: number, b: string): boolean {
  return ha < hb || (ha === hb && a < b);
}

export const categoricalSketchJsonSchema = z.object({
  kind: z.literal('categorical'),
  maxCategories: z.number().int().positive(),
  /** non-missing values */
  count: z.number().int().nonnegative(),
  /** values not among the kept categories */
  other: z.number().int().nonnegative(),
  /** whether more than maxCategories distinct values were seen */
  overflowed: z.boolean(),
  /** [value, count], most frequent first, ties in code-unit order */
  categories: z.array(z.tuple([z.string(), z.number().int().positive()])),
});
export type CategoricalSketchJson = z.infer<typeof categoricalSketchJsonSchema>;

interface Entry {
  count: number;
  hash: number;
}

export class CategoricalSketch {
  readonly maxCategories: number;
  count = 0;
  other = 0;
  overflowed = false;
  private readonly entries = new Map<string, Entry>();
  /** the largest kept hash and its value, once overflowed (values above it go to `other`) */
  private maxHash = -1;
  private maxValue = '';

  constructor(opts: { maxCategories?: number } = {}) {
    this.maxCategories = opts.maxCategories ?? DEFAULT_MAX_CATEGORIES;
  }

  /** Adds one non-missing value. */
  add(v: string, weight = 1): void {
    this.count += weight;
    const e = this.entries.get(v);
    if (e !== undefined) {
      e.count += weight;
      return;
    }
    this.admit(v, hash53(v), weight);
  }

  /** Adds the non-null values of an array; returns how many were null. */
  addAll(values: readonly (string | null)[]): number {
    let missing = 0;
    for (const v of values) {
      if (v === null) missing++;
      else this.add(v);
    }
    return missing;
  }

  private admit(v: string, h: number, weight: number): void {
    if (this.overflowed && !before(h, v, this.maxHash, this.maxValue)) {
      this.other += weight;
      return;
    }
    this.entries.set(v, { count: weight, hash: h });
    if (this.entries.size > this.maxCategories) {
      this.overflowed = true;
      this.evictLargest();
    }
  }

  /** Moves the kept value with the largest hash to `other` and recomputes the largest. */
  private evictLargest(): void {
    let worst = '';
    let worstHash = -1;
    for (const [v, e] of this.entries) {
      if (worstHash < 0 || before(worstHash, worst, e.hash, v)) {
        worst = v;
        worstHash = e.hash;
      }
    }
    this.other += this.entries.get(worst)!.count;
    this.entries.delete(worst);
    this.maxHash = -1;
    for (const [v, e] of this.entries) {
      if (this.maxHash < 0 || before(this.maxHash, this.maxValue, e.hash, v)) {
        this.maxHash = e.hash;
        this.maxValue = v;
      }
    }
  }

  /** Exact count of `v`, or undefined when `v` is not kept (unseen, or counted in `other`). */
  countOf(v: string): number | undefined {
    return this.entries.get(v)?.count;
  }

  /** Whether `v` is a kept category. */
  has(v: string): boolean {
    return this.entries.has(v);
  }

  /** Kept categories, most frequent first (ties in code-unit order). */
  categories(): [string, number][] {
    return [...this.entries].map(([v, e]): [string, number] => [v, e.count]).sort(byCountThenValue);
  }

  /** Distinct non-missing values: exact until overflow, then the KMV estimate (rounded). */
  get distinct(): number {
    if (!this.overflowed) return this.entries.size;
    const theta = (this.maxHash + 1) / TWO_53;
    return Math.max(this.entries.size + 1, Math.round((this.maxCategories - 1) / theta));
  }

  merge(o: CategoricalSketch): this {
    if (o.maxCategories !== this.maxCategories) {
      throw new KilnError(
        'SKETCH_MISMATCH',
        `categorical sketch merge: maxCategories differ (${this.maxCategories} vs ${o.maxCategories})`,
      );
    }
    this.count += o.count;
    this.other += o.other;
    // Values above either side's threshold are not among the whole's smallest hashes.
    if (o.overflowed && (!this.overflowed || before(o.maxHash, o.maxValue, this.maxHash, this.maxValue))) {
      this.overflowed = true;
      this.maxHash = o.maxHash;
      this.maxValue = o.maxValue;
      for (const [v, e] of this.entries) {
        if (before(this.maxHash, this.maxValue, e.hash, v)) {
          this.other += e.count;
          this.entries.delete(v);
        }
      }
    }
    for (const [v, e] of o.entries) {
      const mine = this.entries.get(v);
      if (mine !== undefined) mine.count += e.count;
      else this.admit(v, e.hash, e.count);
    }
    return this;
  }

  clone(): CategoricalSketch {
    return CategoricalSketch.fromJSON(this.toJSON());
  }

  toJSON(): CategoricalSketchJson {
    return {
      kind: 'categorical',
      maxCategories: this.maxCategories,
      count: this.count,
      other: this.other,
      overflowed: this.overflowed,
      categories: this.categories(),
    };
  }

  /**
   * @param trusted JSON this code wrote itself and stored: the schema check is skipped, the count checks are not.
   * @throws KilnError `SKETCH_INVALID` naming the field when `json` is not a categorical sketch.
   */
  static fromJSON(json: unknown, where = 'categorical sketch', trusted = false): CategoricalSketch {
    let j: CategoricalSketchJson;
    if (trusted) j = json as CategoricalSketchJson;
    else {
      const parsed = categoricalSketchJsonSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const path = issue.path.join('.');
        throw new KilnError('SKETCH_INVALID', `${where} at ${path || '(root)'}: ${issue.message}`, { path });
      }
      j = parsed.data;
    }
    const s = new CategoricalSketch(j);
    if (j.categories.length > j.maxCategories) {
      throw new KilnError('SKETCH_INVALID', `${where} at categories: ${j.categories.length} kept, more than maxCategories ${j.maxCategories}`, { path: 'categories' });
    }
    let kept = 0;
    for (const [v, c] of j.categories) {
      s.entries.set(v, { count: c, hash: hash53(v) });
      kept += c;
    }
    if (kept + j.other !== j.count) {
      throw new KilnError('SKETCH_INVALID', `${where} at count: categories (${kept}) + other (${j.other}) ≠ count (${j.count})`, { path: 'count' });
    }
    s.count = j.count;
    s.other = j.other;
    s.overflowed = j.overflowed;
    if (j.overflowed) {
      s.maxHash = -1;
      for (const [v, e] of s.entries) {
        if (s.maxHash < 0 || before(s.maxHash, s.maxValue, e.hash, v)) {
          s.maxHash = e.hash;
          s.maxValue = v;
        }
      }
    }
    return s;
  }
}

function byCountThenValue(a: [string, number], b: [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}
