'use client';
import { MetricsAndGates } from '../runs/MetricsAndGates';
import { useMemo } from 'react';
import { LineChart, type LineSeries } from '../charts/LineChart';
import { fmtDate, shortId } from '../runs/format';
import { recordedGates } from '../runs/GateList';
import { epochSeries } from '../runs/run-events';
import '../runs/runs.css';
import { epochEvents } from './shared-epochs';
import type { SharedRunView } from './types';

/** A shared run: status, where it ran, its loss curve, metrics and gates. */
export function SharedRun({ run }: { run: SharedRunView }) {
  const series = useMemo(() => {
    const by = epochSeries(epochEvents(run.epochs));
    const out: LineSeries[] = [];
    for (const [node, pts] of by) {
      const pre = by.size > 1 ? `${node} ` : '';
      out.push({ name: `${pre}loss`, color: '#c2410c', points: pts.filter((p) => p.loss !== null).map((p) => ({ x: p.epoch, y: p.loss! })) });
      const val = pts.filter((p) => p.valLoss !== null).map((p) => ({ x: p.epoch, y: p.valLoss! }));
      if (val.length) out.push({ name: `${pre}val loss`, color: '#2563eb', points: val });
    }
    return out;
  }, [run.epochs]);
  const metrics = Object.entries(run.metrics ?? {});
  const gates = recordedGates(run.gates);
  return (
    <>
      <div className="run-head">
        <h1>
          Run <span className="mono">{shortId(run.id)}</span>
        </h1>
        <span className={`badge ${run.status}`} data-testid="shared-run-status">
          {run.status}
        </span>
      </div>
      <div className="run-facts">
        <div>
          <span>Backend</span>
          {run.backend ?? '—'}
        </div>
        <div>
          <span>Device</span>
          {run.device ?? '—'}
        </div>
        <div>
          <span>Queued</span>
          {fmtDate(run.queuedAt)}
        </div>
        <div>
          <span>Finished</span>
          {fmtDate(run.finishedAt)}
        </div>
      </div>
      <div className="run-grid">
        <section className="panel">
          <h2>Training loss</h2>
          {series.length === 0 ? <p className="muted small">This run reported no epochs.</p> : <LineChart series={series} xLabel="epoch" yLabel="loss" height={220} testId="shared-run-chart" />}
        </section>
        <section className="panel">
          <h2>Metrics</h2>
          <MetricsAndGates metrics={metrics} gates={gates} empty="No metrics recorded." testId="shared-metrics" />
        </section>
      </div>
    </>
  );
}
