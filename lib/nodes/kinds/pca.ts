import { z } from 'zod';
import { KilnError } from '../../errors';
import type { Column, NumericColumn, Table } from '../../data/table';
import { defineNode } from '../registry';
import { fitRows, inputFrame, withStep } from '../frame-utils';
import { featureColumns, requireNumericColumn, spliceColumns } from './preprocess-utils';
import { fittedState } from '../fitted';

export interface PcaState {
  /** input columns, in the order of each component's entries */
  columns: string[];
  /** training means subtracted before projecting */
  mean: number[];
  /** K unit vectors (rows), largest variance first */
  components: number[][];
  /** per component: the divisor after projecting (sqrt of its variance when whitening, else 1) */
  scale: number[];
  explainedVariance: number[];
  explainedVarianceRatio: number[];
  reads: string[];
}

/** Jacobi is O(p³) per sweep; beyond this many columns PCA in the browser would stall. */
export const PCA_MAX_COLUMNS = 512;

export const pcaParams = z.object({
  columns: z
    .array(z.string().min(1))
    .optional()
    .describe('numeric columns to project (no missing values); empty = every numeric column except the target'),
  components: z.number().int().min(1).default(2).describe('number of principal components to keep (pc1..pcK)'),
  whiten: z.boolean().default(false).describe('divide each component by its standard deviation, so all have unit variance'),
});

/**
 * Eigen-decomposition of a symmetric matrix by the cyclic Jacobi method: deterministic and
 * accurate for the small dense matrices PCA needs. Returns eigenvalues in descending order and
 * the matching unit eigenvectors (as rows), each signed so its largest-magnitude entry is
 * positive (the first one on ties) — the convention scikit-learn's PCA uses (svd_flip on Vt).
 */
export function symmetricEigen(matrix: number[][]): { values: number[]; vectors: number[][] } {
  const n = matrix.length;
  const a = matrix.map((row) => row.slice());
  const v = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j): number => (i === j ? 1 : 0)));
  let norm = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) norm += a[i]![j]! * a[i]![j]!;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i]![j]! * a[i]![j]!;
    if (off <= 1e-30 * norm || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p]![q]!;
        if (apq === 0) continue;
        const app = a[p]![p]!;
        const aqq = a[q]![q]!;
        const theta = (aqq - app) / (2 * apq);
        // the smaller rotation angle keeps the iteration stable
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < n; r++) {
          if (r === p || r === q) continue;
          const arp = a[r]![p]!;
          const arq = a[r]![q]!;
          const np = c * arp - s * arq;
          const nq = c * arq + s * arp;
          a[r]![p] = np;
          a[p]![r] = np;
          a[r]![q] = nq;
          a[q]![r] = nq;
        }
        a[p]![p] = app - t * apq;
        a[q]![q] = aqq + t * apq;
        a[p]![q] = 0;
        a[q]![p] = 0;
        for (let r = 0; r < n; r++) {
          const vrp = v[r]![p]!;
          const vrq = v[r]![q]!;
          v[r]![p] = c * vrp - s * vrq;
          v[r]![q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j]![j]! - a[i]![i]! || i - j);
  const values = order.map((i) => a[i]![i]!);
  const vectors = order.map((k) => {
    const vec = v.map((row) => row[k]!);
    let best = 0;
    for (let i = 1; i < n; i++) if (Math.abs(vec[i]!) > Math.abs(vec[best]!)) best = i;
    return vec[best]! < 0 ? vec.map((x) => -x) : vec;
  });
  return { values, vectors };
}

function nanError(column: string, row: number, nodeId?: string): never {
  const who = nodeId ? `node "${nodeId}" param "columns": ` : '';
  throw new KilnError(
    'PCA_MISSING',
    `${who}column "${column}" has a missing value at row ${row + 1}; PCA needs complete rows, add an impute node before it`,
    { column, row: row + 1, ...(nodeId ? { nodeId, param: 'columns' } : {}) },
  );
}

/** Projects the input columns onto the fitted components; they are replaced by pc1..pcK. */
export function applyPca(state: PcaState, table: Table, nodeId?: string): Table {
  const inputs = state.columns.map((name) => requireNumericColumn(table, name, 'pca'));
  for (const c of inputs) {
    const i = c.values.findIndex((x) => Number.isNaN(x));
    if (i >= 0) nanError(c.name, i, nodeId);
  }
  const p = inputs.length;
  const centred = new Float64Array(p);
  const outs: NumericColumn[] = state.components.map((_, k) => ({
    name: `pc${k + 1}`,
    type: 'numeric',
    values: new Float64Array(table.nRows),
  }));
  for (let r = 0; r < table.nRows; r++) {
    for (let j = 0; j < p; j++) centred[j] = inputs[j]!.values[r]! - state.mean[j]!;
    state.components.forEach((comp, k) => {
      let s = 0;
      for (let j = 0; j < p; j++) s += centred[j]! * comp[j]!;
      outs[k]!.values[r] = s / state.scale[k]!;
    });
  }
  // pc columns take the place of the first input column; the other inputs disappear
  const replace = new Map<string, Column[]>(state.columns.map((name, j) => [name, j === 0 ? outs : []]));
  return spliceColumns(table, replace, { kind: 'pca', ...(nodeId ? { nodeId } : {}) });
}

/** The fitted state as its kind declares it (checked when a package is read). */
export const pcaState = z.object({
  columns: z.array(z.string()),
  mean: z.array(z.number()),
  components: z.array(z.array(z.number())),
  scale: z.array(z.number()),
  // Reporting only (NaN for a zero-variance input travels as null in JSON).
  explainedVariance: z.array(z.number().nullable()),
  explainedVarianceRatio: z.array(z.number().nullable()),
  reads: z.array(z.string()),
});

export const pca = defineNode({
  kind: 'pca',
  label: 'PCA',
  category: 'preprocess',
  description:
    'Principal component analysis fitted on the training rows: replaces the numeric input columns by their first K ' +
    'principal components pc1..pcK (optionally whitened). Inputs must have no missing values.',
  params: pcaParams,
  example: { columns: ['Cylinders', 'Displacement', 'Horsepower'], components: 2, whiten: false },
  preservesRows: true,
  fitted: fittedState(pcaState),
  inputs: [{ name: 'data', type: 'table' }],
  outputs: [{ name: 'data', type: 'table' }],
  async run(inputs, params, ctx) {
    const frame = inputFrame(inputs, 'data', ctx.nodeId);
    const columns = featureColumns(frame, params.columns, ['numeric'], ['numeric', 'boolean', 'date'], ctx.nodeId) as NumericColumn[];
    const where = { nodeId: ctx.nodeId, param: 'columns' };
    if (columns.length === 0) {
      throw new KilnError('NO_COLUMNS', `node "${ctx.nodeId}" param "columns": there are no numeric columns to project`, where);
    }
    if (columns.length > PCA_MAX_COLUMNS) {
      throw new KilnError(
        'TOO_MANY_COLUMNS',
        `node "${ctx.nodeId}" param "columns": PCA takes at most ${PCA_MAX_COLUMNS} columns, got ${columns.length}`,
        where,
      );
    }
    for (const c of columns) {
      const i = c.values.findIndex((x) => Number.isNaN(x));
      if (i >= 0) nanError(c.name, i, ctx.nodeId);
    }
    const rows = fitRows(frame);
    const p = columns.length;
    const limit = Math.min(p, rows.length);
    if (params.components > limit) {
      throw new KilnError(
        'PCA_COMPONENTS',
        `node "${ctx.nodeId}" param "components": ${params.components} components asked, but at most ${limit} are possible (${p} columns, ${rows.length} training rows)`,
        { nodeId: ctx.nodeId, param: 'components' },
      );
    }
    if (rows.length < 2) {
      throw new KilnError('PCA_ROWS', `node "${ctx.nodeId}": PCA needs at least 2 training rows, got ${rows.length}`, {
        nodeId: ctx.nodeId,
      });
    }
    const mean = columns.map((c) => {
      let s = 0;
      for (const r of rows) s += c.values[r]!;
      return s / rows.length;
    });
    // covariance with n−1, as scikit-learn reports explained_variance_
    const cov = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    const centred = new Float64Array(p);
    for (const r of rows) {
      for (let j = 0; j < p; j++) centred[j] = columns[j]!.values[r]! - mean[j]!;
      for (let i = 0; i < p; i++) {
        const ci = centred[i]!;
        const row = cov[i]!;
        for (let j = i; j < p; j++) row[j]! += ci * centred[j]!;
      }
    }
    for (let i = 0; i < p; i++) {
      for (let j = i; j < p; j++) {
        const v = cov[i]![j]! / (rows.length - 1);
        cov[i]![j] = v;
        cov[j]![i] = v;
      }
    }
    const { values, vectors } = symmetricEigen(cov);
    // tiny negative eigenvalues are rounding noise of a rank-deficient covariance
    const variance = values.map((x) => Math.max(0, x));
    const total = variance.reduce((s, x) => s + x, 0);
    const K = params.components;
    const explainedVariance = variance.slice(0, K);
    const scale = explainedVariance.map((ev, k) => {
      if (!params.whiten) return 1;
      if (!(ev > 1e-12 * Math.max(total, Number.MIN_VALUE))) {
        throw new KilnError(
          'PCA_WHITEN',
          `node "${ctx.nodeId}" param "components": component pc${k + 1} has zero variance and cannot be whitened; ask for fewer components`,
          { nodeId: ctx.nodeId, param: 'components' },
        );
      }
      return Math.sqrt(ev);
    });
    const state: PcaState = {
      columns: columns.map((c) => c.name),
      mean,
      components: vectors.slice(0, K),
      scale,
      explainedVariance,
      explainedVarianceRatio: explainedVariance.map((ev) => (total > 0 ? ev / total : 0)),
      reads: columns.map((c) => c.name),
    };
    ctx.log(
      `explained variance ratio: ${state.explainedVarianceRatio.map((r) => r.toFixed(4)).join(', ')}`,
    );
    return { data: withStep(frame, applyPca(state, frame.table, ctx.nodeId), { kind: 'pca', nodeId: ctx.nodeId, state }) };
  },
  apply(state, table) {
    return applyPca(state as PcaState, table);
  },
});
