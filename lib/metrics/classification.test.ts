import { describe, expect, it } from 'vitest';
import { KilnError } from '../errors';
import {
  accuracy,
  argmaxRows,
  binaryRocAuc,
  classificationMetrics,
  confusionMatrix,
  logLoss,
  macroF1,
  rocAuc,
  UNKNOWN_CLASS,
} from './classification';

// References from scikit-learn 1.9.1 (roc_auc_score, log_loss, accuracy_score,
// f1_score(average='macro'), confusion_matrix) on the same arrays.
const yb = [0, 1, 1, 0, 1, 0, 1, 1];
const pb = [0.1, 0.4, 0.35, 0.8, 0.7, 0.2, 0.7, 0.9];
const pbMatrix = pb.map((q) => [1 - q, q]);

const yt = [0, 1, 2, 2, 1, 0, 2, 1, 0, 2];
const P = [
  [0.7, 0.2, 0.1],
  [0.2, 0.5, 0.3],
  [0.1, 0.3, 0.6],
  [0.3, 0.3, 0.4],
  [0.4, 0.4, 0.2],
  [0.5, 0.25, 0.25],
  [0.2, 0.5, 0.3],
  [0.1, 0.8, 0.1],
  [0.6, 0.1, 0.3],
  [0.25, 0.25, 0.5],
];

describe('binary classification', () => {
  it('ROC AUC averages tied ranks like sklearn', () => {
    expect(binaryRocAuc(yb, pb)).toBeCloseTo(0.7333333333333334, 12);
    expect(rocAuc(yb, pbMatrix)).toBeCloseTo(0.7333333333333334, 12);
    expect(rocAuc(yb, pb.map((q) => [q]))).toBeCloseTo(0.7333333333333334, 12);
    expect(binaryRocAuc([0, 0, 1, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    expect(binaryRocAuc([0, 1], [0.9, 0.1])).toBe(0);
  });

  it('ROC AUC is NaN with one class present', () => {
    expect(binaryRocAuc([1, 1, 1], [0.2, 0.5, 0.9])).toBeNaN();
  });

  it('log loss, accuracy, F1 and confusion match sklearn', () => {
    const { metrics, confusion } = classificationMetrics(yb, pbMatrix);
    expect(metrics.logloss).toBeCloseTo(0.5903456549142825, 12);
    expect(metrics.accuracy).toBe(0.625);
    expect(metrics.f1_macro).toBeCloseTo(0.6190476190476191, 12);
    expect(confusion).toEqual([
      [2, 1],
      [2, 3],
    ]);
    // a one-column (sigmoid) matrix gives the same numbers
    expect(classificationMetrics(yb, pb.map((q) => [q])).metrics).toEqual(metrics);
  });

  it('log loss clips a zero probability at 1e-15', () => {
    // −(log(1e−15) + log(0.9)) / 2, computed with numpy
    expect(logLoss([1, 0], [[1, 0], [0.9, 0.1]])).toBeCloseTo(17.322068455284256, 10);
  });
});

describe('multiclass classification', () => {
  it('one-vs-rest macro ROC AUC, log loss, accuracy and F1 match sklearn', () => {
    expect(argmaxRows(P)).toEqual(Int32Array.from([0, 1, 2, 2, 0, 0, 1, 1, 0, 2]));
    const { metrics, confusion } = classificationMetrics(yt, P);
    expect(metrics.auc).toBeCloseTo(0.9623015873015873, 12);
    expect(metrics.logloss).toBeCloseTo(0.6717465552539006, 12);
    expect(metrics.accuracy).toBe(0.8);
    expect(metrics.f1_macro).toBeCloseTo(0.7936507936507936, 12);
    expect(confusion).toEqual([
      [3, 0, 0],
      [1, 2, 0],
      [0, 1, 3],
    ]);
  });

  it('macro F1 leaves out classes absent from truth and prediction', () => {
    // sklearn f1_score([0,0,1,1], [0,2,1,1], average='macro') = 0.5555…; class 3 is in neither
    expect(macroF1([0, 0, 1, 1], [0, 2, 1, 1], 4)).toBeCloseTo(0.5555555555555555, 12);
    expect(confusionMatrix([0, 0, 1, 1], [0, 2, 1, 1], 4)[3]).toEqual([0, 0, 0, 0]);
  });

  it('skips classes with no rows in the truth for ROC AUC', () => {
    // class 2 never occurs: the average is over the one-vs-rest AUCs of classes 0 and 1
    const y = [0, 1, 0, 1];
    const probs = [
      [0.8, 0.1, 0.1],
      [0.3, 0.6, 0.1],
      [0.6, 0.3, 0.1],
      [0.7, 0.2, 0.1],
    ];
    const auc0 = binaryRocAuc([1, 0, 1, 0], [0.8, 0.3, 0.6, 0.7]);
    const auc1 = binaryRocAuc([0, 1, 0, 1], [0.1, 0.6, 0.3, 0.2]);
    expect(rocAuc(y, probs)).toBeCloseTo((auc0 + auc1) / 2, 12);
  });
});

describe('test rows of a class unseen in training (-1)', () => {
  it('count as errors in accuracy, F1 and log loss, and are left out of AUC and confusion', () => {
    const y = [0, 1, 2, UNKNOWN_CLASS, 1];
    const probs = [
      [0.8, 0.1, 0.1],
      [0.1, 0.7, 0.2],
      [0.2, 0.5, 0.3],
      [0.6, 0.3, 0.1],
      [0.3, 0.6, 0.1],
    ];
    const { metrics, confusion } = classificationMetrics(y, probs, 3);
    // sklearn with the unseen class as its own label 'X': accuracy 0.6, macro F1 0.3666…
    expect(metrics.accuracy).toBe(0.6);
    expect(metrics.f1_macro).toBeCloseTo(0.3666666666666667, 12);
    const expectedLogLoss = -(Math.log(0.8) + Math.log(0.7) + Math.log(0.3) + Math.log(1e-15) + Math.log(0.6)) / 5;
    expect(metrics.logloss).toBeCloseTo(expectedLogLoss, 12);
    const known = [0, 1, 2, 4];
    expect(metrics.auc).toBeCloseTo(rocAuc(known.map((i) => y[i]!), known.map((i) => probs[i]!)), 12);
    expect(confusion).toEqual([
      [1, 0, 0],
      [0, 2, 0],
      [0, 1, 0],
    ]);
  });

  it('rejects other out-of-range classes and a width mismatch', () => {
    expect(() => classificationMetrics([0, -2], [[1, 0], [0, 1]])).toThrow('classification: yTrue[1] = -2 is not a class index');
    expect(() => classificationMetrics([0, 1], [[1, 0], [0, 1]], 3)).toThrow('probabilities have 2 classes but nClasses is 3');
  });
});

describe('bad inputs', () => {
  it('names the offending class index or row', () => {
    expect(() => accuracy([0, 1], [0])).toThrow('accuracy: 2 true values but 1 predictions');
    expect(() => confusionMatrix([0, 1.5], [0, 1])).toThrow('confusion: yTrue[1] = 1.5 is not a class index');
    expect(() => logLoss([0, 3], P.slice(0, 2))).toThrow('log_loss: yTrue[1] = 3 is not a class index in 0..2');
    expect(() => rocAuc([0, 1], [[0.5, 0.5], [1]])).toThrow('roc_auc: probability row 1 has 1 columns, expected 2');
    expect(() => macroF1([], [])).toThrow(KilnError);
  });
});
