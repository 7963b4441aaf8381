/**
 * The schema of one column as the user supplied it (before preprocessing): declared once, here,
 * for the dataset node's `schema` param, the model package manifest, schema inference, serving's
 * signature and the studio's upload response.
 */
import { z } from 'zod';

/** numeric, boolean (0/1) and date (epoch milliseconds) columns are stored as numbers. */
export const columnTypeSchema = z.enum(['numeric', 'categorical', 'boolean', 'date']);
export type ColumnType = z.infer<typeof columnTypeSchema>;

export const columnSchemaSchema = z.object({
  name: z.string().min(1),
  type: columnTypeSchema,
  /**
   * Whether the column may hold missing values. Inference writes it from the data (missing values
   * seen); where a schema omits it (a hand-written dataset schema, an older package) it reads as
   * `true`, the assumption that never rejects data the schema's author did not rule out.
   */
  nullable: z.boolean().default(true),
  /** observed categories (categorical only, most frequent first, capped) */
  categories: z.array(z.string()).optional(),
});
/** A column schema after parsing: `nullable` always present. */
export type ColumnSchema = z.infer<typeof columnSchemaSchema>;
