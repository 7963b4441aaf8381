import { KilnError } from '../errors';
import { checkPaired, type Vector } from './check';

/**
 * Classification metrics over class indices 0..K−1 (labels are encoded by the caller).
 * Probabilities are an n × K matrix of per-class probabilities; a matrix with one column is read
 * as binary P(class 1), the shape a sigmoid output gives.
 */
export type ProbMatrix = readonly (readonly number[] | Float64Array | Float32Array)[];

/** Probability of class k in a row, reading one-column rows as binary P(class 1). */
function probOf(row: ArrayLike<number>, k: number): number {
  if (row.length === 1) return k === 1 ? row[0]! : 1 - row[0]!;
  return row[k]!;
}

/** Number of classes a probability matrix describes (2 for a one-column matrix). */
function widthOf(proba: ProbMatrix): number {
  const w = proba[0]?.length ?? 0;
  return w === 1 ? 2 : w;
}

/** Checks class indices are integers in [0, k) and returns k (given, or max index + 1). */
function checkClasses(metric: string, what: string, y: Vector, nClasses?: number): number {
  let max = -1;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isInteger(v) || v < 0 || (nClasses !== undefined && v >= nClasses)) {
      throw new KilnError(
        'METRIC_INPUT',
        `${metric}: ${what}[${i}] = ${v} is not a class index${nClasses !== undefined ? ` in 0..${nClasses - 1}` : ''}`,
        { path: `${metric} ${what}[${i}]` },
      );
    }
    if (v > max) max = v;
  }
  return nClasses ?? max + 1;
}

function checkProba(metric: string, proba: ProbMatrix): number {
  const w = proba[0]?.length ?? 0;
  for (let i = 0; i < proba.length; i++) {
    if (proba[i]!.length !== w || w === 0) {
      throw new KilnError(
        'METRIC_INPUT',
        `${metric}: probability row ${i} has ${proba[i]!.length} columns, expected ${w || 'at least 1'}`,
        { path: `${metric} proba[${i}]` },
      );
    }
  }
  return widthOf(proba);
}

/**
 * Confusion matrix C where C[t][p] counts rows of true class t predicted as p (sklearn's layout:
 * rows = truth, columns = prediction). K = `nClasses`, else the largest index seen + 1.
 */
export function confusionMatrix(yTrue: Vector, yPred: Vector, nClasses?: number): number[][] {
  checkPaired('confusion', yTrue, yPred);
  const k = Math.max(checkClasses('confusion', 'yTrue', yTrue, nClasses), checkClasses('confusion', 'yPred', yPred, nClasses));
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]!]![yPred[i]!]!++;
  return m;
}

/** Share of rows whose predicted class equals the true class. */
export function accuracy(yTrue: Vector, yPred: Vector): number {
  checkPaired('accuracy', yTrue, yPred);
  let hit = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hit++;
  return hit / yTrue.length;
}

/**
 * Unweighted mean of per-class F1 = 2·TP / (2·TP + FP + FN), as sklearn's
 * `f1_score(average='macro')`: classes absent from both truth and prediction are left out (their
 * F1 is undefined), while a class that is predicted but never true, or true but never predicted,
 * counts with F1 = 0.
 */
export function macroF1(yTrue: Vector, yPred: Vector, nClasses?: number): number {
  const m = confusionMatrix(yTrue, yPred, nClasses);
  const k = m.length;
  let sum = 0;
  let classes = 0;
  for (let c = 0; c < k; c++) {
    const tp = m[c]![c]!;
    let actual = 0;
    let predicted = 0;
    for (let j = 0; j < k; j++) {
      actual += m[c]![j]!;
      predicted += m[j]![c]!;
    }
    if (actual === 0 && predicted === 0) continue;
    sum += (2 * tp) / (actual + predicted);
    classes++;
  }
  return sum / classes;
}

/** Index of each row's largest probability (first one on ties, like numpy's argmax). */
export function argmaxRows(proba: ProbMatrix): Int32Array {
  const out = new Int32Array(proba.length);
  for (let i = 0; i < proba.length; i++) {
    const row = proba[i]!;
    if (row.length === 1) {
      out[i] = row[0]! > 0.5 ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k;
    out[i] = best;
  }
  return out;
}

/**
 * Area under the ROC curve for binary labels (nonzero = positive) and scores, via the
 * Mann-Whitney rank statistic with tied scores given their average rank (equal to sklearn's
 * trapezoidal `roc_auc_score`). NaN when only one class is present or a score is NaN.
 */
export function binaryRocAuc(positive: Vector, scores: Vector): number {
  checkPaired('roc_auc', positive, scores);
  const n = positive.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i]!)) return NaN;
    order[i] = i;
  }
  order.sort((a, b) => scores[a]! - scores[b]!);
  let nPos = 0;
  let rankSumPos = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    const s = scores[order[start]!]!;
    while (end < n && scores[order[end]!] === s) end++;
    // ranks start..end−1 (0-based) share the average 1-based rank
    const avgRank = (start + 1 + end) / 2;
    for (let j = start; j < end; j++) {
      if (positive[order[j]!]) {
        nPos++;
        rankSumPos += avgRank;
      }
    }
    start = end;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * ROC AUC from class probabilities. Binary (K = 2, or one column): AUC of P(class 1). Multiclass:
 * one-vs-rest macro average, as sklearn's `roc_auc_score(multi_class='ovr', average='macro')`;
 * a class with no rows or only rows in the truth has no ROC curve and is left out of the average
 * (sklearn raises instead). NaN when no class can be scored.
 */
export function rocAuc(yTrue: Vector, proba: ProbMatrix): number {
  checkPaired('roc_auc', yTrue, proba);
  const k = checkProba('roc_auc', proba);
  checkClasses('roc_auc', 'yTrue', yTrue, k);
  const n = yTrue.length;
  const pos = new Uint8Array(n);
  const scores = new Float64Array(n);
  const column = (c: number) => {
    let count = 0;
    for (let i = 0; i < n; i++) {
      pos[i] = yTrue[i] === c ? 1 : 0;
      count += pos[i]!;
      scores[i] = probOf(proba[i]!, c);
    }
    return count;
  };
  if (k === 2) {
    column(1);
    return binaryRocAuc(pos, scores);
  }
  let sum = 0;
  let scored = 0;
  for (let c = 0; c < k; c++) {
    const count = column(c);
    if (count === 0 || count === n) continue;
    sum += binaryRocAuc(pos, scores);
    scored++;
  }
  return scored === 0 ? NaN : sum / scored;
}

/**
 * Mean cross-entropy −log p(true class), probabilities clipped to [eps, 1 − eps] so a confident
 * mistake costs −log(1e−15) ≈ 34.5 rather than Infinity (sklearn's historical default eps; sklearn
 * ≥ 1.5 clips at machine epsilon instead). Rows are not renormalised: pass probabilities.
 */
export function logLoss(yTrue: Vector, proba: ProbMatrix, eps = 1e-15): number {
  checkPaired('log_loss', yTrue, proba);
  const k = checkProba('log_loss', proba);
  checkClasses('log_loss', 'yTrue', yTrue, k);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const p = probOf(proba[i]!, yTrue[i]!);
    s -= Math.log(Math.min(Math.max(p, eps), 1 - eps));
  }
  return s / yTrue.length;
}

export interface ClassificationMetrics {
  accuracy: number;
  f1_macro: number;
  auc: number;
  logloss: number;
  [name: string]: number;
}

/** Class index that `classificationMetrics` accepts in `yTrue` for a class the model never saw. */
export const UNKNOWN_CLASS = -1;

/**
 * Every classification metric from true class indices and probabilities, keyed by the names
 * gates use (`accuracy`, `f1_macro`, `auc`, `logloss`), plus the K × K confusion matrix.
 * Predicted classes are the argmax of each row. K = `nClasses`, else the probability width.
 *
 * `yTrue` may hold {@link UNKNOWN_CLASS} (−1) for test rows whose class was not seen in
 * training. Such rows count as errors: wrong for accuracy, one extra never-predicted class
 * (F1 = 0) in macro F1, probability 0 (clipped) for log loss. They have no probability column,
 * so ROC AUC is computed without them, and they are left out of the confusion matrix.
 */
export function classificationMetrics(
  yTrue: Vector,
  proba: ProbMatrix,
  nClasses?: number,
): { metrics: ClassificationMetrics; confusion: number[][] } {
  checkPaired('classification', yTrue, proba);
  const width = checkProba('classification', proba);
  const k = nClasses ?? width;
  if (k !== width) {
    throw new KilnError('METRIC_INPUT', `classification: probabilities have ${width} classes but nClasses is ${k}`, {
      path: 'classification',
    });
  }
  const n = yTrue.length;
  // Unknown classes map to an extra index k so F1 sees them as a class that is never predicted.
  const yMapped = new Int32Array(n);
  const knownRows: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = yTrue[i]!;
    if (v === UNKNOWN_CLASS) {
      yMapped[i] = k;
      continue;
    }
    if (!Number.isInteger(v) || v < 0 || v >= k) {
      throw new KilnError('METRIC_INPUT', `classification: yTrue[${i}] = ${v} is not a class index in 0..${k - 1} or -1`, {
        path: `classification yTrue[${i}]`,
      });
    }
    yMapped[i] = v;
    knownRows.push(i);
  }
  const yPred = argmaxRows(proba);
  const knownTrue = knownRows.map((i) => yMapped[i]!);
  const knownPred = knownRows.map((i) => yPred[i]!);
  const knownProba = knownRows.map((i) => proba[i]!);
  const unknown = n - knownRows.length;
  const eps = 1e-15;
  const known = knownRows.length;
  const logLossAll =
    ((known > 0 ? logLoss(knownTrue, knownProba, eps) * known : 0) + unknown * -Math.log(eps)) / n;
  return {
    metrics: {
      accuracy: accuracy(yMapped, yPred),
      f1_macro: macroF1(yMapped, yPred, unknown > 0 ? k + 1 : k),
      auc: known > 0 ? rocAuc(knownTrue, knownProba) : NaN,
      logloss: logLossAll,
    },
    confusion: known > 0 ? confusionMatrix(knownTrue, knownPred, k) : Array.from({ length: k }, () => new Array<number>(k).fill(0)),
  };
}
