import { z } from 'zod';
import type { Table } from '../../data/table';
import { defineNode } from '../registry';
import { fitRows, inputFrame, withStep } from '../frame-utils';
import { featureColumns, mapNumericColumns, scaleColumnsParam, trainingValues } from './preprocess-utils';
import { fittedState } from '../fitted';

export interface StandardScaleColumn {
  column: string;
  /** subtracted (0 when withMean is off) */
  mean: number;
  /** divided by (1 when withStd is off or the training values are constant) */
  scale: number;
}

export interface StandardScaleState {
  columns: StandardScaleColumn[];
  reads: string[];
}

export const standardScaleParams = z.object({
  columns: scaleColumnsParam,
  withMean: z.boolean().default(true).describe('subtract the training mean'),
  withStd: z.boolean().default(true).describe('divide by the training standard deviation (population, ddof 0)'),
});

/** (x − mean) / scale per column; missing values stay NaN. */
export function applyStandardScale(state: StandardScaleState, table: Table): Table {
  return mapNumericColumns(table, state.columns, 'standard_scale', (x, s) => (x - s.mean) / s.scale);
}

/** The fitted state as its kind declares it (checked when a package is read). */
export const standardScaleState = z.object({
  columns: z.array(z.object({ column: z.string(), mean: z.number(), scale: z.number() })),
  reads: z.array(z.string()),
});

export const standardScale = defineNode({
  kind: 'standard_scale',
  label: 'Standard scale',
  category: 'preprocess',
  description:
    'Centres numeric columns on the training mean and divides by the training standard deviation (as scikit-learn’s ' +
    'StandardScaler: population std, constant columns keep scale 1, missing values stay missing).',
  params: standardScaleParams,
  example: { columns: ['Horsepower', 'Weight_in_lbs'], withMean: true, withStd: true },
  preservesRows: true,
  fitted: fittedState(standardScaleState, { typicalValues: (s) => Object.fromEntries(s.columns.map((c) => [c.column, c.mean])) }),
  inputs: [{ name: 'data', type: 'table' }],
  outputs: [{ name: 'data', type: 'table' }],
  async run(inputs, params, ctx) {
    const frame = inputFrame(inputs, 'data', ctx.nodeId);
    const columns = featureColumns(frame, params.columns, ['numeric'], ['numeric', 'boolean', 'date'], ctx.nodeId);
    const rows = fitRows(frame);
    const specs = columns.map((c): StandardScaleColumn => {
      const v = trainingValues(c, rows, ctx.nodeId, 'SCALE_EMPTY');
      let sum = 0;
      for (const x of v) sum += x;
      const mean = sum / v.length;
      // two-pass variance: stable for large offsets (e.g. dates in epoch milliseconds)
      let ss = 0;
      for (const x of v) ss += (x - mean) * (x - mean);
      const std = Math.sqrt(ss / v.length);
      return {
        column: c.name,
        mean: params.withMean ? mean : 0,
        scale: params.withStd && std > 0 ? std : 1,
      };
    });
    const state: StandardScaleState = { columns: specs, reads: specs.map((s) => s.column) };
    return {
      data: withStep(frame, applyStandardScale(state, frame.table), { kind: 'standard_scale', nodeId: ctx.nodeId, state }),
    };
  },
  apply(state, table) {
    return applyStandardScale(state as StandardScaleState, table);
  },
});
