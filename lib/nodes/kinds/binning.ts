import { z } from 'zod';
import type { Column, NumericColumn, Table } from '../../data/table';
import { defineNode } from '../registry';
import { fitRows, inputFrame, withStep } from '../frame-utils';
import { featureColumns, requireNumericColumn, spliceColumns, trainingValues } from './preprocess-utils';
import { fittedState } from '../fitted';

export interface BinningColumn {
  column: string;
  /** ascending bin edges from the training rows; bin i is [edges[i], edges[i+1]) and the outer bins are open-ended */
  edges: number[];
}

export interface BinningState {
  columns: BinningColumn[];
  encode: 'ordinal' | 'onehot';
  reads: string[];
}

export const binningParams = z.object({
  columns: z.array(z.string().min(1)).min(1).describe('numeric columns to bin'),
  bins: z.number().int().min(2).max(1000).default(5).describe('number of bins per column'),
  strategy: z
    .enum(['quantile', 'uniform'])
    .default('quantile')
    .describe('quantile: about equally many training rows per bin; uniform: equally wide bins between training min and max'),
  encode: z
    .enum(['ordinal', 'onehot'])
    .default('ordinal')
    .describe('ordinal: the bin index replaces the value; onehot: 0/1 columns named `column_binI`'),
});

/** Edges closer than this are merged, as scikit-learn's KBinsDiscretizer does. */
const EDGE_TOLERANCE = 1e-8;

/** numpy's default (linear) quantile of sorted values. */
function quantile(sorted: number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Fits bin edges; a constant column gets one bin. */
export function binEdges(values: number[], bins: number, strategy: 'quantile' | 'uniform'): number[] {
  const sorted = values.slice().sort((a, b) => a - b);
  const lo = sorted[0]!;
  const hi = sorted[sorted.length - 1]!;
  if (lo === hi) return [lo, hi];
  const raw: number[] = [];
  for (let i = 0; i <= bins; i++) {
    raw.push(strategy === 'uniform' ? lo + ((hi - lo) * i) / bins : quantile(sorted, i / bins));
  }
  raw[bins] = hi; // exact end point despite rounding
  const edges = [raw[0]!];
  for (let i = 1; i < raw.length; i++) if (raw[i]! - edges[edges.length - 1]! > EDGE_TOLERANCE) edges.push(raw[i]!);
  if (edges.length === 1) edges.push(hi);
  return edges;
}

/** Index of the bin holding x: the number of inner edges ≤ x (values outside the range go to the outer bins). */
function binIndex(edges: number[], x: number): number {
  let lo = 1;
  let hi = edges.length - 1; // search inner edges edges[1 .. n-2]
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Name of the one-hot column for bin i. */
export function binColumnName(column: string, i: number): string {
  return `${column}_bin${i}`;
}

/** Replaces each binned column by its bin index (ordinal) or by 0/1 bin columns (onehot); NaN stays missing. */
export function applyBinning(state: BinningState, table: Table, nodeId?: string): Table {
  const replace = new Map<string, Column[]>();
  for (const s of state.columns) {
    const c = requireNumericColumn(table, s.column, 'binning');
    const nBins = s.edges.length - 1;
    if (state.encode === 'ordinal') {
      const values = new Float64Array(table.nRows);
      for (let i = 0; i < values.length; i++) {
        const x = c.values[i]!;
        values[i] = Number.isNaN(x) ? NaN : binIndex(s.edges, x);
      }
      replace.set(c.name, [{ name: c.name, type: 'numeric', values }]);
    } else {
      const outs: NumericColumn[] = Array.from({ length: nBins }, (_, b) => ({
        name: binColumnName(c.name, b),
        type: 'numeric' as const,
        values: new Float64Array(table.nRows),
      }));
      for (let i = 0; i < table.nRows; i++) {
        const x = c.values[i]!;
        if (!Number.isNaN(x)) outs[binIndex(s.edges, x)]!.values[i] = 1;
      }
      replace.set(c.name, outs);
    }
  }
  return spliceColumns(table, replace, { kind: 'binning', ...(nodeId ? { nodeId } : {}) });
}

/** The fitted state as its kind declares it (checked when a package is read). */
export const binningState = z.object({
  columns: z.array(z.object({ column: z.string(), edges: z.array(z.number()) })),
  encode: z.enum(['ordinal', 'onehot']),
  reads: z.array(z.string()),
});

export const binning = defineNode({
  kind: 'binning',
  label: 'Binning',
  category: 'preprocess',
  description:
    'Discretises numeric columns into bins fitted on the training rows (equal width or quantiles), encoded as the ' +
    'bin index or as one 0/1 column per bin.',
  params: binningParams,
  example: { columns: ['Acceleration'], bins: 4, strategy: 'quantile', encode: 'ordinal' },
  preservesRows: true,
  fitted: fittedState(binningState),
  inputs: [{ name: 'data', type: 'table' }],
  outputs: [{ name: 'data', type: 'table' }],
  async run(inputs, params, ctx) {
    const frame = inputFrame(inputs, 'data', ctx.nodeId);
    const columns = featureColumns(frame, params.columns, ['numeric'], ['numeric', 'date'], ctx.nodeId);
    const rows = fitRows(frame);
    const specs = columns.map((c): BinningColumn => {
      const v = trainingValues(c, rows, ctx.nodeId, 'BINNING_EMPTY');
      const edges = binEdges(v, params.bins, params.strategy);
      if (edges.length - 1 < params.bins) {
        ctx.log(`column "${c.name}": ${params.bins - (edges.length - 1)} empty bins merged, ${edges.length - 1} left`, 'warn');
      }
      return { column: c.name, edges };
    });
    const state: BinningState = { columns: specs, encode: params.encode, reads: specs.map((s) => s.column) };
    return {
      data: withStep(frame, applyBinning(state, frame.table, ctx.nodeId), { kind: 'binning', nodeId: ctx.nodeId, state }),
    };
  },
  apply(state, table) {
    return applyBinning(state as BinningState, table);
  },
});
