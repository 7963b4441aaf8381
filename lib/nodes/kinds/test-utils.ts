/**
 * Helpers for the node-kind tests: small hand-built tables, frames and a minimal NodeContext.
 * Test-only; nothing in the catalog imports this file.
 */
import type { Column, ColumnSchema, Table } from '../../data/table';
import type { ExecEvent, Frame, NodeContext, NodeKind, PortValues } from '../types';

/** Column spec for `makeTable`: numbers (NaN = missing) or strings (null = missing). */
export type ColumnSpec =
  | number[]
  | (string | null)[]
  | { type: 'numeric' | 'boolean' | 'date'; values: number[] }
  | { type: 'categorical'; values: (string | null)[] };

/** Builds a Table from `{ name: values }`; arrays of numbers become numeric columns, others categorical. */
export function makeTable(spec: Record<string, ColumnSpec>): Table {
  const columns: Column[] = Object.entries(spec).map(([name, s]): Column => {
    if (Array.isArray(s)) {
      const numeric = s.length > 0 && s.every((v) => typeof v === 'number');
      if (numeric) return { name, type: 'numeric', values: Float64Array.from(s as number[]) };
      return { name, type: 'categorical', values: (s as (string | null)[]).slice() };
    }
    if (s.type === 'categorical') return { name, type: 'categorical', values: s.values.slice() };
    return { name, type: s.type, values: Float64Array.from(s.values) };
  });
  const nRows = columns[0]?.values.length ?? 0;
  for (const c of columns) {
    if (c.values.length !== nRows) throw new Error(`makeTable: column ${c.name} has ${c.values.length} rows, expected ${nRows}`);
  }
  return { columns, nRows };
}

/** Builds a Frame around `makeTable(spec)`; `split` uses 1 for test rows. */
export function makeFrame(
  spec: Record<string, ColumnSpec>,
  opts: { target?: string; split?: number[] } = {},
): Frame {
  const table = makeTable(spec);
  const inputSchema: ColumnSchema[] = table.columns
    .filter((c) => c.name !== opts.target)
    .map((c) => ({ name: c.name, type: c.type, nullable: true }));
  const frame: Frame = { table, steps: [], inputSchema, datasetHashes: ['test'] };
  if (opts.target !== undefined) frame.target = opts.target;
  if (opts.split) frame.split = Uint8Array.from(opts.split);
  return frame;
}

/** A NodeContext for non-tensor kinds; `logs` collects what the node logged. */
export function makeCtx(
  nodeId = 'n1',
  extra: Partial<NodeContext> = {},
): NodeContext & { logs: { message: string; level: string }[]; events: ExecEvent[] } {
  const logs: { message: string; level: string }[] = [];
  const events: ExecEvent[] = [];
  return {
    nodeId,
    seed: 42,
    signal: new AbortController().signal,
    // these kinds never touch tensors
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    tf: {} as any,
    backend: 'cpu',
    emit: (e) => events.push(e),
    log: (message, level = 'info') => logs.push({ message, level }),
    loadData: () => Promise.reject(new Error('loadData is not available in node-kind tests')),
    ...extra,
    logs,
    events,
  };
}

/**
 * Runs a kind the way the executor does: params parsed by the kind's zod schema (so defaults
 * apply), input on port `data`; returns the output frame.
 */
export async function runKind(
  kind: NodeKind<any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  frame: Frame,
  params: Record<string, unknown>,
  ctx: NodeContext = makeCtx(),
): Promise<Frame> {
  const p = kind.params.parse(params);
  const out: PortValues = await kind.run({ data: frame }, p, ctx);
  return out.data as Frame;
}

/** Plain arrays of a table's columns (NaN kept), for `toEqual` comparisons. */
export function columnsOf(t: Table): Record<string, (number | string | null)[]> {
  // fromEntries defines own properties, so a column named "__proto__" stays a column
  return Object.fromEntries(t.columns.map((c) => [c.name, Array.from(c.values as ArrayLike<number | string | null>)]));
}

/** Replays every fitted step of `frame` on `raw` via the registered kinds' `apply`. */
export function replaySteps(frame: Frame, raw: Table, kinds: Record<string, NodeKind<any>>): Table { // eslint-disable-line @typescript-eslint/no-explicit-any
  let t = raw;
  for (const s of frame.steps) {
    const k = kinds[s.kind];
    if (!k?.apply) throw new Error(`no apply for step kind ${s.kind}`);
    // state goes through JSON, as it does inside a model package
    t = k.apply(JSON.parse(JSON.stringify(s.state)), t);
  }
  return t;
}
