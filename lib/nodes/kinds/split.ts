import { z } from 'zod';
import { KilnError } from '../../errors';
import type { Column } from '../../data/table';
import { createRng, permutation } from '../../rng';
import { defineNode } from '../registry';
import { inputFrame } from '../frame-utils';
import type { Frame } from '../types';

export const splitParams = z.object({
  testFraction: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.2)
    .describe('share of rows held out for testing (rounded up to whole rows, as scikit-learn does)'),
  seed: z.number().int().nonnegative().optional().describe('shuffle seed; default: derived from the graph seed'),
  stratify: z
    .boolean()
    .default(false)
    .describe('keep each target class in the same proportion in train and test (classification targets)'),
  shuffle: z
    .boolean()
    .default(true)
    .describe('shuffle before splitting; off: the last rows are the test rows (time-ordered data)'),
});

/** Class key of each row; missing target values form their own group. */
function classKeys(c: Column): string[] {
  if (c.type === 'categorical') return c.values.map((v) => (v === null ? '\u0000missing' : `s:${v}`));
  return Array.from(c.values, (v) => (Number.isNaN(v) ? '\u0000missing' : `n:${v}`));
}

/**
 * Splits n rows into train (0) and test (1): `nTest` rows, chosen by a seeded shuffle or as the
 * last rows. With `groups`, each group gets its proportional share (largest remainder method),
 * so class proportions match in both parts.
 */
export function splitRows(
  n: number,
  nTest: number,
  opts: { shuffle: boolean; seed: number; groups?: string[] },
): Uint8Array {
  const split = new Uint8Array(n);
  const rng = createRng(opts.seed);
  const pick = (rows: number[], k: number): void => {
    if (opts.shuffle) {
      const perm = permutation(rows.length, rng);
      for (let i = 0; i < k; i++) split[rows[perm[i]!]!] = 1;
    } else {
      for (let i = rows.length - k; i < rows.length; i++) split[rows[i]!] = 1;
    }
  };
  if (!opts.groups) {
    pick(
      Array.from({ length: n }, (_, i) => i),
      nTest,
    );
    return split;
  }
  const byClass = new Map<string, number[]>();
  opts.groups.forEach((g, i) => {
    const list = byClass.get(g);
    if (list) list.push(i);
    else byClass.set(g, [i]);
  });
  // sorted class order makes the allocation independent of row order
  const classes = [...byClass.keys()].sort();
  const quota = classes.map((g) => (byClass.get(g)!.length * nTest) / n);
  const alloc = quota.map(Math.floor);
  let left = nTest - alloc.reduce((s, x) => s + x, 0);
  const byRemainder = classes.map((_, i) => i).sort((a, b) => quota[b]! - alloc[b]! - (quota[a]! - alloc[a]!) || a - b);
  for (const i of byRemainder) {
    if (left === 0) break;
    alloc[i]!++;
    left--;
  }
  classes.forEach((g, i) => pick(byClass.get(g)!, alloc[i]!));
  return split;
}

export const split = defineNode({
  kind: 'split',
  label: 'Train/test split',
  category: 'preprocess',
  description:
    'Marks rows as training or test rows (seeded shuffle, optionally stratified by the target). Later nodes fit on ' +
    'training rows only. With an external test file, every row stays a training row.',
  params: splitParams,
  example: { testFraction: 0.2, seed: 7, stratify: false, shuffle: true },
  // Keeps every row but decides which are test rows: not row-preserving in the sense that matters.
  role: 'split',
  inputs: [{ name: 'data', type: 'table' }],
  outputs: [{ name: 'data', type: 'table' }],
  async run(inputs, params, ctx) {
    const frame = inputFrame(inputs, 'data', ctx.nodeId);
    const n = frame.table.nRows;
    if (ctx.testData) {
      ctx.log(`an external test table (${ctx.testData.nRows} rows) is set: all ${n} rows are training rows`);
      return { data: { ...frame, split: new Uint8Array(n) } satisfies Frame };
    }
    if (frame.split) ctx.log('the input already has a train/test split; this node replaces it', 'warn');
    const nTest = Math.ceil(n * params.testFraction);
    if (nTest === 0 || nTest >= n) {
      throw new KilnError(
        'SPLIT_EMPTY',
        `node "${ctx.nodeId}" param "testFraction": ${params.testFraction} of ${n} rows leaves ${n - nTest} training and ${nTest} test rows; both need at least one`,
        { nodeId: ctx.nodeId, param: 'testFraction' },
      );
    }
    let groups: string[] | undefined;
    if (params.stratify) {
      const target = frame.target === undefined ? undefined : frame.table.columns.find((c) => c.name === frame.target);
      if (!target) {
        throw new KilnError(
          'SPLIT_NO_TARGET',
          `node "${ctx.nodeId}" param "stratify": stratifying needs a target column, and this data has none`,
          { nodeId: ctx.nodeId, param: 'stratify' },
        );
      }
      groups = classKeys(target);
      const counts = new Map<string, number>();
      for (const g of groups) counts.set(g, (counts.get(g) ?? 0) + 1);
      if (counts.size > n / 2) {
        throw new KilnError(
          'SPLIT_STRATIFY',
          `node "${ctx.nodeId}" param "stratify": target "${target.name}" has ${counts.size} distinct values in ${n} rows; stratify needs a classification target`,
          { nodeId: ctx.nodeId, param: 'stratify', column: target.name },
        );
      }
      const single = [...counts.values()].filter((c) => c === 1).length;
      if (single > 0) ctx.log(`${single} target classes have a single row; they cannot appear in both parts`, 'warn');
    }
    const seed = params.seed ?? ctx.seed;
    const s = splitRows(n, nTest, { shuffle: params.shuffle, seed, ...(groups ? { groups } : {}) });
    ctx.log(`${n - nTest} training rows, ${nTest} test rows`);
    return { data: { ...frame, split: s } satisfies Frame };
  },
});
