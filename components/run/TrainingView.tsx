'use client';

import { useState } from 'react';
import type { Graph } from '../../lib/graph/schema';
import { parsedParams } from '../../lib/nodes/graph-queries';
import { getNodeKind } from '../../lib/nodes/registry';
import type { EpochMetrics } from '../../lib/nodes/types';
import { LineChart, type LineSeries } from '../charts/LineChart';
import { useRunStore } from './run-store';

/** Epochs each training node will run at most, as its kind reads them from its params. */
export function plannedEpochs(graph: Graph): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of graph.nodes) {
    const kind = getNodeKind(n.kind);
    if (!kind?.epochs) continue;
    const p = parsedParams(n, kind);
    if (p !== undefined) out[n.id] = kind.epochs.planned(p);
  }
  return out;
}

function lossSeries(history: EpochMetrics[], prefix: string): LineSeries[] {
  const s: LineSeries[] = [{ name: `${prefix}train loss`, color: '#2563eb', points: history.map((m) => ({ x: m.epoch, y: m.loss })) }];
  const val = history.filter((m) => typeof m.valLoss === 'number');
  if (val.length) s.push({ name: `${prefix}val loss`, color: '#d97706', points: val.map((m) => ({ x: m.epoch, y: m.valLoss! })) });
  return s;
}

/** Progress over every train node's epochs and the live loss chart of one train node. */
export function TrainingView({ graph }: { graph: Graph }) {
  const { epochs, finished, phase, result } = useRunStore();
  const planned = plannedEpochs(graph);
  const trainIds = Object.keys(planned);
  const [picked, setPicked] = useState<string | null>(null);
  const current = picked && trainIds.includes(picked) ? picked : trainIds[0];

  // A finished train node counts fully (early stopping ends it before its planned epochs).
  let done = 0;
  let total = 0;
  for (const id of trainIds) {
    total += planned[id]!;
    done += finished.includes(id) ? planned[id]! : Math.min(planned[id]!, epochs[id]?.length ?? 0);
  }
  const pct = total ? Math.round((done / total) * 100) : 0;

  // Live epochs during a run; the finished history (also for cached nodes) after it.
  const live = current ? epochs[current] : undefined;
  const fromResult = result?.histories.find((h) => h.nodeId === current)?.history;
  const history = phase !== 'idle' ? (live ?? []) : live?.length ? live : (fromResult ?? []);

  if (!trainIds.length) return <p className="muted small">This graph has no Train node, so there is no loss to chart. Add Train → Evaluate after a model.</p>;
  return (
    <div>
      <div className="kiln-run-cardhead">
        <strong>Training</strong>
        {trainIds.length > 1 && (
          <select aria-label="train node" value={current} onChange={(e) => setPicked(e.target.value)}>
            {trainIds.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        )}
      </div>
      <div className="kiln-run-progress" data-testid="run-progress" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={done} title={`${done} / ${total} epochs`}>
        <div style={{ width: `${pct}%` }} />
        <span>
          {done} / {total} epochs
        </span>
      </div>
      <LineChart series={history.length ? lossSeries(history, '') : []} xLabel="epoch" yLabel="loss" height={140} width={264} testId="loss-chart" />
    </div>
  );
}
