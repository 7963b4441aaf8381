/** Sorting of the drift table, kept apart from the view so it is tested on its own. */

export type DriftSortKey = 'name' | 'method' | 'statistic' | 'pValue' | 'threshold' | 'drifted';

interface Row {
  name: string;
  method: string;
  statistic: number;
  pValue?: number;
  threshold: number;
  drifted: boolean;
}

/**
 * A sorted copy. Ties (and the drifted verdict) fall back to the name, so the order is stable;
 * rows without a p-value (distance methods) sort after those with one either way.
 */
export function sortFeatures<T extends Row>(rows: readonly T[], key: DriftSortKey, desc: boolean): T[] {
  const sign = desc ? -1 : 1;
  const byName = (a: T, b: T) => a.name.localeCompare(b.name);
  return [...rows].sort((a, b) => {
    if (key === 'pValue' && (a.pValue === undefined) !== (b.pValue === undefined)) return a.pValue === undefined ? 1 : -1;
    let c: number;
    if (key === 'name') c = a.name.localeCompare(b.name);
    else if (key === 'method') c = a.method.localeCompare(b.method);
    else if (key === 'drifted') c = Number(a.drifted) - Number(b.drifted);
    else c = (a[key] ?? 0) - (b[key] ?? 0);
    return c * sign || byName(a, b);
  });
}
