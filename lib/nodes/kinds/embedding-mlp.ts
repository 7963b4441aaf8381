import { z } from 'zod';
import type * as tfTypes from '@tensorflow/tfjs';
import { KilnError } from '../../errors';
import { defineNode } from '../registry';
import type { BuildInfo } from '../types';
import { denseLayersParam, denseStack, outputLayer } from './model-utils';

export const embeddingMlpParams = z.object({
  columns: z.array(z.string()).min(1).describe('ordinal-encoded categorical columns to embed (connect an ordinal encoding upstream)'),
  embeddingDim: z.number().int().min(0).max(256).default(0).describe('vector size per category; 0 = min(16, ceil(cardinality / 2))'),
  layers: denseLayersParam(
    [
      { units: 64, activation: 'relu', dropout: 0 },
      { units: 32, activation: 'relu', dropout: 0 },
    ],
    'hidden layers after the embeddings and numeric features are joined',
  ),
});
type Params = z.infer<typeof embeddingMlpParams>;

function groups(p: Params, info: BuildInfo, nodeId: string): number[][] {
  const idx = p.columns.map((c) => {
    const i = info.features.indexOf(c);
    if (i < 0) throw new KilnError('UNKNOWN_COLUMN', `node "${nodeId}" param "columns": "${c}" is not a feature column`, { nodeId, param: 'columns', column: c });
    if (!info.cardinality[c]) {
      throw new KilnError('NOT_ENCODED', `node "${nodeId}" param "columns": "${c}" has no ordinal encoding upstream (add an ordinal_encode node for it)`, { nodeId, param: 'columns', column: c });
    }
    return i;
  });
  const rest = info.features.map((_, i) => i).filter((i) => !idx.includes(i));
  return [rest, ...idx.map((i) => [i])];
}

export const embeddingMlp = defineNode({
  kind: 'embedding_mlp',
  label: 'Embeddings + MLP',
  category: 'model',
  description: 'Learns a vector per category of each chosen categorical column, joins them with the numeric features, then an MLP.',
  params: embeddingMlpParams,
  example: { columns: ['Origin'], embeddingDim: 4, layers: [{ units: 32, activation: 'relu', dropout: 0 }] },
  // A model spec holds no rows: it never changes which rows are test rows.
  preservesRows: true,
  inputs: [],
  outputs: [{ name: 'model', type: 'model' }],
  async run(_inputs, p, ctx) {
    const nodeId = ctx.nodeId;
    return {
      model: {
        kind: 'embedding_mlp',
        nodeId,
        name: `Embeddings(${p.columns.join(', ')}) + MLP`,
        tasks: ['regression', 'classification'],
        intInputs: [false, ...p.columns.map(() => true)],
        inputGroups: (info: BuildInfo) => groups(p, info, nodeId),
        build: (info: BuildInfo) => {
          const { tf } = info;
          const g = groups(p, info, nodeId);
          const numeric = tf.input({ shape: [g[0]!.length], name: 'numeric' });
          const parts: tfTypes.SymbolicTensor[] = g[0]!.length ? [numeric] : [];
          const catInputs = p.columns.map((c, i) => {
            const card = info.cardinality[c]!;
            const dim = p.embeddingDim || Math.min(16, Math.ceil(card / 2));
            const inp = tf.input({ shape: [1], name: `cat_${i}`, dtype: 'int32' });
            const emb = tf.layers
              .embedding({ inputDim: card, outputDim: dim, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: info.seed + 31 * (i + 1) }) })
              .apply(inp) as tfTypes.SymbolicTensor;
            parts.push(tf.layers.flatten().apply(emb) as tfTypes.SymbolicTensor);
            return inp;
          });
          const joined = parts.length > 1 ? (tf.layers.concatenate().apply(parts) as tfTypes.SymbolicTensor) : parts[0]!;
          const h = denseStack(tf, joined, p.layers, info.seed);
          const out = outputLayer(tf, info, h, p.layers.length);
          return tf.model({ inputs: [numeric, ...catInputs], outputs: out, name: 'embedding_mlp' });
        },
      },
    };
  },
});
