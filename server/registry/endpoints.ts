/**
 * Endpoints: a served name bound to a model alias or version, with an optional weighted traffic
 * split between READY versions, its access mode and API keys (only their SHA-256 is stored; a
 * key is shown once, when it is made), and the browser origins it answers.
 *
 * Access is explicit: making a key sets it to 'keys', and only {@link setEndpointAccess} sets it
 * back to 'public', so revoking the last key closes a keyed endpoint instead of opening it.
 * Every change here bumps the serving revision (./serving-revision.ts) and returns it, so a
 * caller can wait for the serving replicas to apply it.
 */
import type { DriftOptions } from '../../lib/sketch/drift';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { KilnError } from '../../lib/errors';
import type { Db } from '../db/client';
import { endpointKeys, endpoints, modelAliases, modelVersions, registeredModels, type Endpoint, type EndpointKey } from '../db/schema';
import { normalizeOrigins } from './origins';
import { assertName } from './registry';
import { bumpServingRevision } from './serving-revision';

/** Every endpoint key starts with this, so a key pasted in the wrong place is recognisable. */
export const ENDPOINT_KEY_PREFIX = 'kiln_ek_';

/** Characters of a key kept in clear to tell keys apart (`kiln_ek_` + 6). */
const SHOWN_PREFIX = ENDPOINT_KEY_PREFIX.length + 6;

export type EndpointTarget = { alias: string } | { version: number };
export type EndpointAccess = 'public' | 'keys';
export interface TrafficSplit {
  version: number;
  weight: number;
}

/** SHA-256 (hex) of an endpoint key: what the database and the serving config carry. */
export function hashEndpointKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** An endpoint as shown to users: model name, resolved default version and keys without hashes. */
export interface EndpointView {
  id: string;
  name: string;
  model: string;
  target: EndpointTarget;
  traffic: TrafficSplit[];
  /** the version the target resolves to now (null: the alias points nowhere) */
  defaultVersion: number | null;
  /** 'keys': a live key is needed (none live: the endpoint is closed); 'public': anyone may call it */
  access: EndpointAccess;
  /** browser origins it answers besides the studio's own */
  corsOrigins: string[];
  /** the prediction log (share of requests logged, days kept), anomaly codes refused, drift methods and thresholds */
  monitoring: { sampleRate: number; retentionDays: number; rejectAnomalies: string[]; drift: DriftOptions };
  /** who bound it last (null: unknown, or before accounts) */
  boundBy: string | null;
  keys: { id: string; prefix: string; name: string; createdBy: string | null; createdAt: Date; revokedAt: Date | null }[];
  createdAt: Date;
  updatedAt: Date;
}

/** Checks a traffic split's shape: distinct versions, non-negative integer weights summing to 100. */
export function validateTraffic(traffic: TrafficSplit[]): void {
  if (traffic.length === 0) return;
  const seen = new Set<number>();
  let sum = 0;
  traffic.forEach((t, i) => {
    if (!Number.isInteger(t.version) || t.version < 1) throw new KilnError('ENDPOINT_BAD_TRAFFIC', `traffic[${i}].version must be a version number, got ${t.version}`, { path: `traffic[${i}].version` });
    if (!Number.isInteger(t.weight) || t.weight < 0) throw new KilnError('ENDPOINT_BAD_TRAFFIC', `traffic[${i}].weight must be a non-negative integer, got ${t.weight}`, { path: `traffic[${i}].weight` });
    if (seen.has(t.version)) throw new KilnError('ENDPOINT_BAD_TRAFFIC', `traffic[${i}]: version ${t.version} appears twice`, { path: `traffic[${i}].version` });
    seen.add(t.version);
    sum += t.weight;
  });
  if (sum !== 100) throw new KilnError('ENDPOINT_BAD_TRAFFIC', `traffic weights must sum to 100, got ${sum} (${traffic.map((t) => `${t.version}=${t.weight}`).join(',')})`, { path: 'traffic' });
}

/**
 * Creates the endpoint `name`, or rebinds it, to a model's alias or version with an optional
 * traffic split. The target must resolve to a READY version now, and every split version must be
 * READY, so a bind never points an endpoint at something that cannot serve. A rebind keeps the
 * endpoint's access, keys and origins; `actor` is recorded as who bound it.
 *
 * @throws KilnError `REGISTRY_BAD_NAME`, `REGISTRY_MODEL_NOT_FOUND`, `ENDPOINT_BAD_TARGET`,
 *   `ENDPOINT_BAD_TRAFFIC`
 */
export async function createOrBindEndpoint(
  db: Db,
  input: { name: string; modelName: string; target: EndpointTarget; traffic?: TrafficSplit[] },
  actor: string | null = null,
): Promise<EndpointView & { revision: number }> {
  assertName('endpoint name', input.name);
  const traffic = input.traffic ?? [];
  validateTraffic(traffic);
  const [model] = await db.select().from(registeredModels).where(eq(registeredModels.name, input.modelName));
  if (!model) throw new KilnError('REGISTRY_MODEL_NOT_FOUND', `no registered model "${input.modelName}"`, { param: 'model' });
  const target: EndpointTarget = 'alias' in input.target ? { alias: input.target.alias } : { version: input.target.version };

  await db.transaction(async (tx) => {
    let targetVersion: { version: number; status: string } | undefined;
    if ('alias' in target) {
      const [row] = await tx
        .select({ version: modelVersions.version, status: modelVersions.status })
        .from(modelAliases)
        .innerJoin(modelVersions, eq(modelVersions.id, modelAliases.versionId))
        .where(and(eq(modelAliases.modelId, model.id), eq(modelAliases.alias, target.alias)));
      if (!row) throw new KilnError('ENDPOINT_BAD_TARGET', `model "${model.name}" has no alias "${target.alias}"; move an alias there first (kiln alias set)`, { param: 'alias' });
      targetVersion = row;
    } else {
      if (!Number.isInteger(target.version) || target.version < 1) throw new KilnError('ENDPOINT_BAD_TARGET', `version must be a version number, got ${target.version}`, { param: 'version' });
      const [row] = await tx
        .select({ version: modelVersions.version, status: modelVersions.status })
        .from(modelVersions)
        .where(and(eq(modelVersions.modelId, model.id), eq(modelVersions.version, target.version)));
      if (!row) throw new KilnError('ENDPOINT_BAD_TARGET', `model "${model.name}" has no version ${target.version}`, { param: 'version' });
      targetVersion = row;
    }
    if (targetVersion.status !== 'READY') throw new KilnError('ENDPOINT_BAD_TARGET', `v${targetVersion.version} of "${model.name}" is ${targetVersion.status}, not READY`, { param: 'target' });
    if (traffic.length) {
      const rows = await tx
        .select({ version: modelVersions.version, status: modelVersions.status })
        .from(modelVersions)
        .where(and(eq(modelVersions.modelId, model.id), inArray(modelVersions.version, traffic.map((t) => t.version))));
      const by = new Map(rows.map((r) => [r.version, r.status]));
      traffic.forEach((t, i) => {
        const st = by.get(t.version);
        if (!st) throw new KilnError('ENDPOINT_BAD_TRAFFIC', `traffic[${i}]: model "${model.name}" has no version ${t.version}`, { path: `traffic[${i}].version` });
        if (st !== 'READY') throw new KilnError('ENDPOINT_BAD_TRAFFIC', `traffic[${i}]: v${t.version} of "${model.name}" is ${st}, not READY`, { path: `traffic[${i}].version` });
      });
    }
    await tx
      .insert(endpoints)
      .values({ id: randomUUID(), name: input.name, modelId: model.id, target, traffic, boundBy: actor })
      .onConflictDoUpdate({ target: endpoints.name, set: { modelId: model.id, target, traffic, boundBy: actor, updatedAt: sql`now()` } });
  });
  const revision = await bumpServingRevision(db);
  const view = await getEndpoint(db, input.name);
  if (!view) throw new Error(`endpoint "${input.name}" vanished right after it was bound`);
  return { ...view, revision };
}

async function views(db: Db, rows: (Endpoint & { model: string })[]): Promise<EndpointView[]> {
  if (rows.length === 0) return [];
  const keys = await db
    .select()
    .from(endpointKeys)
    .where(inArray(endpointKeys.endpointId, rows.map((r) => r.id)))
    .orderBy(asc(endpointKeys.createdAt));
  const aliases = await db
    .select({ modelId: modelAliases.modelId, alias: modelAliases.alias, version: modelVersions.version })
    .from(modelAliases)
    .innerJoin(modelVersions, eq(modelVersions.id, modelAliases.versionId))
    .where(inArray(modelAliases.modelId, [...new Set(rows.map((r) => r.modelId))]));
  return rows.map((r) => {
    const t = r.target;
    const defaultVersion = 'alias' in t ? (aliases.find((a) => a.modelId === r.modelId && a.alias === t.alias)?.version ?? null) : t.version;
    return {
      id: r.id,
      name: r.name,
      model: r.model,
      target: t,
      traffic: r.traffic,
      defaultVersion,
      access: r.access,
      corsOrigins: r.corsOrigins,
      monitoring: { sampleRate: r.logSampleRate, retentionDays: r.logRetentionDays, rejectAnomalies: r.rejectAnomalies, drift: r.driftSettings },
      boundBy: r.boundBy,
      keys: keys
        .filter((k) => k.endpointId === r.id)
        .map((k: EndpointKey) => ({ id: k.id, prefix: k.prefix, name: k.name, createdBy: k.createdBy, createdAt: k.createdAt, revokedAt: k.revokedAt })),
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    };
  });
}

function endpointRows(db: Db) {
  return db
    .select({
      id: endpoints.id,
      name: endpoints.name,
      modelId: endpoints.modelId,
      target: endpoints.target,
      traffic: endpoints.traffic,
      access: endpoints.access,
      corsOrigins: endpoints.corsOrigins,
      logSampleRate: endpoints.logSampleRate,
      logRetentionDays: endpoints.logRetentionDays,
      rejectAnomalies: endpoints.rejectAnomalies,
      driftSettings: endpoints.driftSettings,
      boundBy: endpoints.boundBy,
      createdAt: endpoints.createdAt,
      updatedAt: endpoints.updatedAt,
      model: registeredModels.name,
    })
    .from(endpoints)
    .innerJoin(registeredModels, eq(registeredModels.id, endpoints.modelId));
}

/** Every endpoint, by name. */
export async function listEndpoints(db: Db): Promise<EndpointView[]> {
  return views(db, await endpointRows(db).orderBy(asc(endpoints.name)));
}

/** The endpoint with this name, or null. */
export async function getEndpoint(db: Db, name: string): Promise<EndpointView | null> {
  const rows = await endpointRows(db).where(eq(endpoints.name, name));
  return (await views(db, rows))[0] ?? null;
}

async function endpointId(db: Db, name: string): Promise<string> {
  const [ep] = await db.select({ id: endpoints.id }).from(endpoints).where(eq(endpoints.name, name));
  if (!ep) throw new KilnError('ENDPOINT_NOT_FOUND', `no endpoint "${name}"`, { param: 'endpoint' });
  return ep.id;
}

/**
 * Makes an API key for an endpoint: `kiln_ek_` + 32 random bytes (base64url). Returned once;
 * only its SHA-256 and a short prefix are stored. The endpoint's access becomes 'keys' (a public
 * endpoint given a key now needs one); `actor` is recorded as who made it.
 * @throws KilnError `ENDPOINT_NOT_FOUND`
 */
export async function createEndpointKey(db: Db, endpointName: string, name = '', actor: string | null = null): Promise<{ id: string; key: string; prefix: string; revision: number }> {
  const epId = await endpointId(db, endpointName);
  const key = ENDPOINT_KEY_PREFIX + randomBytes(32).toString('base64url');
  const id = randomUUID();
  const prefix = key.slice(0, SHOWN_PREFIX);
  await db.transaction(async (tx) => {
    await tx.insert(endpointKeys).values({ id, endpointId: epId, keyHash: hashEndpointKey(key), prefix, name: name.slice(0, 200), createdBy: actor });
    await tx.update(endpoints).set({ access: 'keys', updatedAt: sql`now()` }).where(and(eq(endpoints.id, epId), eq(endpoints.access, 'public')));
  });
  return { id, key, prefix, revision: await bumpServingRevision(db) };
}

/**
 * Revokes an endpoint key, named by its id or its shown prefix. Returns null when the endpoint
 * has no such unrevoked key; an ambiguous prefix is refused. The endpoint's access stays as it
 * is: revoking the last key of a keyed endpoint closes it (every request 401) until someone
 * makes a key or sets it public.
 * @throws KilnError `ENDPOINT_NOT_FOUND`, `ENDPOINT_KEY_AMBIGUOUS`
 */
export async function revokeEndpointKey(db: Db, endpointName: string, keyIdOrPrefix: string): Promise<{ revision: number } | null> {
  const epId = await endpointId(db, endpointName);
  const active = await db
    .select({ id: endpointKeys.id, prefix: endpointKeys.prefix })
    .from(endpointKeys)
    .where(and(eq(endpointKeys.endpointId, epId), isNull(endpointKeys.revokedAt)));
  const hits = active.filter((k) => k.id === keyIdOrPrefix || k.prefix === keyIdOrPrefix);
  if (hits.length > 1) throw new KilnError('ENDPOINT_KEY_AMBIGUOUS', `prefix ${keyIdOrPrefix} matches ${hits.length} keys of "${endpointName}"; give the key id`, { param: 'key' });
  if (hits.length === 0) return null;
  const rows = await db
    .update(endpointKeys)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(endpointKeys.id, hits[0]!.id), isNull(endpointKeys.revokedAt)))
    .returning({ id: endpointKeys.id });
  if (rows.length === 0) return null;
  return { revision: await bumpServingRevision(db) };
}

/**
 * Sets who may call an endpoint: 'public' (anyone who reaches the serving port; its keys are
 * then not needed) or 'keys' (a live key; none live = closed).
 * @throws KilnError `ENDPOINT_NOT_FOUND`
 */
export async function setEndpointAccess(db: Db, endpointName: string, access: EndpointAccess): Promise<EndpointView & { revision: number }> {
  const epId = await endpointId(db, endpointName);
  await db.update(endpoints).set({ access, updatedAt: sql`now()` }).where(eq(endpoints.id, epId));
  const revision = await bumpServingRevision(db);
  return { ...(await getEndpoint(db, endpointName))!, revision };
}

/**
 * Sets the browser origins an endpoint answers besides the studio's (see ./origins.ts for the
 * form); an empty list leaves the studio alone.
 * @throws KilnError `ENDPOINT_NOT_FOUND`, `ENDPOINT_BAD_ORIGIN`
 */
export async function setEndpointCors(db: Db, endpointName: string, origins: readonly string[]): Promise<EndpointView & { revision: number }> {
  const corsOrigins = normalizeOrigins(origins);
  const epId = await endpointId(db, endpointName);
  await db.update(endpoints).set({ corsOrigins, updatedAt: sql`now()` }).where(eq(endpoints.id, epId));
  const revision = await bumpServingRevision(db);
  return { ...(await getEndpoint(db, endpointName))!, revision };
}
