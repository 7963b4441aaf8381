import { z } from 'zod';

/** Current graph document version. Older versions are upgraded by `migrateGraph`. */
export const GRAPH_VERSION = 1;

/** Limits that keep a graph document from exhausting memory in the UI or the runner. */
export const GRAPH_LIMITS = {
  maxNodes: 2000,
  maxEdges: 8000,
  maxIdLength: 128,
  maxParamsBytes: 256 * 1024,
} as const;

export const nodeIdSchema = z
  .string()
  .min(1)
  .max(GRAPH_LIMITS.maxIdLength)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'ids may use letters, digits, _ . : -');

export const positionSchema = z.object({ x: z.number(), y: z.number() });

export const graphNodeSchema = z.object({
  id: nodeIdSchema,
  kind: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
  /**
   * Version of the kind's params schema these params were written for; absent = 1. Not part of
   * the graph hash: the hash is taken over params already upgraded to the current version.
   */
  paramsVersion: z.number().int().positive().optional(),
  /** UI only; never part of the graph hash */
  position: positionSchema.optional(),
  /** UI only; never part of the graph hash */
  label: z.string().optional(),
});

export const graphEdgeSchema = z.object({
  source: nodeIdSchema,
  sourcePort: z.string().min(1),
  target: nodeIdSchema,
  targetPort: z.string().min(1),
});

export const graphSchema = z.object({
  version: z.literal(GRAPH_VERSION),
  name: z.string().optional(),
  /** default seed for every node that draws random numbers */
  seed: z.number().int().nonnegative().default(42),
  nodes: z.array(graphNodeSchema),
  edges: z.array(graphEdgeSchema).default([]),
});

export type GraphNode = z.infer<typeof graphNodeSchema>;
export type GraphEdge = z.infer<typeof graphEdgeSchema>;
export type Graph = z.infer<typeof graphSchema>;

/** The value types that flow along edges. */
export const PORT_TYPES = ['table', 'model', 'trained', 'metrics'] as const;
export type PortType = (typeof PORT_TYPES)[number];

export interface PortSpec {
  name: string;
  type: PortType;
  /** input ports only: the node cannot run without it (default true) */
  required?: boolean;
  /** input ports only: accepts several edges (values arrive as an array) */
  multiple?: boolean;
  description?: string;
}
