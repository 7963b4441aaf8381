/** Dataset versions: listing, schema and statistics, and a parsed preview. Uploads are REST (`PUT /api/datasets`). */
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { boundedDataset, boundedSchema, schemaTruncated } from '../data/bounded';
import { parsePool } from '../data/parse-pool';
import { getDataset, listDatasets } from '../db/catalog';
import { resolveProject } from '../http/lookup';
import { projectRefSchema } from './graphs';
import { access, on, procedure, router } from './trpc';

const idSchema = z.string().min(1).max(64);

export const datasetsRouter = router({
  /** Versions of a project, newest first, without their statistics (use `get`); long categories cut (`truncated`). */
  list: procedure(access.need('READ', on.project()))
    .input(projectRefSchema.extend({ name: z.string().min(1).max(128).optional(), limit: z.number().int().min(1).max(1000).default(100) }))
    .query(async ({ ctx, input }) => {
      const project = await resolveProject(ctx.db, input, false);
      if (!project) return [];
      const rows = await listDatasets(ctx.db, project.id, { ...(input.name !== undefined ? { name: input.name } : {}), limit: input.limit });
      const max = ctx.config.maxShownCellChars;
      return rows.map(({ stats: _stats, storageKey: _key, ...r }) => ({ ...r, schema: boundedSchema(r.schema, max), truncated: schemaTruncated(r.schema, max) }));
    }),

  /** One version with its schema and statistics; long categories cut (`truncated`). */
  get: procedure(access.need('READ', on.dataset())).input(z.object({ id: idSchema })).query(async ({ ctx, input }) => {
    const d = await getDataset(ctx.db, input.id);
    if (!d) throw new KilnError('NOT_FOUND', `no dataset version ${input.id}`);
    const { storageKey: _key, ...rest } = d;
    return { ...rest, ...boundedDataset(d, ctx.config.maxShownCellChars) };
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
