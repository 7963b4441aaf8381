import type { PortSpec } from '../../lib/graph/schema';

/** The serialisable part of a node kind that a catalog card shows (no zod schema, no run). */
export interface NodeKindSummary {
  kind: string;
  label: string;
  description: string;
  inputs: PortSpec[];
  outputs: PortSpec[];
}

function portText(p: PortSpec): string {
  return `${p.name}: ${p.type}${p.multiple ? '[]' : ''}`;
}

/** One node kind in the catalog: its label, kind id, description and typed ports. */
export function NodeKindCard({ node }: { node: NodeKindSummary }) {
  return (
    <li className="node-card" data-kind={node.kind}>
      <h3>{node.label}</h3>
      <code>{node.kind}</code>
      <p>{node.description}</p>
      <div className="ports">
        {node.inputs.map((p) => (
          <span key={`in-${p.name}`} className="port" title={p.description}>
            in {portText(p)}
          </span>
        ))}
        {node.outputs.map((p) => (
          <span key={`out-${p.name}`} className="port" title={p.description}>
            out {portText(p)}
          </span>
        ))}
      </div>
    </li>
  );
}
