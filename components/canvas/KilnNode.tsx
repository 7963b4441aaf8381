'use client';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { PortSpec } from '../../lib/graph/schema';
import type { NodeRunStatus } from '../studio/graph-store';
import { PORT_COLORS } from './ports';

export interface KilnNodeData extends Record<string, unknown> {
  id: string;
  kind: string;
  title: string;
  kindLabel: string;
  known: boolean;
  inputs: PortSpec[];
  outputs: PortSpec[];
  /** this node's diagnostics, one line each */
  problems: string[];
  status?: NodeRunStatus;
  /** set on the evaluation node that decides the run's verdict when there are several: how many */
  verdict?: number;
}

export type KilnFlowNode = Node<KilnNodeData, 'kiln'>;

function PortRow({ input, output }: { input?: PortSpec; output?: PortSpec }) {
  return (
    <div className="kc-port-row">
      {input ? (
        <>
          <Handle
            type="target"
            position={Position.Left}
            id={input.name}
            className="kc-handle"
            style={{ background: PORT_COLORS[input.type] }}
            title={`${input.name}: ${input.type}${input.required === false ? ' (optional)' : ''}${input.multiple ? ' (many)' : ''}`}
          />
          <span className="kc-port-label kc-in" title={`${input.name}: ${input.type}`}>
            {input.name}
            {input.name !== input.type && !output ? <span className="kc-port-type" style={{ color: PORT_COLORS[input.type] }}>{input.type}</span> : null}
          </span>
        </>
      ) : (
        <span />
      )}
      {output ? (
        <>
          <span className="kc-port-label kc-out" title={`${output.name}: ${output.type}`}>
            {output.name !== output.type && !input ? <span className="kc-port-type" style={{ color: PORT_COLORS[output.type] }}>{output.type}</span> : null}
            {output.name}
          </span>
          <Handle
            type="source"
            position={Position.Right}
            id={output.name}
            className="kc-handle"
            style={{ background: PORT_COLORS[output.type] }}
            title={`${output.name}: ${output.type}`}
          />
        </>
      ) : null}
    </div>
  );
}

/** A pipeline node: label, kind, typed ports, run status and its diagnostics. Memoised: a drag re-renders only what moved. */
export const KilnNode = memo(function KilnNode({ data, selected }: NodeProps<KilnFlowNode>) {
  const rows = Math.max(data.inputs.length, data.outputs.length);
  const state = data.status?.state;
  const bad = data.problems.length > 0;
  return (
    <div
      className={`kc-node${selected ? ' kc-selected' : ''}${bad ? ' kc-invalid' : ''}${state ? ` kc-st-${state}` : ''}`}
      data-status={state ?? 'idle'}
      title={bad ? data.problems.join('\n') : undefined}
    >
      <div className="kc-node-head">
        <div className="kc-node-title" title={data.title}>
          {data.title}
        </div>
        {data.verdict ? (
          <span
            className="badge kc-verdict"
            data-testid={`node-verdict-${data.id}`}
            title={`The run's verdict: of ${data.verdict} evaluation nodes, this one (the lowest id) decides the gates and the metrics a server run records.`}
          >
            verdict
          </span>
        ) : null}
        {state ? (
          <span className={`badge ${state}`} data-testid={`node-status-${data.id}`} title={data.status?.message ?? (data.status?.ms !== undefined ? `${data.status.ms} ms` : undefined)}>
            {state}
          </span>
        ) : null}
      </div>
      <div className="kc-node-kind">
        {data.kindLabel}
        {data.title !== data.id ? <span className="kc-node-id"> · {data.id}</span> : null}
      </div>
      {rows > 0 ? (
        <div className="kc-ports">
          {Array.from({ length: rows }, (_, i) => (
            <PortRow key={i} input={data.inputs[i]} output={data.outputs[i]} />
          ))}
        </div>
      ) : null}
      {bad ? (
        <div className="kc-node-problem" role="note">
          ⚠ {data.problems[0]}
          {data.problems.length > 1 ? ` (+${data.problems.length - 1} more)` : ''}
        </div>
      ) : null}
      {state === 'failed' && data.status?.message ? <div className="kc-node-problem">✖ {data.status.message}</div> : null}
    </div>
  );
});

export const nodeTypes = { kiln: KilnNode };
