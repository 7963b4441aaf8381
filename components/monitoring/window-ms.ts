/** Milliseconds of a window as the Monitoring view names it (`1h`, `24h`, `7d`, `30d`). */
export function parseWindowMs(w: string): number {
  const m = /^(\d+)([mhd])$/.exec(w);
  if (!m) throw new Error(`window: expected a duration such as 1h, 24h or 7d, got ${JSON.stringify(w)}`);
  return Number(m[1]) * (m[2] === 'm' ? 60_000 : m[2] === 'h' ? 3_600_000 : 86_400_000);
}
