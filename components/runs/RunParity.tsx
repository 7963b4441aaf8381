'use client';
import { useMemo, useSyncExternalStore } from 'react';
import { loadBrowserResult, type BrowserResult } from '../run/browser-results';
import { fmtNum } from './format';
import { PARITY_TOLERANCE, parityRows } from './parity';

function subscribeStorage(onChange: () => void): () => void {
  window.addEventListener('storage', onChange);
  return () => window.removeEventListener('storage', onChange);
}

/** The browser prototype of the same graph next to this server run, differences beyond 5 % flagged. */
export function RunParity({ graphHash, serverMetrics, status }: { graphHash: string; serverMetrics: Record<string, number | null>; status: string }) {
  // localStorage exists only in the browser; the server render shows nothing (no mismatch). The
  // snapshot is a string so React can compare it between renders.
  const snap = useSyncExternalStore(subscribeStorage, () => JSON.stringify(loadBrowserResult(graphHash)), () => undefined);
  const browser = useMemo(() => (snap === undefined ? undefined : (JSON.parse(snap) as BrowserResult | null)), [snap]);
  if (browser === undefined) return null;
  const rows = browser ? parityRows(browser.metrics, serverMetrics) : [];
  const flagged = rows.filter((r) => r.flagged).length;
  const sampled = browser && browser.totalRows > 0 && browser.sampleRows < browser.totalRows;
  return (
    <section className="panel run-parity" aria-label="Parity" data-testid="run-parity">
      <h2>Parity: browser prototype vs server</h2>
      {!browser ? (
        <p className="muted small">
          No browser prototype of this graph version in this browser yet. Run it in the browser on the Canvas (same graph), and its metrics
          appear here beside the server&apos;s.
        </p>
      ) : (
        <>
          <p className="small muted">
            Browser: {browser.backend}
            {browser.adapter ? ` (${browser.adapter})` : ''}, seed {browser.seed}, {new Date(browser.at).toLocaleString()}.
            {sampled ? (
              <strong className="warn">
                {' '}
                Trained on a sample of {browser.sampleRows.toLocaleString()} of {browser.totalRows.toLocaleString()} rows — differences are expected.
              </strong>
            ) : browser.totalRows > 0 ? (
              ` All ${browser.totalRows.toLocaleString()} rows.`
            ) : null}
          </p>
          {status !== 'succeeded' && <p className="small muted">The server run has no final metrics yet.</p>}
          <table className="grid">
            <thead>
              <tr>
                <th>Metric</th>
                <th className="num">Browser</th>
                <th className="num">Server</th>
                <th className="num">Δ rel.</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.metric}>
                  <th scope="row">{r.metric}</th>
                  <td className="num">{fmtNum(r.browser)}</td>
                  <td className="num">{fmtNum(r.server)}</td>
                  <td className={`num${r.flagged ? ' flag' : ''}`} title={r.flagged ? `differs by more than ${PARITY_TOLERANCE * 100} %` : undefined}>
                    {r.relDiff === null ? '—' : `${(r.relDiff * 100).toFixed(1)} %`}
                    {r.flagged && ' ⚠'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className={`small ${flagged ? 'warn' : 'ok'}`}>
            {flagged
              ? `${flagged} metric${flagged === 1 ? '' : 's'} differ by more than ${PARITY_TOLERANCE * 100} %.`
              : rows.some((r) => r.relDiff !== null)
                ? `All shared metrics within ${PARITY_TOLERANCE * 100} %.`
                : 'No metric is reported by both sides.'}
          </p>
        </>
      )}
    </section>
  );
}
