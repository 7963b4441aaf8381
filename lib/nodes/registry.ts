import type { NodeKind } from './types';

const kinds = new Map<string, NodeKind<any>>();

/** Registers a node kind. Each kind's file calls this once; the catalog imports every file. */
export function defineNode<P>(def: NodeKind<P>): NodeKind<P> {
  // Re-registration replaces (hot reload in the studio evaluates kind files again).
  kinds.set(def.kind, def as NodeKind<any>);
  return def;
}

export function getNodeKind(kind: string): NodeKind<any> | undefined {
  return kinds.get(kind);
}

export function listNodeKinds(): NodeKind<any>[] {
  return [...kinds.values()];
}
