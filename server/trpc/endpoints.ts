/**
 * Endpoints for the studio and the CLI: list, get, bind to an alias or version (with a traffic
 * split), API keys (a new key is returned once) and client snippets.
 */
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { createEndpointKey, createOrBindEndpoint, getEndpoint, listEndpoints, revokeEndpointKey } from '../registry/endpoints';
import { endpointSnippets } from '../registry/snippets';
import { access, on, procedure, router } from './trpc';
import { readableProjectIds } from '../auth/access';
import { modelProjects } from '../registry/registry';

const nameSchema = z.string().min(1).max(64);

export const endpointsRouter = router({
  /** The endpoints of models in projects the caller can read. */
  list: procedure(access.signedIn()).query(async ({ ctx }) => {
    const readable = await readableProjectIds(ctx.db, ctx.user);
    const all = await listEndpoints(ctx.db);
    if (readable === 'all') return all;
    const models = await modelProjects(ctx.db);
    return all.filter((e) => readable.includes(models.get(e.model) ?? ''));
  }),
  get: procedure(access.need('READ', on.endpoint())).input(z.object({ name: nameSchema })).query(async ({ ctx, input }) => {
    const ep = await getEndpoint(ctx.db, input.name);
    if (!ep) throw new KilnError('NOT_FOUND', `no endpoint "${input.name}"`);
    return ep;
  }),
  bind: procedure(access.need('MANAGE', on.model('model'), on.endpoint('name', { optional: true })))
    .input(
      z.object({
        name: nameSchema,
        model: nameSchema,
        target: z.union([z.object({ alias: z.string().min(1).max(64) }), z.object({ version: z.number().int().min(1) })]),
        traffic: z.array(z.object({ version: z.number().int(), weight: z.number() })).max(16).default([]),
      }),
    )
    .mutation(({ ctx, input }) => createOrBindEndpoint(ctx.db, { name: input.name, modelName: input.model, target: input.target, traffic: input.traffic, actor: ctx.user.email })),
  /** A new API key; the only time it is shown. */
  createKey: procedure(access.need('MANAGE', on.endpoint()))
    .input(z.object({ name: nameSchema, keyName: z.string().max(200).default('') }))
    .mutation(({ ctx, input }) => createEndpointKey(ctx.db, input.name, input.keyName, ctx.user.email)),
  revokeKey: procedure(access.need('MANAGE', on.endpoint()))
    .input(z.object({ name: nameSchema, key: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      const revoked = await revokeEndpointKey(ctx.db, input.name, input.key);
      if (!revoked) throw new KilnError('NOT_FOUND', `endpoint "${input.name}" has no active key ${input.key}`);
      return { revoked };
    }),
  snippets: procedure(access.need('READ', on.endpoint()))
    .input(z.object({ name: nameSchema, servingUrl: z.string().url().max(500).optional() }))
    .query(({ ctx, input }) => endpointSnippets(ctx.db, ctx.store, input.name, input.servingUrl ?? ctx.config.servingUrl)),
});
