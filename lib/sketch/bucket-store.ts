/**
 * DDSketch's bucket counts by integer key, in one Float64Array that grows geometrically around
 * the keys seen. `@datadog/sketches-js`'s DenseStore grows by fixed 128-key chunks and shifts its
 * array on each growth, which made 40,000 values spread over 18 decades take half a second and
 * rebuilding that sketch from JSON eleven seconds; here growth is amortised O(1).
 */
export class BucketStore {
  private counts = new Float64Array(0);
  /** key of counts[0] */
  private offset = 0;
  minKey = Infinity;
  maxKey = -Infinity;
  total = 0;

  add(key: number, weight = 1): void {
    let i = key - this.offset;
    if (i < 0 || i >= this.counts.length) {
      this.grow(key);
      i = key - this.offset;
    }
    this.counts[i]! += weight;
    if (key < this.minKey) this.minKey = key;
    if (key > this.maxKey) this.maxKey = key;
    this.total += weight;
  }

  /** Count at `key` (0 outside the range). */
  get(key: number): number {
    const i = key - this.offset;
    return i >= 0 && i < this.counts.length ? this.counts[i]! : 0;
  }

  merge(o: BucketStore): void {
    if (o.total === 0) return;
    for (let k = o.minKey; k <= o.maxKey; k++) {
      const c = o.get(k);
      if (c > 0) this.add(k, c);
    }
  }

  private grow(key: number): void {
    const lo = Math.min(this.minKey, key);
    const hi = Math.max(this.maxKey, key);
    const needed = hi - lo + 1;
    const cap = Math.max(64, needed * 2);
    const next = new Float64Array(cap);
    const offset = lo - Math.floor((cap - needed) / 2);
    if (this.total > 0) next.set(this.counts.subarray(this.minKey - this.offset, this.maxKey - this.offset + 1), this.minKey - offset);
    this.counts = next;
    this.offset = offset;
  }
}
