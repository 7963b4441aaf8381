import { z } from 'zod';
import type { Table } from '../../data/table';
import { defineNode } from '../registry';
import type { ParamsMigration } from '../types';
import { fitRows, inputFrame, withStep } from '../frame-utils';
import { featureColumns, mapNumericColumns, scaleColumnsParam, trainingValues } from './preprocess-utils';
import { fittedState } from '../fitted';

export interface MinMaxColumn {
  column: string;
  dataMin: number;
  dataMax: number;
}

export interface MinMaxScaleState {
  columns: MinMaxColumn[];
  min: number;
  max: number;
  clip: boolean;
  reads: string[];
}

export const minmaxScaleParams = z
  .object({
    columns: scaleColumnsParam,
    featureRange: z
      .array(z.number())
      .length(2)
      .default([0, 1])
      .describe('[low, high]: the values the training minimum and maximum map to (scikit-learn\'s feature_range)'),
    clip: z.boolean().default(false).describe('clamp values outside the training range to the feature range'),
  })
  .refine((p) => p.featureRange[0]! < p.featureRange[1]!, { message: 'the high end must be greater than the low end', path: ['featureRange', 1] });

/**
 * Params history. Version 1 had two fields, `min` and `max`; version 2 holds them as one
 * `featureRange` pair, validated together (scikit-learn's name), so forms edit one range.
 */
export const minmaxScaleMigrations: ParamsMigration[] = [
  {
    from: 1,
    up: ({ min, max, ...rest }) => (min === undefined && max === undefined ? rest : { ...rest, featureRange: [min ?? 0, max ?? 1] }),
  },
];

/** Maps [dataMin, dataMax] linearly onto [min, max]; constant columns map to `min`; NaN stays NaN. */
export function applyMinMaxScale(state: MinMaxScaleState, table: Table): Table {
  const span = state.max - state.min;
  return mapNumericColumns(table, state.columns, 'minmax_scale', (x, s) => {
    const range = s.dataMax - s.dataMin;
    const y = range > 0 ? ((x - s.dataMin) / range) * span + state.min : Number.isNaN(x) ? NaN : state.min;
    return state.clip ? Math.min(state.max, Math.max(state.min, y)) : y;
  });
}

/** The fitted state as its kind declares it (checked when a package is read). */
export const minmaxScaleState = z.object({
  columns: z.array(z.object({ column: z.string(), dataMin: z.number(), dataMax: z.number() })),
  min: z.number(),
  max: z.number(),
  clip: z.boolean(),
  reads: z.array(z.string()),
});

export const minmaxScale = defineNode({
  kind: 'minmax_scale',
  label: 'Min-max scale',
  category: 'preprocess',
  description:
    'Scales numeric columns so the training minimum and maximum map to the feature range (default [0, 1]). ' +
    'Values outside the training range extrapolate unless clip is on.',
  params: minmaxScaleParams,
  example: { columns: ['Horsepower'], featureRange: [-1, 1], clip: false },
  paramsVersion: 2,
  migrations: minmaxScaleMigrations,
  preservesRows: true,
  fitted: fittedState(minmaxScaleState, { typicalValues: (s) => Object.fromEntries(s.columns.map((c) => [c.column, (c.dataMin + c.dataMax) / 2])) }),
  inputs: [{ name: 'data', type: 'table' }],
  outputs: [{ name: 'data', type: 'table' }],
  async run(inputs, params, ctx) {
    const frame = inputFrame(inputs, 'data', ctx.nodeId);
    const columns = featureColumns(frame, params.columns, ['numeric'], ['numeric', 'boolean', 'date'], ctx.nodeId);
    const rows = fitRows(frame);
    const specs = columns.map((c): MinMaxColumn => {
      const v = trainingValues(c, rows, ctx.nodeId, 'SCALE_EMPTY');
      let lo = Infinity;
      let hi = -Infinity;
      for (const x of v) {
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      return { column: c.name, dataMin: lo, dataMax: hi };
    });
    const state: MinMaxScaleState = {
      columns: specs,
      min: params.featureRange[0]!,
      max: params.featureRange[1]!,
      clip: params.clip,
      reads: specs.map((s) => s.column),
    };
    return {
      data: withStep(frame, applyMinMaxScale(state, frame.table), { kind: 'minmax_scale', nodeId: ctx.nodeId, state }),
    };
  },
  apply(state, table) {
    return applyMinMaxScale(state as MinMaxScaleState, table);
  },
});
