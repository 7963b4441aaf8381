/**
 * Drift between a reference and a current sketch of each column, with Evidently's default tests
 * and thresholds (evidently/legacy/calculations/stattests, read at commit a4aa4c2 of
 * evidentlyai/evidently):
 *
 * | reference rows | numeric, > 5 distinct | numeric, ≤ 5 distinct | categorical |
 * |---|---|---|---|
 * | ≤ 1,000 | `ks` (p ≤ 0.05) | `chisquare` (3–5 values) or `z` (≤ 2) | `chisquare` or `z` (≤ 2 values) |
 * | > 1,000 | `wasserstein` (≥ 0.1) | `jensenshannon` (≥ 0.1) | `jensenshannon` (≥ 0.1) |
 *
 * Distinct values count over both samples together. Evidently's chi-squared is
 * `scipy.stats.chisquare(current, reference × n_cur/n_ref)`, a goodness-of-fit test against the
 * reference's proportions; `chi2_contingency` (the 2×k homogeneity test) is available by name.
 * Jensen–Shannon uses SciPy's default natural logarithm, as Evidently does (`base=None`), over
 * Sturges bins of both samples for a numeric column with more than 20 reference values, else
 * over the values. Wasserstein is divided by the reference's population std (≥ 0.001).
 * Boolean columns are categorical ("0"/"1"), as Evidently types them.
 *
 * Every statistic comes from sketches. While both sketches hold their exact values (≤ 5,000
 * distinct numbers, ≤ 1,000 categories) the result equals SciPy's on the raw samples; beyond,
 * numeric values are DDSketch bucket representatives (within α = 0.02 % relative) and
 * categories past the bound pool into one "other" category, and the result says `approximate`.
 */
import { z } from 'zod';
import { KilnError } from '../errors';
import {
  chi2Contingency2xK,
  chisquare,
  histogramCounts,
  jensenShannonDistance,
  normalTwoSided,
  proportionsZ,
  sturgesEdges,
  wassersteinDistance,
} from './drift-stats';
import { ks2samp } from './ks';
import type { WeightedPoints } from './numeric-sketch';
import type { ColumnSketch, TableSketch } from './table-sketch';

export const DRIFT_METHODS = ['ks', 'wasserstein', 'chisquare', 'chi2_contingency', 'jensenshannon', 'z'] as const;
export type DriftMethod = (typeof DRIFT_METHODS)[number];

/** Evidently's default thresholds: p-values for the tests, distances for the others. */
export const DEFAULT_THRESHOLDS: Record<DriftMethod, number> = {
  ks: 0.05,
  chisquare: 0.05,
  chi2_contingency: 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
};

/** Whether the method is a test (drift when p is small) rather than a distance (drift when large). */
export function isTestMethod(m: DriftMethod): boolean {
  return m === 'ks' || m === 'chisquare' || m === 'chi2_contingency' || m === 'z';
}

export interface DriftResult {
  column: string;
  method: DriftMethod;
  /** KS D, χ², z, or the distance */
  statistic: number;
  /** tests only */
  pValue?: number;
  threshold: number;
  drifted: boolean;
  /** non-missing values compared */
  referenceCount: number;
  currentCount: number;
  /** computed from bucketed or pooled sketches rather than the exact samples */
  approximate: boolean;
}

export interface FeatureDriftOptions {
  /** force a method instead of Evidently's choice */
  method?: DriftMethod;
  /** threshold for this column (default: the method's) */
  threshold?: number;
}

export interface DriftOptions {
  /** per-column options by name */
  columns?: Record<string, FeatureDriftOptions>;
  /** thresholds per method for every column without its own */
  thresholds?: Partial<Record<DriftMethod, number>>;
  /** share of drifted columns at which the dataset drifts (default 0.5, Evidently's) */
  shareThreshold?: number;
}

/** Drift options as stored with an endpoint (its monitoring settings) and accepted by the API. */
export const driftOptionsSchema = z
  .object({
    columns: z
      .record(
        z.string().min(1).max(200),
        z.object({ method: z.enum(DRIFT_METHODS).optional(), threshold: z.number().positive().finite().optional() }).strict(),
      )
      .optional(),
    thresholds: z.partialRecord(z.enum(DRIFT_METHODS), z.number().positive().finite()).optional(),
    shareThreshold: z.number().gt(0).max(1).optional(),
  })
  .strict();

export interface DatasetDrift {
  columns: DriftResult[];
  /** drifted columns / compared columns (0 when none compared) */
  share: number;
  shareThreshold: number;
  drifted: boolean;
  /** columns of the current sketch with no non-missing values on one side (not compared) */
  skipped: string[];
}

/** Evidently's legacy `_get_default_stattest`, over sketches. */
export function defaultDriftMethod(ref: ColumnSketch, cur: ColumnSketch): DriftMethod {
  const numeric = ref.type === 'numeric' || ref.type === 'date';
  const nValues = unionDistinct(ref, cur);
  const nRef = nonMissing(ref);
  if (nRef <= 1000) {
    if (numeric && nValues > 5) return 'ks';
    return nValues > 2 ? 'chisquare' : 'z';
  }
  if (numeric && nValues > 5) return 'wasserstein';
  return 'jensenshannon';
}

/**
 * Drift of one column between its reference and current sketches.
 * @throws KilnError `DRIFT_METHOD` when the sketches' types differ, a side has no values, or the
 *   method does not apply (a numeric test on a categorical column, `z` on more than 2 values).
 */
export function columnDrift(ref: ColumnSketch, cur: ColumnSketch, opts: FeatureDriftOptions & { thresholds?: DriftOptions['thresholds'] } = {}): DriftResult {
  const column = ref.name;
  if (isNumericType(ref) !== isNumericType(cur)) {
    throw new KilnError('DRIFT_METHOD', `column "${column}": reference is ${ref.type}, current is ${cur.type}`, { column });
  }
  const nRef = nonMissing(ref);
  const nCur = nonMissing(cur);
  if (nRef === 0 || nCur === 0) {
    throw new KilnError('DRIFT_METHOD', `column "${column}": no values in the ${nRef === 0 ? 'reference' : 'current'} sketch`, { column });
  }
  const method = opts.method ?? defaultDriftMethod(ref, cur);
  const threshold = opts.threshold ?? opts.thresholds?.[method] ?? DEFAULT_THRESHOLDS[method];
  const base = { column, method, threshold, referenceCount: nRef, currentCount: nCur };
  switch (method) {
    case 'ks':
    case 'wasserstein': {
      if (!ref.numeric || ref.type === 'boolean') {
        throw new KilnError('DRIFT_METHOD', `column "${column}": ${method} needs a numeric column, not ${ref.type}`, { column });
      }
      const a = ref.numeric.points();
      const b = cur.numeric!.points();
      const approximate = !a.exact || !b.exact;
      if (method === 'ks') {
        const r = ks2samp(a, b);
        return { ...base, statistic: r.statistic, pValue: r.pValue, drifted: r.pValue <= threshold, approximate };
      }
      const norm = Math.max(Math.sqrt(ref.numeric.variance), 0.001);
      const statistic = wassersteinDistance(a, b) / norm;
      return { ...base, statistic, drifted: statistic >= threshold, approximate };
    }
    case 'jensenshannon': {
      const { p, q, approximate } = ref.numeric && ref.type !== 'boolean' && (ref.numeric.distinct ?? Infinity) > 20 ? binned(ref, cur) : categoryTable(ref, cur);
      const statistic = jensenShannonDistance(p, q);
      return { ...base, statistic, drifted: statistic >= threshold, approximate };
    }
    case 'chisquare':
    case 'chi2_contingency': {
      const { p, q, approximate } = categoryTable(ref, cur);
      let r;
      if (method === 'chisquare') {
        const k = nCur / nRef;
        r = chisquare(q, p.map((x) => x * k));
      } else {
        r = chi2Contingency2xK(p, q);
      }
      return { ...base, statistic: r.statistic, pValue: r.pValue, drifted: r.pValue < threshold, approximate };
    }
    case 'z': {
      const t = categoryTable(ref, cur);
      if (t.keys.length > 2) {
        throw new KilnError('DRIFT_METHOD', `column "${column}": the z-test compares two values, the samples have ${t.keys.length}`, { column });
      }
      if (t.keys.length === 1) return { ...base, statistic: 0, pValue: 1, drifted: false, approximate: t.approximate };
      // Evidently codes the first value in sorted order as 0, the other as 1.
      const z = proportionsZ(t.p[1]!, nRef, t.q[1]!, nCur);
      const pValue = normalTwoSided(z);
      return { ...base, statistic: z, pValue, drifted: pValue < threshold, approximate: t.approximate };
    }
  }
}

/**
 * Drift of every column the current sketch shares with the reference, and the dataset's drift
 * share. Columns with no values on a side are listed in `skipped`, not counted.
 */
export function datasetDrift(reference: TableSketch, current: TableSketch, opts: DriftOptions = {}): DatasetDrift {
  const refBy = new Map(reference.columns.map((c) => [c.name, c]));
  const columns: DriftResult[] = [];
  const skipped: string[] = [];
  for (const cur of current.columns) {
    const ref = refBy.get(cur.name);
    if (!ref) continue;
    if (nonMissing(ref) === 0 || nonMissing(cur) === 0) {
      skipped.push(cur.name);
      continue;
    }
    columns.push(columnDrift(ref, cur, { ...opts.columns?.[cur.name], thresholds: opts.thresholds }));
  }
  const share = columns.length ? columns.filter((c) => c.drifted).length / columns.length : 0;
  const shareThreshold = opts.shareThreshold ?? 0.5;
  return { columns, share, shareThreshold, drifted: columns.length > 0 && share >= shareThreshold, skipped };
}

function isNumericType(c: ColumnSketch): boolean {
  return c.type !== 'categorical';
}

function nonMissing(c: ColumnSketch): number {
  return c.numeric ? c.numeric.count : c.categorical!.count;
}

/** Distinct non-missing values over both samples; Infinity when a side no longer knows them. */
function unionDistinct(a: ColumnSketch, b: ColumnSketch): number {
  const keys = new Set<string | number>();
  for (const c of [a, b]) {
    if (c.numeric) {
      if (!c.numeric.exact) return Infinity;
      for (const v of c.numeric.exact.keys()) keys.add(v);
    } else {
      if (c.categorical!.overflowed) return Infinity;
      for (const [v] of c.categorical!.categories()) keys.add(v);
    }
  }
  return keys.size;
}

interface CategoryTable {
  /** sorted as Python sorts them: numbers numerically, strings by code point */
  keys: (string | number)[];
  p: number[];
  q: number[];
  approximate: boolean;
}

/** OTHER pools every category past a categorical sketch's bound; it sorts last. */
const OTHER = '\u{10FFFF}other';

/** Counts per value for both samples over the union of values (a numeric column's exact values, or categories). */
function categoryTable(ref: ColumnSketch, cur: ColumnSketch): CategoryTable {
  const counts = (c: ColumnSketch): { map: Map<string | number, number>; approximate: boolean } => {
    if (c.numeric) {
      if (c.numeric.exact) return { map: new Map(c.numeric.exact), approximate: false };
      const pts = c.numeric.points();
      return { map: new Map(Array.from(pts.values, (v, i) => [v, pts.weights[i]!])), approximate: true };
    }
    const s = c.categorical!;
    const map = new Map<string | number, number>(s.categories());
    if (s.other > 0) map.set(OTHER, s.other);
    return { map, approximate: s.overflowed };
  };
  const a = counts(ref);
  const b = counts(cur);
  const keys = [...new Set([...a.map.keys(), ...b.map.keys()])].sort((x, y) =>
    typeof x === 'number' && typeof y === 'number' ? x - y : codePointCompare(String(x), String(y)),
  );
  return {
    keys,
    p: keys.map((k) => a.map.get(k) ?? 0),
    q: keys.map((k) => b.map.get(k) ?? 0),
    approximate: a.approximate || b.approximate,
  };
}

function codePointCompare(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d) return d;
  }
}

/** Sturges histograms of both samples over their combined range (Evidently's `get_binned_data`). */
function binned(ref: ColumnSketch, cur: ColumnSketch): { p: Float64Array; q: Float64Array; approximate: boolean } {
  const r = ref.numeric!;
  const c = cur.numeric!;
  const edges = sturgesEdges(Math.min(r.min, c.min), Math.max(r.max, c.max), r.count + c.count);
  const a: WeightedPoints = r.points();
  const b: WeightedPoints = c.points();
  return { p: histogramCounts(a, edges), q: histogramCounts(b, edges), approximate: !a.exact || !b.exact };
}
