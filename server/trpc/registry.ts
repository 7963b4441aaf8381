/**
 * The model registry for the studio and the CLI: models, versions, registering a run's package,
 * moving aliases through their gates (or only showing what the gates would say) and the history
 * of every move.
 */
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { aliasHistory, getAliases, getModelByName, getVersion, listModels, listVersions, moveAlias, registerVersion } from '../registry/registry';
import { publicProcedure, router } from './trpc';

const nameSchema = z.string().min(1).max(64);
const versionSchema = z.number().int().min(1).max(2_147_483_647);
const actorSchema = z.string().min(1).max(200).default('studio');

export const registryRouter = router({
  models: router({
    list: publicProcedure.query(({ ctx }) => listModels(ctx.db)),
    get: publicProcedure.input(z.object({ name: nameSchema })).query(async ({ ctx, input }) => {
      const m = await getModelByName(ctx.db, input.name);
      if (!m) throw new KilnError('NOT_FOUND', `no registered model "${input.name}"`);
      return { ...m, aliases: await getAliases(ctx.db, m.id) };
    }),
  }),
  versions: router({
    list: publicProcedure.input(z.object({ model: nameSchema })).query(({ ctx, input }) => listVersions(ctx.db, input.model)),
    get: publicProcedure.input(z.object({ model: nameSchema, version: versionSchema })).query(async ({ ctx, input }) => {
      const v = await getVersion(ctx.db, input.model, input.version);
      if (!v) throw new KilnError('NOT_FOUND', `model "${input.model}" has no version ${input.version}`);
      return v;
    }),
  }),
  /** Registers a succeeded run's package as the model's next version; answers it READY or FAILED. */
  register: publicProcedure
    .input(z.object({ model: nameSchema, runId: z.string().min(1).max(64), description: z.string().max(2000).optional(), actor: actorSchema }))
    .mutation(({ ctx, input }) =>
      registerVersion(ctx.db, ctx.store, {
        modelName: input.model,
        runId: input.runId,
        actor: input.actor,
        ...(input.description !== undefined ? { description: input.description } : {}),
        serveability: { budgetMs: ctx.config.serveabilityBudgetMs },
      }),
    ),
  /** Moves an alias if every gate passes (`dryRun`: only evaluate the gates). Gate results either way. */
  moveAlias: publicProcedure
    .input(
      z.object({
        model: nameSchema,
        alias: z.string().min(1).max(64),
        version: versionSchema,
        actor: actorSchema,
        reason: z.string().max(2000).default(''),
        minAbsoluteChange: z.number().min(0).optional(),
        minRelativeChange: z.number().min(0).optional(),
        metric: z.string().min(1).max(64).optional(),
        force: z.boolean().default(false),
        dryRun: z.boolean().default(false),
      }),
    )
    .mutation(({ ctx, input }) =>
      moveAlias(ctx.db, {
        modelName: input.model,
        alias: input.alias,
        version: input.version,
        actor: input.actor,
        reason: input.reason,
        force: input.force,
        dryRun: input.dryRun,
        ...(input.minAbsoluteChange !== undefined ? { minAbsoluteChange: input.minAbsoluteChange } : {}),
        ...(input.minRelativeChange !== undefined ? { minRelativeChange: input.minRelativeChange } : {}),
        ...(input.metric !== undefined ? { metric: input.metric } : {}),
      }),
    ),
  aliasHistory: publicProcedure
    .input(z.object({ model: nameSchema, alias: z.string().min(1).max(64).optional(), limit: z.number().int().min(1).max(1000).default(100) }))
    .query(({ ctx, input }) => aliasHistory(ctx.db, input.model, { limit: input.limit, ...(input.alias ? { alias: input.alias } : {}) })),
});
