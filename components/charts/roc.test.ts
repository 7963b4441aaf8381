import { describe, expect, it } from 'vitest';
import { rocCurve, rocOneVsRest } from './roc';

describe('rocCurve', () => {
  it('gives AUC 1 for a perfect ranking and 0.5 for ties', () => {
    expect(rocCurve([0.9, 0.8, 0.2, 0.1], [true, true, false, false])!.auc).toBeCloseTo(1);
    expect(rocCurve([0.5, 0.5, 0.5, 0.5], [true, false, true, false])!.auc).toBeCloseTo(0.5);
    expect(rocCurve([0.1, 0.2, 0.8, 0.9], [true, true, false, false])!.auc).toBeCloseTo(0);
  });
  it('matches the pairwise definition on a mixed case', () => {
    const s = [0.9, 0.7, 0.6, 0.4, 0.3];
    const y = [true, false, true, false, true];
    // pairs (pos > neg): 0.9>{0.7,0.4}=2, 0.6>{0.4}=1, 0.3>{}=0 → 3 of 6
    expect(rocCurve(s, y)!.auc).toBeCloseTo(0.5);
    const c = rocCurve(s, y)!;
    expect(c.points[0]).toEqual({ x: 0, y: 0 });
    expect(c.points[c.points.length - 1]).toEqual({ x: 1, y: 1 });
  });
  it('is undefined without positives or negatives', () => {
    expect(rocCurve([0.1, 0.2], [false, false])).toBeNull();
  });
  it('builds one curve per class that occurs', () => {
    const curves = rocOneVsRest([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]], ['a', 'b', 'a'], ['a', 'b', 'c']);
    expect(curves.map((c) => c.label)).toEqual(['a', 'b']);
    expect(curves[0]!.auc).toBeCloseTo(1);
  });
});
