'use client';
import type { CellOutput, NotebookDoc } from '../../lib/notebook/schema';
import '../notebook/notebook.css';
import { OutputView } from '../notebook/outputs/CellOutputs';

/**
 * One stored output, inert. Every renderer used here draws data only (text nodes, tables, SVG,
 * HTML in an iframe sandboxed to nothing); a Vega chart is not drawn, since drawing it compiles
 * the spec's expressions into functions in this page.
 */
function InertOutput({ output, index }: { output: CellOutput; index: number }) {
  if (output.type === 'chart') {
    const data = (output.spec as { data?: { values?: unknown } }).data?.values;
    return (
      <p className="muted small nb-out-text">
        [chart — not drawn in a shared view{Array.isArray(data) ? `; ${data.length} data rows` : ''}]
      </p>
    );
  }
  return <OutputView output={output} index={index} />;
}

/** A shared notebook version: each cell's source and the outputs stored with it. Nothing runs. */
export function SharedNotebook({ version, doc }: { version: number; doc: NotebookDoc }) {
  return (
    <>
      <h1 style={{ margin: '0 0 4px', fontSize: 22 }}>Notebook v{version}</h1>
      <p className="muted small">Read-only: the cells and the outputs saved with them. No code runs on this page.</p>
      <div className="nb-cells" style={{ padding: '8px 0', overflow: 'visible' }}>
        {doc.cells.map((c, i) => (
          <section key={c.id} className="nb-cell" data-testid={`shared-cell-${i}`} aria-label={`Cell ${i + 1}`}>
            <div className="nb-cell-bar">
              <span className="nb-cell-no mono small">[{i + 1}]</span>
            </div>
            <pre className="nb-editor-fallback" style={{ paddingLeft: 12 }}>
              {c.source}
            </pre>
            {c.outputs.length > 0 ? (
              <div className="nb-outputs" data-testid={`shared-output-${i}`}>
                {c.outputs.map((o, j) => (
                  <InertOutput key={j} output={o} index={i} />
                ))}
              </div>
            ) : null}
          </section>
        ))}
      </div>
    </>
  );
}
