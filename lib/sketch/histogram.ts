/**
 * Reference-vs-current histograms of one column from its two sketches, for the studio's drift
 * view: numeric columns share bins over the range both sides cover, so the bars compare; a
 * categorical column shows the categories most frequent on either side and one bin for the rest.
 */
import type { ColumnSketch } from './table-sketch';

export interface HistogramBin {
  /** the category, or the numeric bin as `[low, high)` */
  label: string;
  /** numeric bins only */
  low?: number;
  high?: number;
  reference: number;
  current: number;
}

export interface ComparedHistogram {
  column: string;
  kind: 'numeric' | 'categorical';
  bins: HistogramBin[];
  /** non-missing values on each side (the bins' totals) */
  referenceCount: number;
  currentCount: number;
  /** missing cells on each side (not in the bins) */
  referenceMissing: number;
  currentMissing: number;
  /** whether a side's values are DDSketch buckets (each counted at its representative value) */
  approximate: boolean;
}

export interface HistogramOptions {
  /** numeric bins (default 20) */
  bins?: number;
  /** categories shown before the rest become one "(other)" bin (default 12) */
  categories?: number;
}

/** The label of the bin holding categories not shown (and a sketch's own `other` count). */
export const OTHER_BIN = '(other)';

/**
 * The two sides' histograms on common bins. Numeric: `bins` equal-width bins over
 * [min, max] of both sides (one bin when every value is equal). Categorical: the `categories`
 * categories with the highest share on either side, then {@link OTHER_BIN}.
 */
export function compareHistogram(reference: ColumnSketch, current: ColumnSketch, opts: HistogramOptions = {}): ComparedHistogram {
  const base = {
    column: current.name,
    referenceMissing: reference.missing,
    currentMissing: current.missing,
  };
  if (reference.numeric && current.numeric) {
    const r = reference.numeric;
    const c = current.numeric;
    const lo = Math.min(r.min, c.min);
    const hi = Math.max(r.max, c.max);
    const approximate = !r.isExact || !c.isExact;
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
      return { ...base, kind: 'numeric', bins: [], referenceCount: r.count, currentCount: c.count, approximate };
    }
    const n = lo === hi ? 1 : Math.max(1, Math.floor(opts.bins ?? 20));
    const width = (hi - lo) / n;
    const bins: HistogramBin[] = Array.from({ length: n }, (_, i) => {
      const low = lo + i * width;
      const high = i === n - 1 ? hi : lo + (i + 1) * width;
      return { label: `[${low}, ${high}${i === n - 1 ? ']' : ')'}`, low, high, reference: 0, current: 0 };
    });
    const fill = (side: 'reference' | 'current', s: typeof r) => {
      const { values, weights } = s.points();
      for (let i = 0; i < values.length; i++) {
        const k = width > 0 ? Math.min(n - 1, Math.max(0, Math.floor((values[i]! - lo) / width))) : 0;
        bins[k]![side] += weights[i]!;
      }
    };
    fill('reference', r);
    fill('current', c);
    return { ...base, kind: 'numeric', bins, referenceCount: r.count, currentCount: c.count, approximate };
  }
  const r = reference.categorical;
  const c = current.categorical;
  const refCats = new Map(r?.categories() ?? []);
  const curCats = new Map(c?.categories() ?? []);
  const rn = r?.count ?? 0;
  const cn = c?.count ?? 0;
  const share = (m: Map<string, number>, v: string, total: number) => (total > 0 ? (m.get(v) ?? 0) / total : 0);
  const all = [...new Set([...refCats.keys(), ...curCats.keys()])];
  all.sort((a, b) => Math.max(share(refCats, b, rn), share(curCats, b, cn)) - Math.max(share(refCats, a, rn), share(curCats, a, cn)) || (a < b ? -1 : a > b ? 1 : 0));
  const shown = all.slice(0, Math.max(1, Math.floor(opts.categories ?? 12)));
  const bins: HistogramBin[] = shown.map((v) => ({ label: v, reference: refCats.get(v) ?? 0, current: curCats.get(v) ?? 0 }));
  const refShown = bins.reduce((s, b) => s + b.reference, 0);
  const curShown = bins.reduce((s, b) => s + b.current, 0);
  if (rn - refShown > 0 || cn - curShown > 0) bins.push({ label: OTHER_BIN, reference: rn - refShown, current: cn - curShown });
  return { ...base, kind: 'categorical', bins, referenceCount: rn, currentCount: cn, approximate: Boolean(r?.overflowed || c?.overflowed) };
}
