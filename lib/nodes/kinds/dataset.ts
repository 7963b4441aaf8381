import { z } from 'zod';
import { columnSchemaSchema } from '../../data/column-schema';
import { sha256Hex } from '../../data/hash';
import { inferSchema, parseTable } from '../../data/infer';
import { KilnError } from '../../errors';
import { inferDataSchema } from '../../sketch/data-schema';
import { sketchTable } from '../../sketch/table-sketch';
import { defineNode } from '../registry';
import type { DataSource, Frame, NodeContext } from '../types';

export const datasetParams = z.object({
  source: z.enum(['builtin', 'input']).default('builtin').describe('builtin: a vega-datasets file by name; input: data given by the caller (upload, --data)'),
  name: z.string().min(1).max(200).describe('dataset name, e.g. "cars" (builtin) or the input name'),
  target: z.string().min(1).optional().describe('column to predict'),
  schema: z.array(columnSchemaSchema).max(10000).optional().describe('expected columns and types; data that does not match is rejected naming row and column'),
});
type Params = z.infer<typeof datasetParams>;

function ref(p: Params) {
  return p.source === 'builtin' ? { builtin: p.name } : { input: p.name };
}

async function load(p: Params, ctx: NodeContext): Promise<DataSource> {
  return ctx.loadData(ref(p));
}

export const dataset = defineNode({
  kind: 'dataset',
  label: 'Dataset',
  category: 'data',
  description: 'Reads a table: a built-in vega dataset (cars, penguins, seattle-weather …) or CSV/JSON given by the caller. Chooses the target column.',
  params: datasetParams,
  example: { source: 'builtin', name: 'cars', target: 'Miles_per_Gallon' },
  readsDatasets: (p) => [{ source: p.source, name: p.name, ...(p.schema ? { schema: p.schema } : {}), ...(p.target ? { target: p.target } : {}) }],
  inputs: [],
  outputs: [{ name: 'data', type: 'table' }],
  async sourceKey(p, ctx) {
    return sha256Hex((await load(p, ctx)).text);
  },
  async run(_inputs, p, ctx) {
    const src = await load(p, ctx);
    const table = parseTable(src, p.schema ? { schema: p.schema } : {});
    if (p.target && !table.columns.some((c) => c.name === p.target)) {
      throw new KilnError(
        'MISSING_COLUMN',
        `${src.name}: target column "${p.target}" not found (node "${ctx.nodeId}" param "target"; columns: ${table.columns.map((c) => c.name).join(', ')})`,
        { file: src.name, nodeId: ctx.nodeId, param: 'target', column: p.target },
      );
    }
    const frame: Frame = {
      table,
      ...(p.target ? { target: p.target } : {}),
      steps: [],
      inputSchema: inferSchema(table).filter((c) => c.name !== p.target),
      rawSchema: inferDataSchema(sketchTable(table)),
      datasetHashes: [sha256Hex(src.text)],
    };
    ctx.log(`${src.name}: ${table.nRows} rows × ${table.columns.length} columns`);
    return { data: frame };
  },
});
