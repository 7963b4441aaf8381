'use client';
import { BarChart } from '../charts/BarChart';
import { Histogram } from '../charts/Histogram';
import type { ColumnStats } from '../../lib/data/stats';
import { fmtNum } from '../runs/format';

function fmtValue(type: string, x: number): string {
  if (type === 'date' && Number.isFinite(x)) return new Date(x).toISOString().slice(0, 10);
  return fmtNum(x);
}

/** One card per column: type, counts, missing values, and a histogram or the top categories. */
export function ColumnStatsList({ columns, nRows }: { columns: ColumnStats[]; nRows: number }) {
  return (
    <div className="data-stats" data-testid="column-stats">
      {columns.map((c) => {
        const missPct = nRows ? (c.missing / nRows) * 100 : 0;
        return (
          <section key={c.name} className={`data-stat${c.missing ? ' data-stat-missing' : ''}`} aria-label={`column ${c.name}`}>
            <header>
              <strong title={c.name}>{c.name}</strong> <span className="badge">{c.type}</span>
            </header>
            <div className="data-stat-counts small">
              <span>{c.count.toLocaleString()} values</span>
              <span className={c.missing ? 'data-missing-count' : 'muted'} data-testid={`missing-${c.name}`}>
                {c.missing ? `${c.missing.toLocaleString()} missing (${missPct < 0.1 ? '<0.1' : missPct.toFixed(1)} %)` : 'no missing'}
              </span>
            </div>
            {c.type === 'categorical' ? (
              <>
                <div className="small muted">{c.unique.toLocaleString()} unique</div>
                {c.top.length > 0 && <BarChart bars={c.top.slice(0, 8).map((t) => ({ label: t.value, value: t.count }))} height={Math.min(8, c.top.length) * 18 + 10} />}
              </>
            ) : (
              <>
                <dl className="data-numbers small">
                  <dt>mean</dt>
                  <dd>{fmtValue(c.type, c.mean)}</dd>
                  <dt>std</dt>
                  <dd>{c.type === 'date' ? '—' : fmtNum(c.std)}</dd>
                  <dt>min</dt>
                  <dd>{fmtValue(c.type, c.min)}</dd>
                  <dt>p25</dt>
                  <dd>{fmtValue(c.type, c.quantiles.p25)}</dd>
                  <dt>median</dt>
                  <dd>{fmtValue(c.type, c.quantiles.p50)}</dd>
                  <dt>p75</dt>
                  <dd>{fmtValue(c.type, c.quantiles.p75)}</dd>
                  <dt>max</dt>
                  <dd>{fmtValue(c.type, c.max)}</dd>
                </dl>
                {c.histogram.counts.length > 0 && <Histogram edges={c.histogram.edges} counts={c.histogram.counts} height={80} />}
              </>
            )}
          </section>
        );
      })}
    </div>
  );
}
