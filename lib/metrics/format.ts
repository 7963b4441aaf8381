/**
 * A metric value for people (tables, gate messages): 4 significant digits, with an exponent only
 * for magnitudes of a million or more or below 1e-4; `missing` stands for null, undefined, NaN
 * and ±Infinity.
 */
export function formatMetric(x: number | null | undefined, missing: string): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return missing;
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-4) return x.toExponential(3);
  return String(Number(x.toPrecision(4)));
}
