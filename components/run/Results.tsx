'use client';

import { useState, type ReactNode } from 'react';
import type { Evaluation } from '../../lib/nodes/types';
import { ConfusionMatrix } from '../charts/ConfusionMatrix';
import { RocChart } from '../charts/RocChart';
import { rocOneVsRest } from '../charts/roc';
import { ScatterChart } from '../charts/ScatterChart';
import type { RunResult } from './protocol';

function fmtMetric(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(+v.toPrecision(4));
}

function Summary({ r, stale }: { r: RunResult; stale: boolean }) {
  const d = r.data[0];
  return (
    <div className="kiln-run-summary small muted" data-testid="run-summary" title={r.cached.length ? `cached: ${r.cached.join(', ')}` : 'nothing cached'}>
      {stale && <div className="warn">graph changed since this run</div>}
      {r.backend.name} · {d ? `${d.sampleRows} of ${d.totalRows} rows` : 'no data'} · {(r.ms / 1000).toFixed(1)} s · {r.cached.length} cached · {r.tensorsAfter} tensors held
    </div>
  );
}

function Metrics({ ev, r, stale, picker }: { ev: Evaluation; r: RunResult; stale: boolean; picker: ReactNode }) {
  return (
    <div className="kiln-run-card kiln-run-metricscard" data-testid="run-metrics">
      <div className="kiln-run-cardhead">
        <strong>Metrics</strong>
        {picker}
      </div>
      <div className="small muted">{ev.nTest} test rows</div>
      <table className="grid kiln-run-metrics">
        <tbody>
          {Object.entries(ev.metrics).map(([k, v]) => (
            <tr key={k}>
              <th>{k}</th>
              <td className="num">{fmtMetric(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {ev.gates.length > 0 && (
        <ul className="kiln-run-gates" data-testid="run-gates">
          {ev.gates.map((g) => (
            <li key={g.expr}>
              <span className={`badge ${g.passed ? 'pass' : 'fail'}`}>{g.passed ? 'passed' : 'failed'}</span> <code>{g.expr}</code>
              <span className="muted small"> (got {g.value === null ? 'n/a' : fmtMetric(g.value)})</span>
            </li>
          ))}
        </ul>
      )}
      <Summary r={r} stale={stale} />
    </div>
  );
}

function RegressionPlots({ ev }: { ev: Evaluation }) {
  const pred = ev.predictions as number[];
  const actual = ev.actual as number[];
  const pts = actual.map((a, i) => ({ x: a, y: pred[i]! }));
  const res = actual.map((a, i) => ({ x: pred[i]!, y: a - pred[i]! }));
  return (
    <>
      <div className="kiln-run-card kiln-run-plot">
        <div className="kiln-run-cardhead">
          <strong>Predicted vs actual</strong>
        </div>
        <ScatterChart points={pts} xLabel="actual" yLabel="predicted" diagonal height={160} testId="pred-vs-actual" />
      </div>
      <div className="kiln-run-card kiln-run-plot">
        <div className="kiln-run-cardhead">
          <strong>Residuals</strong>
        </div>
        <ScatterChart points={res} xLabel="predicted" yLabel="actual − predicted" zeroLine height={160} testId="residuals" />
      </div>
    </>
  );
}

function ClassificationPlots({ ev }: { ev: Evaluation }) {
  const labels = ev.labels ?? [];
  const curves = rocOneVsRest(ev.predictions as number[][], ev.actual as string[], labels);
  // Binary: the two one-vs-rest curves are mirror images; show the positive class only.
  const shown = labels.length === 2 ? curves.slice(-1) : curves;
  return (
    <>
      <div className="kiln-run-card kiln-run-plot kiln-run-cm">
        <div className="kiln-run-cardhead">
          <strong>Confusion matrix</strong>
        </div>
        <div className="kiln-run-scroll">
          <ConfusionMatrix labels={labels} matrix={ev.confusion ?? []} testId="confusion-matrix" />
        </div>
      </div>
      <div className="kiln-run-card kiln-run-plot">
        <div className="kiln-run-cardhead">
          <strong>ROC (one-vs-rest)</strong>
          <span className="muted small">AUC per class</span>
        </div>
        <RocChart curves={shown} height={160} testId="roc-chart" />
      </div>
    </>
  );
}

/** Metrics, gates and the plots that fit the task, for one Evaluate node of the last run. */
export function Results({ result, stale }: { result: RunResult; stale: boolean }) {
  const [picked, setPicked] = useState<string | null>(null);
  const evs = result.evaluations;
  if (!evs.length) {
    return (
      <div className="kiln-run-card">
        <p className="muted small">The run finished, but the graph has no Evaluate node: add one after Train to see metrics and plots.</p>
        <Summary r={result} stale={stale} />
      </div>
    );
  }
  const verdictId = result.verdictNodeId;
  // The verdict first: it is what the server run records and the registry gates judge.
  const cur = evs.find((e) => e.nodeId === picked) ?? evs.find((e) => e.nodeId === verdictId) ?? evs[0]!;
  const isVerdict = cur.nodeId === verdictId;
  const badge = (
    <span
      className={`badge ${isVerdict ? 'pass' : ''}`}
      data-testid="run-verdict"
      title={
        isVerdict
          ? evs.length > 1
            ? `The graph's verdict: of ${evs.length} evaluate nodes, the one with the lowest id decides the gates and the metrics a server run records.`
            : "The graph's verdict: its gates and metrics are what a server run records."
          : `Reports only: "${verdictId}" is the graph's verdict (lowest id).`
      }
    >
      {isVerdict ? 'verdict' : `verdict: ${verdictId ?? 'none'}`}
    </span>
  );
  const picker = (
    <span className="kiln-run-evalpick">
      {evs.length > 1 ? (
        <select value={cur.nodeId} onChange={(e) => setPicked(e.target.value)} aria-label="evaluate node" title="Evaluate node">
          {evs.map((e) => (
            <option key={e.nodeId} value={e.nodeId}>
              {e.nodeId === verdictId ? `${e.nodeId} (verdict)` : e.nodeId}
            </option>
          ))}
        </select>
      ) : (
        <span className="muted small">{cur.nodeId}</span>
      )}{' '}
      {badge}
    </span>
  );
  return (
    <>
      <Metrics ev={cur.evaluation} r={result} stale={stale} picker={picker} />
      {cur.evaluation.task === 'regression' ? <RegressionPlots ev={cur.evaluation} /> : <ClassificationPlots ev={cur.evaluation} />}
    </>
  );
}
