/**
 * The model registry for the studio and the CLI: models, versions, registering a run's package,
 * moving aliases through their gates (or only showing what the gates would say) and the history
 * of every move.
 */
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { aliasHistory, getAliases, getModelByName, getVersion, listModels, listVersions, moveAlias, registerVersion } from '../registry/registry';
import { access, on, procedure, router } from './trpc';
import { readableProjectIds } from '../auth/access';
import type { UserPrincipal } from '../auth/principal';
import type { ProjectRole } from '../auth/roles';

/** Aliases that decide what serves production need MANAGE to move; others (staging, candidates) EDIT. */
export const PRODUCTION_ALIASES = ['production', 'prod', 'champion'];

function aliasNeeds(input: unknown): ProjectRole {
  const alias = (input as { alias?: unknown } | undefined)?.alias;
  return typeof alias === 'string' && PRODUCTION_ALIASES.includes(alias) ? 'MANAGE' : 'EDIT';
}

/** The history names the authenticated user; a client's own label (`--actor`) is kept after it. */
function actorName(user: UserPrincipal, label: string): string {
  return label && label !== 'studio' && label !== user.email ? `${user.email} (${label})` : user.email;
}

const nameSchema = z.string().min(1).max(64);
const versionSchema = z.number().int().min(1).max(2_147_483_647);
const actorSchema = z.string().min(1).max(200).default('studio');

export const registryRouter = router({
  models: router({
    /** The models of projects the caller can read. */
    list: procedure(access.signedIn()).query(async ({ ctx }) => {
      const readable = await readableProjectIds(ctx.db, ctx.user);
      const all = await listModels(ctx.db);
      return readable === 'all' ? all : all.filter((m) => m.projectId !== null && readable.includes(m.projectId));
    }),
    get: procedure(access.need('READ', on.model())).input(z.object({ name: nameSchema })).query(async ({ ctx, input }) => {
      const m = await getModelByName(ctx.db, input.name);
      if (!m) throw new KilnError('NOT_FOUND', `no registered model "${input.name}"`);
      return { ...m, aliases: await getAliases(ctx.db, m.id) };
    }),
  }),
  versions: router({
    list: procedure(access.need('READ', on.model('model'))).input(z.object({ model: nameSchema })).query(({ ctx, input }) => listVersions(ctx.db, input.model)),
    get: procedure(access.need('READ', on.model('model'))).input(z.object({ model: nameSchema, version: versionSchema })).query(async ({ ctx, input }) => {
      const v = await getVersion(ctx.db, input.model, input.version);
      if (!v) throw new KilnError('NOT_FOUND', `model "${input.model}" has no version ${input.version}`);
      return v;
    }),
  }),
  /** Registers a succeeded run's package as the model's next version; answers it READY or FAILED. */
  register: procedure(access.need('EDIT', on.run('runId'), on.model('model', { optional: true })))
    .input(z.object({ model: nameSchema, runId: z.string().min(1).max(64), description: z.string().max(2000).optional(), actor: actorSchema }))
    .mutation(({ ctx, input }) =>
      registerVersion(ctx.db, ctx.store, {
        modelName: input.model,
        runId: input.runId,
        actor: actorName(ctx.user, input.actor),
        ...(input.description !== undefined ? { description: input.description } : {}),
        serveability: { budgetMs: ctx.config.serveabilityBudgetMs },
        lease: { seconds: ctx.config.leaseSeconds, heartbeatSeconds: ctx.config.heartbeatSeconds },
      }),
    ),
  /** Moves an alias if every gate passes (`dryRun`: only evaluate the gates). Gate results either way. */
  moveAlias: procedure(access.need((input) => aliasNeeds(input), on.model('model')))
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
      moveAlias(ctx.db, ctx.store, {
        modelName: input.model,
        alias: input.alias,
        version: input.version,
        actor: actorName(ctx.user, input.actor),
        reason: input.reason,
        force: input.force,
        dryRun: input.dryRun,
        ...(input.minAbsoluteChange !== undefined ? { minAbsoluteChange: input.minAbsoluteChange } : {}),
        ...(input.minRelativeChange !== undefined ? { minRelativeChange: input.minRelativeChange } : {}),
        ...(input.metric !== undefined ? { metric: input.metric } : {}),
      }),
    ),
  aliasHistory: procedure(access.need('READ', on.model('model')))
    .input(z.object({ model: nameSchema, alias: z.string().min(1).max(64).optional(), limit: z.number().int().min(1).max(1000).default(100) }))
    .query(({ ctx, input }) => aliasHistory(ctx.db, input.model, { limit: input.limit, ...(input.alias ? { alias: input.alias } : {}) })),
});
