'use client';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { PairedHistogram } from '../charts/PairedHistogram';
import { fmt } from '../charts/scale';
import { fmtDate, fmtNum } from '../runs/format';
import { errorMessage, trpc, type RouterOutputs } from '../studio/trpc';
import { sortFeatures, type DriftSortKey } from './drift-sort';

type Report = RouterOutputs['monitoring']['report'];
type Feature = Report['drift']['features'][number];

const METHOD_LABEL: Record<string, string> = {
  ks: 'Kolmogorov–Smirnov',
  wasserstein: 'Wasserstein (normalised)',
  chisquare: 'chi-squared',
  chi2_contingency: 'chi-squared (contingency)',
  jensenshannon: 'Jensen–Shannon',
  z: 'proportion z-test',
};
/** Tests compare a p-value with the threshold; distances compare the statistic. */
const TESTS = new Set(['ks', 'chisquare', 'chi2_contingency', 'z']);

const COLUMNS: { key: DriftSortKey; label: string; num?: boolean }[] = [
  { key: 'name', label: 'Feature' },
  { key: 'method', label: 'Method' },
  { key: 'statistic', label: 'Statistic', num: true },
  { key: 'pValue', label: 'p-value', num: true },
  { key: 'threshold', label: 'Threshold', num: true },
  { key: 'drifted', label: 'Verdict' },
];

/** Drift of every input against the reference: a sortable table, and the selected input's histograms. */
export function DriftPanel({ report, endpoint, win }: { report: Report; endpoint: string; win: string }) {
  const d = report.drift;
  const [sort, setSort] = useState<{ key: DriftSortKey; desc: boolean }>({ key: 'drifted', desc: true });
  const rows = sortFeatures(d.features, sort.key, sort.desc);
  const [picked, setPicked] = useState<string | null>(null);
  const selected = picked && d.features.some((f) => f.name === picked) ? picked : (rows[0]?.name ?? null);
  const refText = d.reference === 'training' ? 'the training data' : `the ${win} before (${fmtDate(d.reference.start)} – ${fmtDate(d.reference.end)})`;
  const click = (key: DriftSortKey) => setSort((s) => ({ key, desc: s.key === key ? !s.desc : key === 'drifted' || key === 'statistic' }));

  return (
    <section className="panel" aria-label="Drift" data-testid="monitoring-drift">
      <h2>
        Drift <span className="muted small">of each input in this window against {refText}</span>
      </h2>
      <p className={`small ${d.drifted ? 'error' : d.features.some((f) => f.drifted) ? 'warn' : 'ok'}`} data-testid="drift-share">
        {d.features.filter((f) => f.drifted).length} of {d.features.length} inputs drifted — share {fmtNum(d.share * 100)} % {d.drifted ? '≥' : '<'} threshold {fmtNum(d.shareThreshold * 100)} %
        {d.drifted ? ': the dataset drifted.' : '.'}
      </p>
      {d.skipped.length > 0 && <p className="small muted">Not compared (no values on a side): {d.skipped.join(', ')}</p>}
      <div className="mon-drift">
        <table className="grid" data-testid="drift-table">
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c.key} className={c.num ? 'num' : undefined} aria-sort={sort.key === c.key ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
                  <button type="button" className="linkish mon-sort" onClick={() => click(c.key)}>
                    {c.label}
                    {sort.key === c.key ? (sort.desc ? ' ▾' : ' ▴') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((f) => (
              <FeatureRow key={f.name} f={f} current={f.name === selected} onPick={() => setPicked(f.name)} />
            ))}
            {d.prediction && <FeatureRow f={d.prediction} current={false} prediction />}
          </tbody>
        </table>
        {selected && <FeatureHistogram endpoint={endpoint} win={win} feature={selected} reference={d.reference === 'training' ? 'training' : win} />}
      </div>
    </section>
  );
}

function FeatureRow({ f, current, onPick, prediction }: { f: Feature; current: boolean; onPick?: () => void; prediction?: boolean }) {
  return (
    <tr className={current ? 'current' : undefined} data-testid={`drift-row-${f.name}`} data-drifted={f.drifted}>
      <td>
        {onPick ? (
          <button type="button" className="linkish" onClick={onPick} aria-pressed={current} title="Show its histograms">
            {f.name}
          </button>
        ) : (
          f.name
        )}
        {prediction && <span className="muted small"> (prediction)</span>}
      </td>
      <td title={f.approximate ? 'computed from sketch buckets (approximate)' : undefined}>
        {METHOD_LABEL[f.method] ?? f.method}
        {f.approximate ? ' ≈' : ''}
      </td>
      <td className="num">{fmt(f.statistic)}</td>
      <td className="num">{f.pValue !== undefined ? fmt(f.pValue) : '—'}</td>
      <td className="num">{TESTS.has(f.method) ? `p < ${fmt(f.threshold)}` : `≥ ${fmt(f.threshold)}`}</td>
      <td>
        <span className={`badge ${f.drifted ? 'mon-drifted' : 'mon-stable'}`}>{f.drifted ? 'drifted' : 'no drift'}</span>
      </td>
    </tr>
  );
}

function FeatureHistogram({ endpoint, win, feature, reference }: { endpoint: string; win: string; feature: string; reference: string }) {
  const h = useQuery({ queryKey: ['monitoring-histogram', endpoint, win, feature, reference], queryFn: () => trpc.monitoring.histogram.query({ name: endpoint, feature, window: win, reference, bins: 16 }), retry: false });
  const data = h.data;
  return (
    <figure className="mon-hist" data-testid="drift-histogram">
      <figcaption className="kiln-chart-title">{feature}: reference vs this window</figcaption>
      {h.error ? (
        <p className="error small">{errorMessage(h.error)}</p>
      ) : !data ? (
        <p className="muted small">Loading…</p>
      ) : (
        <>
          <PairedHistogram
            testId="drift-histogram-chart"
            names={[data.reference === 'training' ? 'training' : `${win} before`, 'this window']}
            bins={data.bins.map((b) => ({
              label: b.low !== undefined ? fmt(b.low) : b.label,
              a: data.referenceCount ? b.reference / data.referenceCount : 0,
              b: data.currentCount ? b.current / data.currentCount : 0,
              aCount: b.reference,
              bCount: b.current,
            }))}
          />
          <p className="small muted">
            {data.referenceCount.toLocaleString()} reference and {data.currentCount.toLocaleString()} current values
            {data.currentMissing ? `, ${data.currentMissing} missing in this window` : ''}
            {data.approximate ? '; bucketed values are placed at their bucket’s representative' : ''}.
          </p>
        </>
      )}
    </figure>
  );
}
