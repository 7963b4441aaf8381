import type { PortType } from '../../lib/graph/schema';

/** One colour per port type, used by handles, edges and the legend. */
export const PORT_COLORS: Record<PortType, string> = {
  table: '#2563eb',
  model: '#9333ea',
  trained: '#c2410c',
  metrics: '#15803d',
};

export const CATEGORY_ORDER = ['data', 'preprocess', 'model', 'train', 'evaluate'] as const;

export const CATEGORY_LABELS: Record<(typeof CATEGORY_ORDER)[number], string> = {
  data: 'Data',
  preprocess: 'Preprocess',
  model: 'Model',
  train: 'Train',
  evaluate: 'Evaluate',
};

/** Approximate rendered size of a node, for auto-layout and new-node placement. */
export function nodeSize(inputs: number, outputs: number): { width: number; height: number } {
  return { width: 170, height: 58 + 20 * Math.max(inputs, outputs, 1) };
}
