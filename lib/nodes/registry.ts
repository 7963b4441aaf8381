import type { NodeKind } from './types';

/**
 * A kind of any params type. `any` (not `unknown`) because `run(params: P)` is contravariant in
 * P; params reaching `run` have always been parsed by that kind's own zod schema first.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyNodeKind = NodeKind<any>;

const kinds = new Map<string, AnyNodeKind>();

/** Registers a node kind. Each kind's file calls this once; the catalog imports every file. */
export function defineNode<P>(def: NodeKind<P>): NodeKind<P> {
  // Re-registration replaces (hot reload in the studio evaluates kind files again).
  kinds.set(def.kind, def as AnyNodeKind);
  return def;
}

export function getNodeKind(kind: string): AnyNodeKind | undefined {
  return kinds.get(kind);
}

export function listNodeKinds(): AnyNodeKind[] {
  return [...kinds.values()];
}
