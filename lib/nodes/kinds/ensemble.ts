import { z } from 'zod';
import { KilnError } from '../../errors';
import { canonicalJson } from '../../graph/canonical';
import { defineNode } from '../registry';
import type { TrainedModel } from '../types';

export const ensembleParams = z.object({});

export const ensemble = defineNode({
  kind: 'ensemble',
  label: 'Ensemble (average)',
  category: 'train',
  description: 'Averages the predictions (or class probabilities) of several trained models that share the same preprocessing and target.',
  params: ensembleParams,
  example: {},
  preservesRows: true,
  inputs: [{ name: 'models', type: 'trained', multiple: true }],
  outputs: [{ name: 'trained', type: 'trained' }],
  async run(inputs, _p, ctx) {
    const models = (inputs.models as TrainedModel[]) ?? [];
    const nodeId = ctx.nodeId;
    if (models.length < 2) throw new KilnError('ENSEMBLE_SIZE', `node "${nodeId}": connect at least 2 trained models to "models" (got ${models.length})`, { nodeId, port: 'models' });
    const first = models[0]!;
    const sig = (m: TrainedModel) => canonicalJson({ task: m.task, target: m.target, labels: m.labels ?? null, features: m.features, steps: m.frame.steps });
    const s0 = sig(first);
    models.forEach((m, i) => {
      if (sig(m) !== s0) {
        throw new KilnError(
          'ENSEMBLE_MISMATCH',
          `node "${nodeId}": model ${i + 1} (${m.members[0]?.name}) differs from model 1 in task, target, classes, features or preprocessing; ensemble members must share them`,
          { nodeId, port: 'models' },
        );
      }
    });
    // Averaging happens in original units, so each member keeps its own target scale only if equal.
    const scales = models.map((m) => canonicalJson(m.targetScale ?? null));
    if (new Set(scales).size > 1) throw new KilnError('ENSEMBLE_MISMATCH', `node "${nodeId}": members were trained on different target rows`, { nodeId, port: 'models' });
    const trained: TrainedModel = {
      ...first,
      members: models.flatMap((m) => m.members),
      history: first.history,
      stoppedEarly: false,
    };
    return { trained };
  },
});
