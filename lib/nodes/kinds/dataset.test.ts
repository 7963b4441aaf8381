import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../data/hash';
import { loadBuiltinDataset } from '../../data/node';
import type { DataSource, Frame } from '../types';
import { dataset } from './dataset';
import { columnsOf, makeCtx } from './test-utils';

const CSV = 'hp,origin,mpg\n130,USA,18\n,Japan,24\n95,Japan,\n';

async function run(params: Record<string, unknown>, load: (ref: { builtin?: string; input?: string }) => Promise<DataSource>) {
  const refs: unknown[] = [];
  const ctx = makeCtx('data', { loadData: (ref) => (refs.push(ref), load(ref)) });
  const out = await dataset.run({}, dataset.params.parse(params), ctx);
  return { frame: out.data as Frame, refs, ctx };
}

const input = async (): Promise<DataSource> => ({ name: 'cars.csv', text: CSV, format: 'csv' });

describe('dataset', () => {
  it('reads the caller’s input rows, sets the target and the raw input schema', async () => {
    const { frame, refs, ctx } = await run({ source: 'input', name: 'cars.csv', target: 'mpg' }, input);
    expect(refs).toEqual([{ input: 'cars.csv' }]);
    expect(columnsOf(frame.table)).toEqual({ hp: [130, NaN, 95], origin: ['USA', 'Japan', 'Japan'], mpg: [18, 24, NaN] });
    expect(frame.target).toBe('mpg');
    expect(frame.steps).toEqual([]);
    expect(frame.split).toBeUndefined();
    // the target is not an input the package will accept; nullable follows the data
    expect(frame.inputSchema).toEqual([
      { name: 'hp', type: 'numeric', nullable: true },
      { name: 'origin', type: 'categorical', nullable: false, categories: ['Japan', 'USA'] },
    ]);
    expect(frame.datasetHashes).toEqual([sha256Hex(CSV)]);
    // The raw columns' data schema (what the package keeps for serving): ranges, domains, missing rates.
    expect(frame.rawSchema!.columns.map((c) => [c.name, c.min, c.max, c.categories, c.nullable, c.maxMissingRate])).toEqual([
      ['hp', 95, 130, undefined, true, 1 / 3 + 0.05],
      ['origin', undefined, undefined, ['Japan', 'USA'], false, 0],
      ['mpg', 18, 24, undefined, true, 1 / 3 + 0.05],
    ]);
    expect(ctx.logs.map((l) => l.message)).toEqual(['cars.csv: 3 rows × 3 columns']);
    expect(await dataset.sourceKey!(dataset.params.parse({ source: 'input', name: 'cars.csv' }), makeCtx('d', { loadData: input }))).toBe(sha256Hex(CSV));
  });

  it('reads a built-in vega dataset by name', async () => {
    const { frame, refs } = await run({ name: 'cars', target: 'Miles_per_Gallon' }, (ref) => loadBuiltinDataset(ref.builtin!));
    expect(refs).toEqual([{ builtin: 'cars' }]);
    expect(frame.table.nRows).toBe(406);
    expect(frame.table.columns.map((c) => c.name)).toContain('Horsepower');
    expect(frame.inputSchema.map((c) => c.name)).not.toContain('Miles_per_Gallon');
  });

  it('names a target column that is not in the data', async () => {
    await expect(run({ source: 'input', name: 'cars.csv', target: 'price' }, input)).rejects.toMatchObject({
      code: 'MISSING_COLUMN',
      message: expect.stringMatching(/target column "price" not found.*columns: hp, origin, mpg/),
    });
  });

  it('rejects data that does not match the declared schema, naming row and column', async () => {
    const schema = [{ name: 'hp', type: 'numeric' }, { name: 'origin', type: 'numeric' }, { name: 'mpg', type: 'numeric' }];
    await expect(run({ source: 'input', name: 'cars.csv', schema }, input)).rejects.toThrow(/cars\.csv row 2 column "origin"/);
  });
});
