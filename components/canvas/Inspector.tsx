'use client';
import { useMemo, useRef } from 'react';
import { renameLabel, setParam } from '../../lib/graph/edit';
import type { GraphNode } from '../../lib/graph/schema';
import { getNodeKind, type AnyNodeKind } from '../../lib/nodes/registry';
import { paramFields, paramIssues, showsExample } from '../../lib/nodes/param-fields';
import { useGraphStore } from '../studio/graph-store';
import { deleteSelection } from './commands';
import { FieldInput, subIssues } from './ParamInputs';
import { PORT_COLORS } from './ports';
import { useColumns } from './useColumns';

function exampleText(v: unknown): string {
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(', ');
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function ParamForm({ node, kind }: { node: GraphNode; kind: AnyNodeKind }) {
  const graph = useGraphStore((s) => s.graph);
  const projectName = useGraphStore((s) => s.projectName);
  const fields = useMemo(() => paramFields(kind.params, kind.example), [kind]);
  const issues = useMemo(() => paramIssues(kind.params, node.params), [kind, node.params]);
  const cols = useColumns(graph, node.id, projectName);
  // Typing in one field is one undo step; a new field (or leaving it) starts another.
  const editing = useRef<string | null>(null);
  const needsColumns = fields.some((f) => f.type === 'columns' || (f.type === 'string' && f.column));

  if (!fields.length) return <p className="muted small">This node has no parameters.</p>;
  const rootIssue = issues[''];
  return (
    <div className="kc-form" onBlurCapture={() => (editing.current = null)}>
      {rootIssue ? <p className="kc-issue">{rootIssue}</p> : null}
      {needsColumns ? (
        <p className="small muted kc-cols-hint" data-testid="columns-source">
          {cols.loading
            ? 'Loading columns…'
            : cols.error
              ? <span className="error">Columns unavailable: {cols.error}</span>
              : cols.columns
                ? `Columns from ${cols.from}`
                : 'Connect a dataset upstream to pick columns from a list.'}
        </p>
      ) : null}
      {fields.map((f) => {
        const fIssues = subIssues(issues, f.name);
        const key = `${node.id}:${f.name}`;
        const set = (v: unknown, discrete?: boolean) => {
          const history = discrete || editing.current !== key;
          editing.current = discrete ? null : key;
          useGraphStore.getState().apply((g) => setParam(g, node.id, f.name, v), { history });
        };
        const value = node.params[f.name] ?? f.default;
        const composite = f.type === 'objectList' || f.type === 'stringList' || f.type === 'numberList';
        const Label = composite ? 'div' : 'label';
        return (
          <Label key={f.name} className={`kc-field${f.type === 'boolean' ? ' kc-check' : ''}`} {...(composite ? {} : { htmlFor: `param-${f.name}` })}>
            <span className="kc-field-label">
              {f.label}
              {!f.optional && f.default === undefined ? <span className="kc-req" title="required"> *</span> : null}
              {f.type === 'number' && (f.min ?? f.exclusiveMin ?? f.max ?? f.exclusiveMax) !== undefined ? (
                <span className="kc-range">
                  {f.min ?? (f.exclusiveMin !== undefined ? `>${f.exclusiveMin}` : '')}…{f.max ?? (f.exclusiveMax !== undefined ? `<${f.exclusiveMax}` : '')}
                  {f.int ? ' (integer)' : ''}
                </span>
              ) : null}
            </span>
            <FieldInput f={f} value={value} set={set} tid={`param-${f.name}`} issues={fIssues} columns={cols.columns} />
            {fIssues[''] ? (
              <span className="kc-issue" data-testid={`issue-${f.name}`}>
                {fIssues['']}
              </span>
            ) : null}
            {f.description ? <span className="kc-help">{f.description}</span> : null}
            {showsExample(f, node.params[f.name]) ? (
              <span className="kc-help" data-testid={`example-${f.name}`}>
                e.g. <code>{exampleText(f.example)}</code>
              </span>
            ) : null}
          </Label>
        );
      })}
    </div>
  );
}

function NodeInspector({ node }: { node: GraphNode }) {
  const kind = getNodeKind(node.kind);
  const diagnostics = useGraphStore((s) => s.diagnostics);
  const mine = diagnostics.filter((d) => d.nodeId === node.id && d.code !== 'BAD_PARAM');
  const status = useGraphStore((s) => s.nodeStatus[node.id]);
  const editing = useRef(false);
  return (
    <div className="kc-inspector-body" data-testid="inspector">
      <div className="kc-insp-head">
        <div>
          <div className="kc-insp-kind">{kind?.label ?? node.kind}</div>
          <code className="small muted">{node.id}</code>
        </div>
        {status ? <span className={`badge ${status.state}`}>{status.state}</span> : null}
      </div>
      {kind ? <p className="small muted kc-desc">{kind.description}</p> : <p className="error small">Unknown node kind “{node.kind}”: delete it or import a graph that matches this Kiln.</p>}
      <label className="kc-field" htmlFor="node-label">
        <span className="kc-field-label">Label</span>
        <input
          id="node-label"
          data-testid="node-label"
          placeholder={node.id}
          value={node.label ?? ''}
          onBlur={() => (editing.current = false)}
          onChange={(e) => {
            useGraphStore.getState().apply((g) => renameLabel(g, node.id, e.target.value), { history: !editing.current });
            editing.current = true;
          }}
        />
      </label>
      {kind ? (
        <div className="kc-ports-summary small">
          {kind.inputs.map((p) => (
            <span key={`i-${p.name}`} title={p.description}>
              in <b>{p.name}</b> <i style={{ color: PORT_COLORS[p.type] }}>{p.type}</i>
              {p.required === false ? ' (optional)' : ''}
            </span>
          ))}
          {kind.outputs.map((p) => (
            <span key={`o-${p.name}`}>
              out <b>{p.name}</b> <i style={{ color: PORT_COLORS[p.type] }}>{p.type}</i>
            </span>
          ))}
        </div>
      ) : null}
      {mine.length ? (
        <ul className="kc-diags" aria-label="Problems and notes on this node">
          {mine.map((d, i) => (
            <li key={i} className={`${d.severity === 'error' ? 'error' : 'muted'} small`} data-severity={d.severity}>
              {d.message.replace(/^node "[^"]*"( \([^)]*\))?:?\s*/, '')}
            </li>
          ))}
        </ul>
      ) : null}
      {status?.state === 'failed' && status.message ? <p className="error small">Run failed: {status.message}</p> : null}
      {kind ? (
        <>
          <h3>Parameters</h3>
          <ParamForm key={node.id} node={node} kind={kind} />
        </>
      ) : null}
      <button type="button" className="danger kc-delete" onClick={() => deleteSelection([])}>
        Delete node
      </button>
    </div>
  );
}

function GraphSummary() {
  const graph = useGraphStore((s) => s.graph);
  const diagnostics = useGraphStore((s) => s.diagnostics);
  const selection = useGraphStore((s) => s.selection);
  const setSelection = useGraphStore((s) => s.setSelection);
  if (selection.length > 1) {
    return (
      <div className="kc-inspector-body" data-testid="inspector">
        <p>
          <b>{selection.length} nodes selected</b>
        </p>
        <p className="small muted">Ctrl+C copies them (also into another project), Delete removes them, drag moves them together.</p>
        <button type="button" className="danger" onClick={() => deleteSelection([])}>
          Delete {selection.length} nodes
        </button>
      </div>
    );
  }
  const errorCount = diagnostics.filter((d) => d.severity === 'error').length;
  return (
    <div className="kc-inspector-body" data-testid="inspector">
      <p className="small">
        <b>{graph.nodes.length}</b> nodes · <b>{graph.edges.length}</b> edges
      </p>
      {diagnostics.length ? (
        <>
          <h3>
            {errorCount ? `${errorCount} problem${errorCount === 1 ? '' : 's'}` : 'The pipeline is valid'}
            {diagnostics.length > errorCount ? ` · ${diagnostics.length - errorCount} note${diagnostics.length - errorCount === 1 ? '' : 's'}` : ''}
          </h3>
          <ul className="kc-diags" aria-label="Problems in this pipeline">
            {diagnostics.slice(0, 50).map((d, i) => (
              <li key={i} className="small">
                {d.nodeId && graph.nodes.some((n) => n.id === d.nodeId) ? (
                  <button type="button" className="kc-linklike" onClick={() => setSelection([d.nodeId!])}>
                    {d.nodeId}
                  </button>
                ) : null}{' '}
                <span className={d.severity === 'error' ? 'error' : 'muted'}>{d.message}</span>
              </li>
            ))}
          </ul>
        </>
      ) : graph.nodes.length ? (
        <p className="ok small">The pipeline is valid.</p>
      ) : null}
      <p className="small muted">Select a node to edit its parameters. Shift-drag selects a box; Ctrl/⌘+A selects all.</p>
    </div>
  );
}

/** The right panel: the selected node's label and generated params form, or the pipeline's problems. */
export function Inspector() {
  const selection = useGraphStore((s) => s.selection);
  const node = useGraphStore((s) => (s.selection.length === 1 ? s.graph.nodes.find((n) => n.id === s.selection[0]) : undefined));
  return (
    <aside className="kc-inspector" aria-label="Inspector">
      {node && selection.length === 1 ? <NodeInspector node={node} /> : <GraphSummary />}
    </aside>
  );
}
