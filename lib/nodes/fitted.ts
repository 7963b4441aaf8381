/**
 * Fitted steps, asked of the kinds that made them: which raw columns serving must still send,
 * and how many codes an encoder produced. The state's shape belongs to its kind; no code outside
 * it reads fields of a state it did not declare.
 */
import type { z } from 'zod';
import { getNodeKind } from './registry';
import type { FittedStateSpec, FittedStep } from './types';

/**
 * The usual declaration: a state schema whose `reads` field lists the columns the step needs at
 * serving time (the preprocessing kinds' convention), plus optional extras.
 */
export function fittedState<S extends { reads: string[] }>(schema: z.ZodType<S>, extra: Omit<FittedStateSpec<NoInfer<S>>, 'schema' | 'reads'> = {}): FittedStateSpec<S> {
  return { schema, reads: (s) => s.reads, ...extra };
}

/**
 * Names of raw columns that the steps read, or `null` when some step's kind cannot say (an
 * unknown kind, or one whose reads are open-ended, such as custom code): then every raw column
 * is assumed needed.
 */
export function columnsReadBySteps(steps: readonly FittedStep[]): Set<string> | null {
  const out = new Set<string>();
  for (const s of steps) {
    const reads = getNodeKind(s.kind)?.fitted?.reads(s.state);
    if (!reads) return null;
    for (const r of reads) out.add(r);
  }
  return out;
}

/** Distinct codes per column, from every step whose kind reports them (ordinal encodings). */
export function stepCardinality(steps: readonly FittedStep[]): Record<string, number> {
  // Keyed by column names (data): no prototype, so `constructor` is not Object's.
  const out = Object.create(null) as Record<string, number>;
  for (const s of steps) {
    const c = getNodeKind(s.kind)?.fitted?.cardinality?.(s.state);
    if (c) Object.assign(out, c);
  }
  return out;
}

/** Encoders' typical values: each column's first known category. */
export function firstCategories(s: { columns: { column: string; categories: string[] | number[] }[] }): Record<string, number | string> {
  const out = Object.create(null) as Record<string, number | string>;
  for (const c of s.columns) if (c.categories.length > 0) out[c.column] = c.categories[0]!;
  return out;
}

/**
 * Typical raw values per column from fitted steps, as each step's kind reports them. Steps run in
 * order and only the first step that reads a raw column sees it raw, so the first value wins.
 * States that do not have their kind's shape are skipped.
 */
export function typicalValuesFromSteps(steps: readonly FittedStep[]): Map<string, number | string> {
  const out = new Map<string, number | string>();
  for (const s of steps) {
    const spec = getNodeKind(s.kind)?.fitted;
    if (!spec?.typicalValues) continue;
    const state = spec.schema.safeParse(s.state);
    if (!state.success) continue;
    for (const [col, v] of Object.entries(spec.typicalValues(state.data))) {
      if (!out.has(col) && ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string')) out.set(col, v);
    }
  }
  return out;
}

/** Checks a step's state against its kind's declared schema: where and what is wrong, or null when it fits. */
export function fittedStateProblem(step: FittedStep): { path: string; message: string } | null {
  const spec = getNodeKind(step.kind)?.fitted;
  if (!spec) return null;
  const r = spec.schema.safeParse(step.state);
  if (r.success) return null;
  const i = r.error.issues[0]!;
  return { path: ['state', ...i.path.map(String)].join('.'), message: i.message };
}
