import { describe, expect, it } from 'vitest';
import { fmt, niceTicks, thinLabels } from './scale';

describe('niceTicks', () => {
  it('gives round steps near the asked count', () => {
    expect(niceTicks(0.03, 0.85, 4)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(0, 100, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(1, 8, 6)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(niceTicks(-7, 13, 4)).toEqual([-5, 0, 5, 10]);
  });
  it('handles a flat range and non-finite input', () => {
    expect(niceTicks(5, 5, 4).length).toBeGreaterThan(1);
    expect(niceTicks(NaN, 1)).toEqual([]);
  });
});

describe('fmt and thinLabels', () => {
  it('formats compactly', () => {
    expect(fmt(12345)).toBe('12.3k');
    expect(fmt(0.123456)).toBe('0.123');
    expect(fmt(0)).toBe('0');
  });
  it('keeps labels from overlapping', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i);
    expect(thinLabels(xs, 300, 40).length).toBeLessThanOrEqual(8);
  });
});
