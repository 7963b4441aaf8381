import { describe, expect, it } from 'vitest';
import { formatMetric } from './format';

describe('formatMetric', () => {
  it('keeps 4 significant digits and drops trailing zeros', () => {
    expect(formatMetric(0.123456, '—')).toBe('0.1235');
    expect(formatMetric(-12.5, '—')).toBe('-12.5');
    expect(formatMetric(999999, '—')).toBe('1000000');
    expect(formatMetric(0, '—')).toBe('0');
  });

  it('uses an exponent only for very large or very small magnitudes', () => {
    expect(formatMetric(1234567, '—')).toBe('1.235e+6');
    expect(formatMetric(0.00001234, '—')).toBe('1.234e-5');
    expect(formatMetric(0.0001, '—')).toBe('0.0001');
  });

  it('writes `missing` for absent and non-finite values', () => {
    expect([null, undefined, NaN, Infinity, -Infinity].map((x) => formatMetric(x, 'n/a'))).toEqual(['n/a', 'n/a', 'n/a', 'n/a', 'n/a']);
  });
});
