/** Small helpers shared by the SVG charts: nice ticks, number formatting, scales. */

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) {
    const d = Math.abs(min) || 1;
    min -= d / 2;
    max += d / 2;
  }
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm >= Math.sqrt(50) ? 10 : norm >= Math.sqrt(10) ? 5 : norm >= Math.sqrt(2) ? 2 : 1) * mag;
  const out: number[] = [];
  // Integer multiples of the step, cleaned of float noise (0.6000000000000001 → 0.6).
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max + step * 1e-9; k++) out.push(k === 0 ? 0 : parseFloat((k * step).toPrecision(12)));
  return out;
}

/** Extent of a list of numbers ignoring non-finite values; padded when flat. */
export function extent(values: number[], pad = 0): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) return [lo - (Math.abs(lo) || 1) * 0.5, hi + (Math.abs(hi) || 1) * 0.5];
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

/** Compact number for axis labels and tooltips: 3 significant digits, k/M suffixes. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a === 0) return '0';
  if (a < 1e-3) return v.toExponential(1);
  return String(+v.toPrecision(3));
}

export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** Keeps every k-th label so that labels about `labelPx` wide never overlap along `spanPx`. */
export function thinLabels<T>(items: T[], spanPx: number, labelPx: number): T[] {
  if (items.length <= 1) return items;
  const fit = Math.max(1, Math.floor(spanPx / labelPx));
  const k = Math.ceil(items.length / fit);
  return items.filter((_, i) => i % k === 0);
}

export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
