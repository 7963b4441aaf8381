/** Dataset versions: listing, schema and statistics, and a parsed preview. Uploads are REST (`PUT /api/datasets`). */
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { boundedDataset, boundedSchema, schemaTruncated } from '../data/bounded';
import { parsePool } from '../data/parse-pool';
import { getDataset, listDatasets } from '../db/catalog';
import { resolveProject } from '../http/lookup';
import { currentSchema, listProjectSchemas, readSchemaDocument, saveProjectSchema } from '../data/validation';
import { toJsonSchema } from '../../lib/sketch/data-schema';
import { projectRefSchema } from './graphs';
import { access, on, procedure, router } from './trpc';

const idSchema = z.string().min(1).max(64);
const datasetNameSchema = z.string().min(1).max(128);

export const datasetsRouter = router({
  /** Versions of a project, newest first, without their statistics (use `get`); long categories cut (`truncated`). */
  list: procedure(access.need('READ', on.project()))
    .input(projectRefSchema.extend({ name: z.string().min(1).max(128).optional(), limit: z.number().int().min(1).max(1000).default(100) }))
    .query(async ({ ctx, input }) => {
      const project = await resolveProject(ctx.db, input, false);
      if (!project) return [];
      const rows = await listDatasets(ctx.db, project.id, { ...(input.name !== undefined ? { name: input.name } : {}), limit: input.limit });
      const max = ctx.config.maxShownCellChars;
      return rows.map(({ stats: _stats, storageKey: _key, sketch: _sketch, dataSchema: _dataSchema, ...r }) => ({ ...r, schema: boundedSchema(r.schema, max), truncated: schemaTruncated(r.schema, max) }));
    }),

  /** One version with its schema and statistics; long categories cut (`truncated`). */
  get: procedure(access.need('READ', on.dataset())).input(z.object({ id: idSchema })).query(async ({ ctx, input }) => {
    const d = await getDataset(ctx.db, input.id);
    if (!d) throw new KilnError('NOT_FOUND', `no dataset version ${input.id}`);
    // The sketch and data schema can be large (categories are cells): the schema has its own procedure.
    const { storageKey: _key, sketch: _sketch, dataSchema: _dataSchema, ...rest } = d;
    return { ...rest, ...boundedDataset(d, ctx.config.maxShownCellChars) };
  }),

  /**
   * The data schema of a dataset name: the project's saved schema (newest, or `version`), else
   * the one inferred from the newest version; as Kiln's schema and as JSON Schema (draft 2020-12).
   */
  schema: procedure(access.need('READ', on.project()))
    .input(projectRefSchema.extend({ name: datasetNameSchema, version: z.number().int().min(1).optional() }))
    .query(async ({ ctx, input }) => {
      const project = await resolveProject(ctx.db, input, false);
      if (!project) throw new KilnError('NOT_FOUND', `no project ${input.projectName ?? input.projectId ?? ''}`);
      const { schema, source } = await currentSchema(ctx.db, project.id, input.name, input.version);
      return { dataset: input.name, source, schema, jsonSchema: toJsonSchema(schema, `${input.name} (Kiln data schema)`), versions: await listProjectSchemas(ctx.db, project.id, input.name) };
    }),

  /**
   * Saves an edited schema of a dataset name as its next version: JSON Schema as `schema` exports
   * it (a relaxed range, an added category …) or Kiln's own form. Uploads of the name are then
   * checked against it. A bad schema is a BAD_REQUEST naming the column and field.
   */
  setSchema: procedure(access.need('EDIT', on.project()))
    .input(projectRefSchema.extend({ name: datasetNameSchema, schema: z.unknown() }))
    .mutation(async ({ ctx, input }) => {
      const project = await resolveProject(ctx.db, input, false);
      if (!project) throw new KilnError('NOT_FOUND', `no project ${input.projectName ?? input.projectId ?? ''}`);
      const exists = await listDatasets(ctx.db, project.id, { name: input.name, limit: 1 });
      if (exists.length === 0) throw new KilnError('NOT_FOUND', `project "${project.name}" has no dataset named "${input.name}"`, { param: 'name' });
      const saved = await saveProjectSchema(ctx.db, project.id, input.name, readSchemaDocument(input.schema), ctx.user.email);
      return { dataset: input.name, version: saved.version, columns: saved.schema.columns.length, createdAt: saved.createdAt };
    }),

  /**
   * The first `rows` rows, parsed with the same rules as training (missing values are null), in
   * the parse worker so a large file does not stall other callers. Cell text is cut to
   * `maxShownCellChars` (ending "…", `truncated: true`); rows are keyed by column name, any name.
   */
  preview: procedure(access.need('READ', on.dataset())).input(z.object({ id: idSchema, rows: z.number().int().min(1).max(1000).default(50) })).query(async ({ ctx, input }) => {
    const d = await getDataset(ctx.db, input.id);
    if (!d) throw new KilnError('NOT_FOUND', `no dataset version ${input.id}`);
    const bytes = await ctx.store.getBytes(d.storageKey);
    if (!bytes) throw new KilnError('NOT_FOUND', `the file of dataset version ${input.id} is missing from the artifact store`);
    return parsePool(undefined, { maxHeapMiB: ctx.config.parseMemoryMiB }).preview(d.name, d.format, bytes, input.rows, ctx.config.maxShownCellChars);
  }),
});
