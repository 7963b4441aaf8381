import { describe, expect, it } from 'vitest';
import { createRng } from '../rng';
import { compareHistogram, OTHER_BIN } from './histogram';
import { RecordSketcher } from './table-sketch';

function sketch(name: string, type: 'numeric' | 'categorical', values: unknown[]) {
  const s = new RecordSketcher([{ name, type, nullable: true }]);
  for (const v of values) s.add({ [name]: v });
  return s.sketch().columns[0]!;
}

describe('compareHistogram', () => {
  it('bins both numeric sides over their common range and counts every value once', () => {
    const r = createRng(3);
    const ref = sketch('hp', 'numeric', Array.from({ length: 400 }, () => 60 + r() * 100));
    const cur = sketch('hp', 'numeric', [...Array.from({ length: 300 }, () => 140 + r() * 100), null, null]);
    const h = compareHistogram(ref, cur, { bins: 10 });
    expect(h.kind).toBe('numeric');
    expect(h.bins).toHaveLength(10);
    expect(h.bins[0]!.low).toBe(Math.min(ref.numeric!.min, cur.numeric!.min));
    expect(h.bins[9]!.high).toBe(Math.max(ref.numeric!.max, cur.numeric!.max));
    expect(h.bins.reduce((s, b) => s + b.reference, 0)).toBe(400);
    expect(h.bins.reduce((s, b) => s + b.current, 0)).toBe(300);
    expect([h.referenceCount, h.currentCount, h.currentMissing]).toEqual([400, 300, 2]);
    // The reference lives in the low half, the shifted current in the high half.
    expect(h.bins[0]!.current).toBe(0);
    expect(h.bins[9]!.reference).toBe(0);
    expect(h.approximate).toBe(false);
  });

  it('puts a value equal to the bin edge in the upper bin and the maximum in the last', () => {
    const h = compareHistogram(sketch('x', 'numeric', [0, 5, 10]), sketch('x', 'numeric', [10]), { bins: 2 });
    expect(h.bins.map((b) => [b.low, b.high, b.reference, b.current])).toEqual([
      [0, 5, 1, 0],
      [5, 10, 2, 1],
    ]);
    const flat = compareHistogram(sketch('x', 'numeric', [4, 4]), sketch('x', 'numeric', [4]));
    expect(flat.bins.map((b) => [b.reference, b.current])).toEqual([[2, 1]]);
  });

  it('shows the categories most frequent on either side, and the rest as one bin', () => {
    const ref = sketch('origin', 'categorical', [...Array(50).fill('USA'), ...Array(30).fill('Europe'), ...Array(20).fill('Japan')]);
    const cur = sketch('origin', 'categorical', [...Array(90).fill('Mars'), ...Array(10).fill('USA')]);
    const h = compareHistogram(ref, cur, { categories: 2 });
    expect(h.kind).toBe('categorical');
    expect(h.bins).toEqual([
      { label: 'Mars', reference: 0, current: 90 },
      { label: 'USA', reference: 50, current: 10 },
      { label: OTHER_BIN, reference: 50, current: 0 },
    ]);
  });
});
