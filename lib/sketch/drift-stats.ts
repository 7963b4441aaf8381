/**
 * The drift statistics, each computed from sketched distributions (weighted points for numeric
 * columns, category counts for categorical ones) exactly as the named SciPy function computes it
 * on the raw samples whenever the sketches are exact.
 */
import erfc from '@stdlib/math-base-special-erfc';
import gammainc from '@stdlib/math-base-special-gammainc';
import type { WeightedPoints } from './numeric-sketch';

/** Upper tail of χ²(dof): Boost's regularised incomplete gamma keeps small p-values' digits. */
export function chi2Sf(x: number, dof: number): number {
  if (dof <= 0) return NaN;
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  return gammainc(x / 2, dof / 2, true, true);
}

/** Two-sided normal tail 2·(1 − Φ(|z|)). */
export function normalTwoSided(z: number): number {
  return erfc(Math.abs(z) / Math.SQRT2);
}

/**
 * `scipy.stats.wasserstein_distance(u, v, u_weights, v_weights)`: ∫|U − V| dx over the merged
 * support, with U, V the weighted empirical CDFs.
 */
export function wassersteinDistance(u: WeightedPoints, v: WeightedPoints): number {
  const nu = sum(u.weights);
  const nv = sum(v.weights);
  let i = 0;
  let j = 0;
  let cu = 0;
  let cv = 0;
  let prev = NaN;
  let acc = 0;
  let comp = 0;
  while (i < u.values.length || j < v.values.length) {
    const x = j >= v.values.length || (i < u.values.length && u.values[i]! <= v.values[j]!) ? u.values[i]! : v.values[j]!;
    if (!Number.isNaN(prev)) {
      // Neumaier summation: a million small terms otherwise lose the 1e-12 digits we promise.
      const term = Math.abs(cu / nu - cv / nv) * (x - prev);
      const t = acc + term;
      comp += Math.abs(acc) >= Math.abs(term) ? acc - t + term : term - t + acc;
      acc = t;
    }
    while (i < u.values.length && u.values[i]! === x) cu += u.weights[i++]!;
    while (j < v.values.length && v.values[j]! === x) cv += v.weights[j++]!;
    prev = x;
  }
  return acc + comp;
}

/**
 * `scipy.spatial.distance.jensenshannon(p, q, base)`: √(JS divergence), natural log unless a
 * base is given. `p` and `q` are normalised first; a 0 against a positive entry contributes 0.
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base?: number): number {
  const sp = sum(p);
  const sq = sum(q);
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp;
    const b = q[i]! / sq;
    const m = (a + b) / 2;
    if (a > 0) js += a * Math.log(a / m);
    if (b > 0) js += b * Math.log(b / m);
  }
  let d = js / 2;
  if (base !== undefined) d /= Math.log(base);
  return Math.sqrt(Math.max(d, 0));
}

export interface ChiResult {
  statistic: number;
  pValue: number;
  dof: number;
}

/** `scipy.stats.chisquare(f_obs, f_exp)`: Pearson's goodness of fit, k − 1 degrees of freedom. */
export function chisquare(obs: ArrayLike<number>, exp: ArrayLike<number>): ChiResult {
  let stat = 0;
  for (let i = 0; i < obs.length; i++) {
    const d = obs[i]! - exp[i]!;
    stat += (d * d) / exp[i]!;
  }
  const dof = obs.length - 1;
  return { statistic: stat, pValue: chi2Sf(stat, dof), dof };
}

/**
 * `scipy.stats.chi2_contingency([a, b])` on a 2×k table (correction=True: Yates' continuity
 * correction when there is one degree of freedom). Columns that are 0 in both rows must be
 * dropped by the caller, as SciPy rejects them.
 */
export function chi2Contingency2xK(a: ArrayLike<number>, b: ArrayLike<number>): ChiResult {
  const k = a.length;
  const ra = sum(a);
  const rb = sum(b);
  const n = ra + rb;
  const dof = k - 1;
  if (dof === 0) return { statistic: 0, pValue: 1, dof };
  let stat = 0;
  for (let j = 0; j < k; j++) {
    const col = a[j]! + b[j]!;
    for (const [o, r] of [[a[j]!, ra], [b[j]!, rb]] as const) {
      const e = (r * col) / n;
      let d = o - e;
      if (dof === 1) d = Math.sign(d) * Math.max(Math.abs(d) - 0.5, 0);
      stat += (d * d) / e;
    }
  }
  return { statistic: stat, pValue: chi2Sf(stat, dof), dof };
}

/**
 * Evidently's two-proportion z statistic: share of "not the first category" in each sample,
 * pooled standard error.
 */
export function proportionsZ(ref1: number, nRef: number, cur1: number, nCur: number): number {
  const p1 = ref1 / nRef;
  const p2 = cur1 / nCur;
  const P = (p1 * nRef + p2 * nCur) / (nRef + nCur);
  return (p1 - p2) / Math.sqrt(P * (1 - P) * (1 / nRef + 1 / nCur));
}

/**
 * `np.histogram_bin_edges(x, 'sturges')` for n values in [min, max] (float data):
 * width ptp/(log2 n + 1), ⌈ptp/width⌉ equal bins; one bin over min ± 0.5 when ptp is 0.
 */
export function sturgesEdges(min: number, max: number, n: number): Float64Array {
  let lo = min;
  let hi = max;
  let bins = 1;
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  } else {
    const width = (max - min) / (Math.log2(n) + 1);
    bins = Math.ceil((max - min) / width);
  }
  const edges = new Float64Array(bins + 1);
  const step = (hi - lo) / bins;
  for (let k = 0; k <= bins; k++) edges[k] = k * step + lo;
  edges[bins] = hi;
  return edges;
}

/**
 * Weighted `np.histogram(values, edges)[0]`: bin k holds edges[k] ≤ x < edges[k+1], the last
 * closed. A DDSketch bucket that straddles edges is shared between the bins in proportion to
 * the overlap of its value range (values taken as uniform within a bucket), which keeps the
 * binned shares of a million bucketed values within 1e-4 of the exact ones.
 */
export function histogramCounts(p: WeightedPoints, edges: Float64Array): Float64Array {
  const bins = edges.length - 1;
  const lo = edges[0]!;
  const hi = edges[bins]!;
  const out = new Float64Array(bins);
  for (let i = 0; i < p.values.length; i++) {
    const w = p.weights[i]!;
    const a = p.lows ? p.lows[i]! : p.values[i]!;
    const b = p.highs ? p.highs[i]! : p.values[i]!;
    if (a === b || !(b > a)) {
      const k = binOf(p.values[i]!, edges, lo, hi);
      if (k >= 0) out[k]! += w;
      continue;
    }
    let k = binOf(Math.max(a, lo), edges, lo, hi);
    const kEnd = binOf(Math.min(b, hi), edges, lo, hi);
    if (k < 0 || kEnd < 0) continue;
    for (; k <= kEnd; k++) {
      const overlap = Math.min(b, edges[k + 1]!) - Math.max(a, edges[k]!);
      if (overlap > 0) out[k]! += (w * overlap) / (b - a);
    }
  }
  return out;
}

function binOf(x: number, edges: Float64Array, lo: number, hi: number): number {
  const bins = edges.length - 1;
  if (!(x >= lo && x <= hi)) return -1;
  let k = Math.floor((x - lo) * (bins / (hi - lo)));
  if (k === bins) k--;
  if (x < edges[k]!) k--;
  else if (k !== bins - 1 && x >= edges[k + 1]!) k++;
  return k;
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}
