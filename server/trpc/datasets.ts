/** Dataset versions: listing, schema and statistics, and a parsed preview. Uploads are REST (`PUT /api/datasets`). */
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { parseTable } from '../../lib/data/infer';
import { getDataset, listDatasets } from '../db/catalog';
import { resolveProject } from '../http/lookup';
import { projectRefSchema } from './graphs';
import { access, on, procedure, router } from './trpc';

const idSchema = z.string().min(1).max(64);

export const datasetsRouter = router({
  /** Versions of a project, newest first, without their statistics (use `get`). */
  list: procedure(access.need('READ', on.project()))
    .input(projectRefSchema.extend({ name: z.string().min(1).max(128).optional(), limit: z.number().int().min(1).max(1000).default(100) }))
    .query(async ({ ctx, input }) => {
      const project = await resolveProject(ctx.db, input, false);
      if (!project) return [];
      const rows = await listDatasets(ctx.db, project.id, { ...(input.name !== undefined ? { name: input.name } : {}), limit: input.limit });
      return rows.map(({ stats: _stats, storageKey: _key, ...r }) => r);
    }),

  /** One version with its schema and statistics. */
  get: procedure(access.need('READ', on.dataset())).input(z.object({ id: idSchema })).query(async ({ ctx, input }) => {
    const d = await getDataset(ctx.db, input.id);
    if (!d) throw new KilnError('NOT_FOUND', `no dataset version ${input.id}`);
    const { storageKey: _key, ...rest } = d;
    return rest;
  }),

  /** The first `rows` rows, parsed with the same rules as training (missing values are null). */
  preview: procedure(access.need('READ', on.dataset())).input(z.object({ id: idSchema, rows: z.number().int().min(1).max(1000).default(50) })).query(async ({ ctx, input }) => {
    const d = await getDataset(ctx.db, input.id);
    if (!d) throw new KilnError('NOT_FOUND', `no dataset version ${input.id}`);
    const bytes = await ctx.store.getBytes(d.storageKey);
    if (!bytes) throw new KilnError('NOT_FOUND', `the file of dataset version ${input.id} is missing from the artifact store`);
    const table = parseTable({ name: d.name, text: new TextDecoder().decode(bytes), format: d.format });
    const n = Math.min(input.rows, table.nRows);
    const rows: Record<string, string | number | boolean | null>[] = [];
    for (let i = 0; i < n; i++) {
      const r: Record<string, string | number | boolean | null> = {};
      for (const c of table.columns) {
        const v = c.values[i];
        if (c.type === 'categorical') r[c.name] = (v as string | null | undefined) ?? null;
        else if (typeof v !== 'number' || Number.isNaN(v)) r[c.name] = null;
        else if (c.type === 'boolean') r[c.name] = v === 1;
        else if (c.type === 'date') r[c.name] = new Date(v).toISOString();
        else r[c.name] = v;
      }
      rows.push(r);
    }
    return { columns: table.columns.map((c) => ({ name: c.name, type: c.type })), rows, totalRows: table.nRows };
  }),
});
