'use client';
import dynamic from 'next/dynamic';
import type { CellOutput } from '../../../lib/notebook/schema';
import { ErrorOutput } from './ErrorOutput';
import { HtmlOutput } from './HtmlOutput';
import { ModelOutput } from './ModelOutput';
import { ProgressOutput } from './ProgressOutput';
import { TableOutput } from './TableOutput';
import { TensorOutput } from './TensorOutput';
import { TextOutput } from './TextOutput';

// vega + vega-embed are large: loaded only when a chart is shown.
const ChartOutput = dynamic(() => import('./ChartOutput').then((m) => m.ChartOutput), { ssr: false, loading: () => <p className="muted small">loading chart…</p> });

/** One output, rendered by its type. */
export function OutputView({ output, index }: { output: CellOutput; index: number }) {
  switch (output.type) {
    case 'text':
      return <TextOutput text={output.text} />;
    case 'json':
      return <TextOutput text={output.json} json />;
    case 'table':
      return <TableOutput columns={output.columns} rows={output.rows} totalRows={output.totalRows} />;
    case 'tensor':
      return <TensorOutput shape={output.shape} dtype={output.dtype} preview={output.preview} stats={output.stats} />;
    case 'chart':
      return <ChartOutput spec={output.spec} />;
    case 'model':
      return <ModelOutput name={output.name} layers={output.layers} totalParams={output.totalParams} />;
    case 'progress':
      return <ProgressOutput points={output.points} done={output.done} index={index} />;
    case 'html':
      return <HtmlOutput html={output.html} />;
    case 'error':
      return <ErrorOutput name={output.name} message={output.message} line={output.line} />;
    default:
      return <TextOutput text={`(an output of unknown type ${JSON.stringify((output as { type?: unknown }).type)})`} />;
  }
}

/** A cell's outputs; `data-testid="nb-output-<index>"` holds them all. */
export function CellOutputs({ outputs, index, stale }: { outputs: CellOutput[]; index: number; stale: boolean }) {
  return (
    <div className={`nb-outputs${stale ? ' nb-stale' : ''}`} data-testid={`nb-output-${index}`} aria-live="polite">
      {outputs.map((o, i) => (
        <OutputView key={i} output={o} index={index} />
      ))}
    </div>
  );
}
