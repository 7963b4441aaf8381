/**
 * Endpoints for the studio and the CLI: list, get, bind to an alias or version (with a traffic
 * split), access mode, CORS origins, API keys (a new key is returned once) and client snippets.
 *
 * A change to who may call an endpoint (a key made or revoked, access, origins) answers only
 * once every live serving replica has applied it (at most 5 s), and says which replicas have not
 * when some did not in time: a revoked key is refused from the very next request.
 */
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { createEndpointKey, createOrBindEndpoint, getEndpoint, listEndpoints, revokeEndpointKey, setEndpointAccess, setEndpointCors } from '../registry/endpoints';
import { MAX_CORS_ORIGINS } from '../registry/origins';
import { confirmServingRevision } from '../registry/serving-revision';
import { endpointSnippets } from '../registry/snippets';
import { setMonitoringSettings } from '../monitoring/prediction-log';
import { ANOMALY_CODES } from '../../lib/sketch/anomalies';
import type { DriftOptions } from '../../lib/sketch/drift';
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
    .mutation(({ ctx, input }) => createOrBindEndpoint(ctx.db, { name: input.name, modelName: input.model, target: input.target, traffic: input.traffic }, ctx.user.email)),
  /** A new API key; the only time it is shown. The endpoint needs a key from now on. */
  createKey: procedure(access.need('MANAGE', on.endpoint()))
    .input(z.object({ name: nameSchema, keyName: z.string().max(200).default('') }))
    .mutation(async ({ ctx, input }) => {
      const k = await createEndpointKey(ctx.db, input.name, input.keyName, ctx.user.email);
      return { id: k.id, key: k.key, prefix: k.prefix, replicas: await confirmServingRevision(ctx.db, k.revision) };
    }),
  /** Answers once every live serving replica refuses the key (or says which did not confirm). */
  revokeKey: procedure(access.need('MANAGE', on.endpoint()))
    .input(z.object({ name: nameSchema, key: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      const r = await revokeEndpointKey(ctx.db, input.name, input.key);
      if (!r) throw new KilnError('NOT_FOUND', `endpoint "${input.name}" has no active key ${input.key}`);
      return { revoked: true, replicas: await confirmServingRevision(ctx.db, r.revision) };
    }),
  /** 'public' opens the endpoint to anyone who reaches serving; 'keys' needs a live key (none: closed). */
  setAccess: procedure(access.need('MANAGE', on.endpoint()))
    .input(z.object({ name: nameSchema, access: z.enum(['public', 'keys']) }))
    .mutation(async ({ ctx, input }) => {
      const { revision, ...endpoint } = await setEndpointAccess(ctx.db, input.name, input.access);
      return { endpoint, replicas: await confirmServingRevision(ctx.db, revision) };
    }),
  /** Browser origins (`scheme://host[:port]`) the endpoint answers besides the studio's own. */
  setCors: procedure(access.need('MANAGE', on.endpoint()))
    .input(z.object({ name: nameSchema, origins: z.array(z.string().max(300)).max(MAX_CORS_ORIGINS) }))
    .mutation(async ({ ctx, input }) => {
      const { revision, ...endpoint } = await setEndpointCors(ctx.db, input.name, input.origins);
      return { endpoint, replicas: await confirmServingRevision(ctx.db, revision) };
    }),
  /**
   * The prediction log's sampling rate (0 to 1, default 1: every prediction) and retention in days
   * (default 30), and the anomaly codes serving answers with a 400 instead of tagging (default none).
   */
  setMonitoring: procedure(access.need('MANAGE', on.endpoint()))
    .input(z.object({ name: nameSchema, sampleRate: z.number().min(0).max(1).optional(), retentionDays: z.number().int().min(1).max(3650).optional(), rejectAnomalies: z.array(z.string().max(64)).max(ANOMALY_CODES.length).optional(), drift: z.unknown().optional() }))
    .mutation(async ({ ctx, input }) => {
      const { revision, ...monitoring } = await setMonitoringSettings(ctx.db, input.name, { sampleRate: input.sampleRate, retentionDays: input.retentionDays, rejectAnomalies: input.rejectAnomalies, drift: input.drift as DriftOptions | undefined });
      return { monitoring, replicas: await confirmServingRevision(ctx.db, revision) };
    }),
  snippets: procedure(access.need('READ', on.endpoint()))
    .input(z.object({ name: nameSchema, servingUrl: z.string().url().max(500).optional() }))
    .query(({ ctx, input }) => endpointSnippets(ctx.db, ctx.store, input.name, input.servingUrl ?? ctx.config.servingUrl)),
});
