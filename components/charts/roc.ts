/** One-vs-rest ROC curves from class probabilities (pure functions, tested in roc.test.ts). */

export interface RocCurve {
  label: string;
  points: { x: number; y: number }[];
  auc: number;
}

/**
 * ROC curve of `scores` for the positives marked in `positive`: (false positive rate, true
 * positive rate) at every distinct threshold, tied scores taken together, plus trapezoid AUC.
 * Returns null when there are no positives or no negatives (the curve is undefined).
 */
export function rocCurve(scores: number[], positive: boolean[], label = ''): RocCurve | null {
  const n = scores.length;
  const P = positive.filter(Boolean).length;
  const N = n - P;
  if (P === 0 || N === 0) return null;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const points = [{ x: 0, y: 0 }];
  let tp = 0;
  let fp = 0;
  let auc = 0;
  for (let k = 0; k < n; ) {
    const s = scores[order[k]!]!;
    while (k < n && scores[order[k]!] === s) {
      if (positive[order[k]!]) tp++;
      else fp++;
      k++;
    }
    const prev = points[points.length - 1]!;
    const pt = { x: fp / N, y: tp / P };
    auc += (pt.x - prev.x) * (pt.y + prev.y) / 2;
    points.push(pt);
  }
  return { label, points, auc };
}

/** One curve per class (one-vs-rest) from probabilities `probs[i][k]` and actual labels. */
export function rocOneVsRest(probs: number[][], actual: string[], labels: string[]): RocCurve[] {
  const out: RocCurve[] = [];
  labels.forEach((label, k) => {
    const c = rocCurve(probs.map((p) => p[k] ?? 0), actual.map((a) => a === label), label);
    if (c) out.push(c);
  });
  return out;
}
