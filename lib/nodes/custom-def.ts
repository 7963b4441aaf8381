/**
 * A project's custom node kind: a named JS transform `(rows, config) => rows` defined in a
 * notebook cell (or the API) and listed in the canvas palette. A graph node of kind `custom`
 * carries the definition's `code` in its params, so a run never depends on the database.
 */
import { z } from 'zod';

/** The node kind that carries a custom definition's code (lib/nodes/kinds/custom.ts). */
export const CUSTOM_KIND = 'custom';

/** The config values a custom node takes: scalars only, each editable in the inspector. */
export const customConfigSchema = z.record(z.string(), z.union([z.number(), z.string(), z.boolean()]));

export const customNodeDefSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,40}$/, 'a custom node name is a lowercase letter, then up to 40 lowercase letters, digits or _'),
  label: z.string().min(1).max(80),
  description: z.string().max(500).default(''),
  /** defaults, editable in the inspector */
  config: customConfigSchema.default({}),
  /** JS source of a function `(rows: Record<string, unknown>[], config) => rows` (may be async) */
  code: z.string().min(1).max(100_000),
  /**
   * The function keeps every row, in order (it only changes columns). Declared like a built-in
   * kind's `preservesRows`: such nodes do not change which rows are test rows (registry gates).
   */
  preservesRows: z.boolean().default(false),
});

export type CustomNodeDef = z.infer<typeof customNodeDefSchema>;
/** What `define` accepts: description and config may be left out. */
export type CustomNodeDefInput = z.input<typeof customNodeDefSchema>;

/** The params of a graph node of kind `custom` made from a definition. */
export function customNodeParams(def: CustomNodeDef): { name: string; label: string; code: string; config: Record<string, number | string | boolean>; preservesRows?: true } {
  // `preservesRows` only when declared, so nodes made before the field existed keep their hash.
  return { name: def.name, label: def.label, code: def.code, config: { ...def.config }, ...(def.preservesRows ? { preservesRows: true as const } : {}) };
}
