'use client';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import type { Table } from '../../lib/data/table';
import { cellText } from './load-table';

const ROW_H = 28;

/** Every row of a table, virtualised: only the rows in view are in the DOM. */
export function DataTable({ table }: { table: Table }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- react-virtual used as documented; this component is simply not auto-memoised
  const rows = useVirtualizer({ count: table.nRows, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_H, overscan: 12 });
  const cols = `56px repeat(${table.columns.length}, minmax(110px, 1fr))`;
  const minWidth = 56 + table.columns.length * 110;
  return (
    <div className="data-table" ref={scrollRef} style={{ height: Math.min(340, 36 + table.nRows * ROW_H + 2) }} data-testid="data-table" role="table" aria-rowcount={table.nRows + 1} aria-label="dataset rows">
      <div className="data-row data-head" style={{ gridTemplateColumns: cols, minWidth }} role="row">
        <div className="data-cell data-idx" role="columnheader">
          #
        </div>
        {table.columns.map((c) => (
          <div key={c.name} className="data-cell" role="columnheader" title={`${c.name} (${c.type})`}>
            {c.name}
            <span className="data-type">{c.type}</span>
          </div>
        ))}
      </div>
      <div style={{ height: rows.getTotalSize(), position: 'relative', minWidth }}>
        {rows.getVirtualItems().map((vr) => (
          <div
            key={vr.index}
            className="data-row"
            role="row"
            aria-rowindex={vr.index + 2}
            style={{ gridTemplateColumns: cols, transform: `translateY(${vr.start}px)`, height: ROW_H }}
          >
            <div className="data-cell data-idx" role="cell">
              {vr.index + 1}
            </div>
            {table.columns.map((c, j) => {
              const t = cellText(table, j, vr.index);
              return (
                <div key={c.name} role="cell" className={`data-cell${t === null ? ' data-missing' : ''}${c.type !== 'categorical' ? ' data-num' : ''}`}>
                  {t ?? 'null'}
                </div>
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
}
