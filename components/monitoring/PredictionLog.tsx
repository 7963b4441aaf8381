'use client';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import { fmt } from '../charts/scale';
import { fmtDate } from '../runs/format';
import { errorMessage, trpc, type RouterOutputs } from '../studio/trpc';
import { parseWindowMs } from './window-ms';

type Row = RouterOutputs['monitoring']['log']['rows'][number];

const ROW_H = 30;
const PAGE = 200;

/** `datetime-local` text of a time in the viewer's zone (what the input shows). */
function localInput(t: number): string {
  const d = new Date(t - new Date(t).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/** A short text of a prediction's output: the number or the label. */
function outputText(o: unknown): string {
  if (o && typeof o === 'object') {
    const x = o as { prediction?: unknown; label?: unknown };
    if (typeof x.prediction === 'number') return fmt(x.prediction);
    if (typeof x.label === 'string') return x.label;
  }
  return JSON.stringify(o);
}

/** The prediction log, newest first: filterable, virtualised, each row expanding to its inputs and outputs. */
export function PredictionLog({ endpoint, win, versions, codes }: { endpoint: string; win: string; versions: number[]; codes: string[] }) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [version, setVersion] = useState('');
  const [anomaly, setAnomaly] = useState('');
  const [open, setOpen] = useState<Set<number>>(new Set());
  // The window's start, fixed when the window changes, unless the user set a start of their own.
  const windowStart = useMemo(() => Date.now() - parseWindowMs(win), [win]);
  const start = from ? new Date(from).toISOString() : new Date(windowStart).toISOString();
  const end = to ? new Date(to).toISOString() : undefined;
  const badRange = from && to && new Date(from) >= new Date(to);

  const q = useInfiniteQuery({
    queryKey: ['monitoring-log', endpoint, start, end, version, anomaly],
    queryFn: ({ pageParam }) =>
      trpc.monitoring.log.query({
        name: endpoint,
        start,
        ...(end ? { end } : {}),
        ...(version ? { version: Number(version) } : {}),
        ...(anomaly ? { anomaly } : {}),
        ...(pageParam ? { cursor: pageParam } : {}),
        limit: PAGE,
      }),
    initialPageParam: null as { time: string; id: number } | null,
    getNextPageParam: (last) => last.next,
    enabled: !badRange,
    retry: false,
  });
  const rows: Row[] = useMemo(() => q.data?.pages.flatMap((p) => p.rows) ?? [], [q.data]);

  const scrollRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- react-virtual used as documented; this component is simply not auto-memoised
  const v = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_H, overscan: 10 });
  const items = v.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? -1;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = q;
  useEffect(() => {
    if (lastIndex >= rows.length - 20 && hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [lastIndex, rows.length, hasNextPage, isFetchingNextPage, fetchNextPage]);

  const toggle = (row: number) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(row)) n.delete(row);
      else n.add(row);
      return n;
    });
  const filtered = Boolean(from || to || version || anomaly);

  return (
    <section className="panel" aria-label="Prediction log" data-testid="prediction-log">
      <h2>
        Prediction log <span className="muted small">newest first; click a row for its inputs and outputs</span>
      </h2>
      <div className="row mon-filters">
        <label className="field">
          <span>From</span>
          <input type="datetime-local" value={from || localInput(windowStart)} onChange={(e) => setFrom(e.target.value)} data-testid="log-from" />
        </label>
        <label className="field">
          <span>To</span>
          <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} data-testid="log-to" />
        </label>
        <label className="field">
          <span>Version</span>
          <select value={version} onChange={(e) => setVersion(e.target.value)} data-testid="log-version">
            <option value="">all</option>
            {versions.map((x) => (
              <option key={x} value={x}>
                v{x}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Anomaly</span>
          <select value={anomaly} onChange={(e) => setAnomaly(e.target.value)} data-testid="log-anomaly">
            <option value="">any or none</option>
            <option value="any">with any anomaly</option>
            {codes.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        {filtered && (
          <button
            type="button"
            className="mon-clear"
            onClick={() => {
              setFrom('');
              setTo('');
              setVersion('');
              setAnomaly('');
            }}
          >
            Clear filters
          </button>
        )}
      </div>
      {badRange ? (
        <p className="error small">From must be before To.</p>
      ) : q.error ? (
        <p className="error small">Could not read the log: {errorMessage(q.error)}</p>
      ) : q.isLoading ? (
        <p className="muted small">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="muted small" data-testid="log-empty">
          {filtered ? 'No logged predictions match these filters.' : `No predictions logged in the last ${win}.`}
        </p>
      ) : (
        <>
          <div className="mon-log-head mon-log-grid small muted" role="row">
            <span>Time</span>
            <span>Prediction id</span>
            <span>Version</span>
            <span className="num">Latency</span>
            <span>Output</span>
            <span>Actual</span>
            <span>Anomalies</span>
          </div>
          <div className="mon-log" ref={scrollRef} data-testid="log-rows" role="table" aria-label="logged predictions" aria-rowcount={rows.length}>
            <div style={{ height: v.getTotalSize(), position: 'relative' }}>
              {items.map((it) => {
                const r = rows[it.index]!;
                const isOpen = open.has(r.row);
                return (
                  <div key={r.row} data-index={it.index} ref={v.measureElement} className="mon-log-item" style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${it.start}px)` }} role="row">
                    <button type="button" className={`mon-log-grid mon-log-row${isOpen ? ' open' : ''}`} onClick={() => toggle(r.row)} aria-expanded={isOpen} data-testid="log-row">
                      <span>{fmtDate(r.time)}</span>
                      <span className="mon-mono" title={r.id}>
                        {r.id}
                      </span>
                      <span>v{r.version}</span>
                      <span className="num">{fmt(r.latencyMs)} ms</span>
                      <span className="mon-mono">{outputText(r.outputs)}</span>
                      <span className="mon-mono">{'actual' in r ? JSON.stringify(r.actual) : <span className="muted">—</span>}</span>
                      <span>
                        {r.anomalies.map((a, i) => (
                          <span key={i} className="badge mon-anomaly" title={`${a.code} on ${a.column}`}>
                            {a.code} · {a.column}
                          </span>
                        ))}
                      </span>
                    </button>
                    {isOpen && (
                      <div className="mon-log-detail" data-testid="log-detail">
                        <div>
                          <h4>Inputs</h4>
                          <pre>{JSON.stringify(r.inputs, null, 2)}</pre>
                        </div>
                        <div>
                          <h4>Outputs</h4>
                          <pre>{JSON.stringify(r.outputs, null, 2)}</pre>
                        </div>
                        <div>
                          <h4>Feedback</h4>
                          <pre>{'actual' in r ? JSON.stringify(r.actual, null, 2) : 'none yet'}</pre>
                        </div>
                      </div>
                    )}
                  </div>
                );
              })}
            </div>
          </div>
          <p className="small muted">
            {rows.length.toLocaleString()} rows loaded{q.hasNextPage ? ' — scroll for more' : ' — that is all'}
            {q.isFetchingNextPage ? ' (loading…)' : ''}
          </p>
        </>
      )}
    </section>
  );
}
