/** Time axes for the monitoring charts: ticks on whole minutes, hours or days, labelled to fit. */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const STEPS = [MIN, 5 * MIN, 15 * MIN, 30 * MIN, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY];

/**
 * At most `count` ticks on multiples of a round step between `min` and `max` (epoch ms). Steps
 * under a day are aligned in the viewer's time zone, so an hour tick reads `14:00`.
 */
export function timeTicks(min: number, max: number, count = 6, tzOffsetMin = new Date(min).getTimezoneOffset()): number[] {
  if (!(max > min)) return Number.isFinite(min) ? [min] : [];
  const step = STEPS.find((s) => (max - min) / s <= count) ?? Math.ceil((max - min) / count / DAY) * DAY;
  const shift = -tzOffsetMin * MIN;
  const out: number[] = [];
  for (let t = Math.ceil((min + shift) / step) * step - shift; t <= max; t += step) out.push(t);
  return out;
}

/** A tick label: `14:05` within a day, `Dec 8 14:00` beyond. */
export function timeLabel(spanMs: number): (t: number) => string {
  return (t) => {
    const d = new Date(t);
    const hm = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
    return spanMs <= DAY ? hm : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}${spanMs <= 3 * DAY ? ` ${hm}` : ''}`;
  };
}
