/**
 * The notebook document: TypeScript cells with their last outputs. Stored per project (every
 * changed save is a version), exported as .ipynb (nbformat 4) and as a .ts file with markers.
 */
import { z } from 'zod';

export const NOTEBOOK_VERSION = 1;

/** What a cell shows: the value of its last expression rendered by type, streamed progress, or an error. */
export const cellOutputSchema = z.discriminatedUnion('type', [
  /** plain text: strings, numbers, printed values (never rendered as HTML) */
  z.object({ type: z.literal('text'), text: z.string() }),
  /** an array of records: columns and (up to a limit) rows; `totalRows` is the full length */
  z.object({
    type: z.literal('table'),
    columns: z.array(z.string()),
    rows: z.array(z.array(z.union([z.string(), z.number(), z.boolean(), z.null()]))),
    totalRows: z.number().int().nonnegative(),
  }),
  /** a tensor: shape, dtype, a preview of values, and summary statistics */
  z.object({
    type: z.literal('tensor'),
    shape: z.array(z.number().int()),
    dtype: z.string(),
    preview: z.string(),
    stats: z.object({ min: z.number(), max: z.number(), mean: z.number() }).nullable().optional(),
  }),
  /** a chart: a Vega-Lite spec (data inlined) */
  z.object({ type: z.literal('chart'), spec: z.record(z.string(), z.unknown()) }),
  /** a tfjs model summary */
  z.object({
    type: z.literal('model'),
    name: z.string(),
    layers: z.array(z.object({ name: z.string(), type: z.string(), outputShape: z.string(), params: z.number().int() })),
    totalParams: z.number().int(),
  }),
  /** training progress streamed by an async generator: one point per epoch */
  z.object({ type: z.literal('progress'), points: z.array(z.record(z.string(), z.number())), done: z.boolean() }),
  /** HTML from `kiln.html(...)`: shown only in a sandboxed iframe without scripts or same-origin */
  z.object({ type: z.literal('html'), html: z.string() }),
  /** a JSON-able value that fits none of the above (objects, small arrays) */
  z.object({ type: z.literal('json'), json: z.string() }),
  /** an error: one line, and the line in the cell where it happened when known */
  z.object({ type: z.literal('error'), name: z.string(), message: z.string(), line: z.number().int().optional() }),
]);
export type CellOutput = z.infer<typeof cellOutputSchema>;

export const cellIdSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/);

export const notebookCellSchema = z.object({
  id: cellIdSchema,
  source: z.string().max(200_000),
  /** manual cells do not re-run when what they depend on changes (expensive work) */
  manual: z.boolean().default(false),
  outputs: z.array(cellOutputSchema).max(100).default([]),
});
export type NotebookCell = z.infer<typeof notebookCellSchema>;

export const notebookSchema = z.object({
  version: z.literal(NOTEBOOK_VERSION),
  cells: z.array(notebookCellSchema).max(1000),
});
export type NotebookDoc = z.infer<typeof notebookSchema>;

/** A fresh cell id (not cryptographic: unique within a notebook). */
export function newCellId(): string {
  return `c${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
}
