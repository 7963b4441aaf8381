/** Small display helpers shared by the Data, Runs, Models and Endpoints tabs. */
import { formatMetric } from '../../lib/metrics/format';

/** 4 significant digits, no exponent for everyday values; "—" for missing. */
export function fmtNum(x: number | null | undefined): string {
  return formatMetric(x, '—');
}

export function shortId(id: string | null | undefined, n = 8): string {
  return id ? id.slice(0, n) : '—';
}

/** Dates arrive as ISO strings over tRPC. */
export function fmtDate(x: string | Date | null | undefined): string {
  if (!x) return '—';
  const d = new Date(x);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Run duration: start → finish, or → now while it runs. */
export function runDuration(run: { startedAt: string | Date | null; finishedAt: string | Date | null; status: string }, now = Date.now()): number | null {
  if (!run.startedAt) return null;
  const end = run.finishedAt ? new Date(run.finishedAt).getTime() : run.status === 'running' ? now : null;
  return end === null ? null : end - new Date(run.startedAt).getTime();
}

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Metrics shown first in tables, in this order, when a run has them. */
export const MAIN_METRICS = ['r2', 'rmse', 'mae', 'mape', 'accuracy', 'f1_macro', 'auc', 'logloss'];

export function mainMetricKeys(all: Iterable<string>, max = 3): string[] {
  const set = new Set(all);
  const picked = MAIN_METRICS.filter((k) => set.has(k));
  for (const k of [...set].sort()) if (!picked.includes(k)) picked.push(k);
  return picked.slice(0, max);
}

export const ACTIVE_RUN = new Set(['queued', 'running']);

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API needs a secure context; fall back to a hidden textarea.
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  }
}
