import { describe, expect, it } from 'vitest';
import { timeTicks } from './time-axis';

const HOUR = 3_600_000;

describe('timeTicks', () => {
  it('puts at most `count` ticks on whole steps of the viewer’s time zone', () => {
    const t0 = Date.UTC(2026, 5, 1, 10, 7);
    const ticks = timeTicks(t0, t0 + 24 * HOUR, 6, 0);
    expect(ticks.length).toBeLessThanOrEqual(6);
    expect(ticks.every((t) => t % (6 * HOUR) === 0)).toBe(true);
    expect(ticks[0]).toBe(Date.UTC(2026, 5, 1, 12));
    // UTC+2 (offset −120): ticks on whole local hours 12:00, 18:00 … are UTC 10:00, 16:00 …
    expect(timeTicks(t0, t0 + 24 * HOUR, 6, -120)[0]).toBe(Date.UTC(2026, 5, 1, 16));
    expect(timeTicks(t0, t0 + HOUR, 6, 0)).toEqual([15, 30, 45, 60].map((m) => t0 - 7 * 60_000 + m * 60_000).filter((t) => t <= t0 + HOUR));
  });
  it('gives one tick for an empty span', () => {
    expect(timeTicks(5, 5)).toEqual([5]);
  });
});
