/** Time windows as the CLI and the report name them: `90s`, `30m`, `24h`, `7d`. */
import { KilnError } from '../../lib/errors';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Longest window a report covers (a year): beyond it the retention has pruned the log anyway. */
export const MAX_WINDOW_MS = 366 * UNIT_MS.d;

/**
 * Milliseconds of a window such as `24h`.
 * @throws KilnError `BAD_REQUEST` naming `field` for anything but a positive whole number of s/m/h/d up to a year.
 */
export function parseWindow(text: string, field = 'window'): number {
  const m = /^(\d{1,8})([smhd])$/.exec(text.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : NaN;
  if (!m || !(ms > 0) || ms > MAX_WINDOW_MS) {
    throw new KilnError('BAD_REQUEST', `${field}: expected a duration such as 30m, 24h or 7d (at most 366d), got ${JSON.stringify(text.slice(0, 40))}`, { param: field });
  }
  return ms;
}
