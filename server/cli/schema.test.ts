/** `--reject-anomalies` parsing and the anomaly lines `kiln submit` prints. */
import { describe, expect, it } from 'vitest';
import { anomalyLines, parseAnomalyCodes } from './schema';

describe('parseAnomalyCodes', () => {
  it('reads codes separated by commas (any case), or none', () => {
    expect(parseAnomalyCodes('OUT_OF_RANGE, unknown_category')).toEqual(['OUT_OF_RANGE', 'UNKNOWN_CATEGORY']);
    expect(parseAnomalyCodes('none')).toEqual([]);
  });
  it('names an unknown code and lists the known ones', () => {
    expect(() => parseAnomalyCodes('OUT_OF_RANGE,TOO_BIG')).toThrow(/^--reject-anomalies: unknown anomaly code "TOO_BIG" \(codes: SCHEMA_NEW_COLUMN, SCHEMA_MISSING_COLUMN, TYPE_MISMATCH, OUT_OF_RANGE, UNKNOWN_CATEGORY, MISSING_RATE_HIGH, MISSING_VALUE, DRIFT, SKEW\)$/);
    expect(() => parseAnomalyCodes(' , ')).toThrow(/anomaly codes separated by commas, or none/);
  });
});

describe('anomalyLines', () => {
  it('prints one indented line per anomaly, at most the limit, then how many more', () => {
    const a = (i: number) => ({ code: 'OUT_OF_RANGE' as const, message: `OUT_OF_RANGE column "c${i}": expected range [0, 1], observed max 2` });
    expect(anomalyLines([a(1)])).toEqual(['  ! OUT_OF_RANGE column "c1": expected range [0, 1], observed max 2']);
    const many = anomalyLines(Array.from({ length: 5 }, (_, i) => a(i)), 3);
    expect(many).toHaveLength(4);
    expect(many[3]).toBe('  … 2 more');
  });
});
