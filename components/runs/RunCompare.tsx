'use client';
import { useQueries, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { LineChart, type LineSeries } from '../charts/LineChart';
import { trpc } from '../studio/trpc';
import { RUN_METRIC_DIRECTION } from '../../lib/metrics/direction';
import { fmtNum, shortId } from './format';
import { epochSeries, type RunEventLike } from './run-events';
import { ErrorAlert } from '../ui/ErrorAlert';

/** Every event of a run, page by page. */
export async function allRunEvents(runId: string): Promise<RunEventLike[]> {
  const out: RunEventLike[] = [];
  let after = 0;
  for (let page = 0; page < 50; page++) {
    const r = await trpc.runs.events.query({ runId, afterId: after, limit: 5000 });
    out.push(...r.events);
    if (r.events.length < 5000) break;
    after = r.nextAfterId;
  }
  return out;
}

/** Params as typed: float noise trimmed (0.009000000000000001 → 0.009), missing as a dash. */
function paramText(v: unknown): string {
  if (v === undefined) return '—';
  if (typeof v === 'number') return String(Number(v.toPrecision(12)));
  return String(v);
}

const COLORS = ['#c2410c', '#2563eb', '#16a34a', '#9333ea', '#db2777', '#0891b2', '#ca8a04', '#4b5563'];

/** Runs side by side: loss curves overlaid, params (differences highlighted) and metrics (best marked). */
export function RunCompare({ ids, project, onClose }: { ids: string[]; project: string; onClose: () => void }) {
  const cmp = useQuery({ queryKey: ['runs-compare', ids], queryFn: () => trpc.runs.compare.query({ ids }) });
  const events = useQueries({ queries: ids.map((id) => ({ queryKey: ['run-events-all', id], queryFn: () => allRunEvents(id) })) });

  const series: LineSeries[] = [];
  ids.forEach((id, i) => {
    const ev = events[i]?.data;
    if (!ev) return;
    const color = COLORS[i % COLORS.length]!;
    for (const [node, pts] of epochSeries(ev)) {
      const suffix = epochSeries(ev).size > 1 ? ` ${node}` : '';
      series.push({ name: `${shortId(id)}${suffix}`, color, points: pts.filter((p) => p.loss !== null).map((p) => ({ x: p.epoch, y: p.loss! })) });
      const val = pts.filter((p) => p.valLoss !== null).map((p) => ({ x: p.epoch, y: p.valLoss! }));
      if (val.length) series.push({ name: `${shortId(id)}${suffix} val`, color: `${color}88`, points: val });
    }
  });

  const data = cmp.data;
  const best = (metric: string): string | null => {
    const dir = RUN_METRIC_DIRECTION[metric];
    if (!dir || !data) return null;
    let bestId: string | null = null;
    let bestV = 0;
    for (const r of data.runs) {
      const v = r.metrics[metric];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      if (bestId === null || (dir === 'higher' ? v > bestV : v < bestV)) {
        bestId = r.id;
        bestV = v;
      }
    }
    return bestId;
  };
  const base = `/projects/${encodeURIComponent(project)}`;

  return (
    <section className="panel runs-compare" data-testid="runs-compare" aria-label="Compare runs">
      <div className="row runs-compare-head">
        <h2>Compare {ids.length} runs</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <ErrorAlert error={cmp.error} />
      <h3>Loss per epoch</h3>
      {events.some((e) => e.isLoading) ? (
        <p className="muted small">Loading epoch events…</p>
      ) : series.length === 0 ? (
        <p className="muted small">None of these runs has reported an epoch yet.</p>
      ) : (
        <div className="runs-compare-chart">
          <LineChart series={series} xLabel="epoch" yLabel="loss (solid: train, light: validation)" height={220} testId="compare-chart" />
        </div>
      )}
      {data && (
        <div className="runs-compare-table">
          <table className="grid">
            <thead>
              <tr>
                <th>&nbsp;</th>
                {data.runs.map((r, i) => (
                  <th key={r.id}>
                    <span className="runs-swatch" style={{ background: COLORS[i % COLORS.length] }} />
                    <Link href={`${base}/runs/${r.id}`} className="mono">
                      {shortId(r.id)}
                    </Link>{' '}
                    <span className={`badge ${r.status}`}>{r.status}</span>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              <tr className="runs-section">
                <td colSpan={data.runs.length + 1}>Metrics {data.metricKeys.length === 0 && <span className="muted">(none recorded)</span>}</td>
              </tr>
              {data.metricKeys.map((k) => {
                const b = best(k);
                return (
                  <tr key={k}>
                    <th scope="row">
                      {k}
                      {RUN_METRIC_DIRECTION[k] && <span className="muted small"> ({RUN_METRIC_DIRECTION[k] === 'higher' ? '↑' : '↓'} better)</span>}
                    </th>
                    {data.runs.map((r) => (
                      <td key={r.id} className={`num${b === r.id ? ' runs-best' : ''}`} title={b === r.id ? 'best' : undefined}>
                        {fmtNum(r.metrics[k])}
                        {b === r.id && ' ★'}
                      </td>
                    ))}
                  </tr>
                );
              })}
              <tr className="runs-section">
                <td colSpan={data.runs.length + 1}>
                  Params <span className="muted small">— {data.differs.length} differ{data.differs.length === 1 ? 's' : ''} (highlighted)</span>
                </td>
              </tr>
              <tr>
                <th scope="row">backend / device</th>
                {data.runs.map((r) => (
                  <td key={r.id} className="small">
                    {r.backend ?? '—'} {r.device ? `· ${r.device}` : ''}
                  </td>
                ))}
              </tr>
              {[...data.differs, ...data.paramKeys.filter((k) => !data.differs.includes(k))].map((k) => (
                <tr key={k} className={data.differs.includes(k) ? 'runs-differs' : undefined}>
                  <th scope="row" className="mono">
                    {k}
                  </th>
                  {data.runs.map((r) => (
                    <td key={r.id} className="mono small">
                      {paramText(r.params[k])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
