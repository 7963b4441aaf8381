'use client';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';

type Cell = string | number | boolean | null;
const ROW_HEIGHT = 24;

function show(v: Cell): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  return String(v);
}

/** An array of records: a virtualised table (only the visible rows are in the DOM). */
export function TableOutput({ columns, rows, totalRows }: { columns: string[]; rows: Cell[][]; totalRows: number }) {
  const scroller = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- react-virtual used as documented; this component is simply not auto-memoised
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  // Fixed widths from the header and the first rows: the header and the (absolutely placed)
  // virtual rows must share one column layout.
  const widths = columns.map((c, j) => {
    let chars = c.length;
    for (const r of rows.slice(0, 60)) chars = Math.max(chars, show(r[j] ?? null).length);
    return Math.min(260, Math.max(56, chars * 7.4 + 18));
  });
  const numeric = columns.map((_, j) => rows.slice(0, 60).every((r) => r[j] === null || typeof r[j] === 'number'));
  const template = `48px ${widths.map((w) => `${Math.round(w)}px`).join(' ')}`;
  const height = Math.min(320, ROW_HEIGHT * (rows.length + 1) + 2);
  return (
    <div className="nb-out-table">
      <div ref={scroller} className="nb-table-scroll" style={{ height }} role="table" aria-rowcount={rows.length + 1}>
        <div className="nb-table-head" role="row" style={{ gridTemplateColumns: template }}>
          <span role="columnheader" className="muted">#</span>
          {columns.map((c, j) => (
            <span key={c} role="columnheader" title={c} className={numeric[j] ? 'nb-num' : undefined}>
              {c}
            </span>
          ))}
        </div>
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {virtual.getVirtualItems().map((v) => {
            const row = rows[v.index]!;
            return (
              <div key={v.key} role="row" className="nb-table-row" style={{ gridTemplateColumns: template, transform: `translateY(${v.start}px)`, height: ROW_HEIGHT }}>
                <span className="muted">{v.index}</span>
                {columns.map((c, j) => (
                  <span key={c} role="cell" className={numeric[j] ? 'nb-num' : undefined} title={show(row[j] ?? null)}>
                    {show(row[j] ?? null)}
                  </span>
                ))}
              </div>
            );
          })}
        </div>
      </div>
      <div className="small muted">
        {totalRows > rows.length ? `${rows.length.toLocaleString()} of ${totalRows.toLocaleString()} rows shown` : `${totalRows.toLocaleString()} rows`} · {columns.length} columns
      </div>
    </div>
  );
}
