/**
 * The serving config: what a serving process needs to know to serve every endpoint (docs/
 * serving.md, "Control plane → serving contract"). Its `revision` is the counter of
 * ./serving-revision.ts: it moves on whenever the endpoints below change, so a replica can say
 * which config it has applied with one number.
 */
import { createHash } from 'node:crypto';
import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import { canonicalJson } from '../../lib/graph/canonical';
import type { Db } from '../db/client';
import { endpointKeys, endpoints, modelAliases, modelVersions, registeredModels } from '../db/schema';
import { readServingRevision, reconcileServingRevision } from './serving-revision';

export interface ServingVersion {
  version: number;
  sha256: string;
  url: string;
  aliases: string[];
  /** when the version was registered (ISO 8601): serving exports its age (`kiln_model_age_seconds`) */
  createdAt: string;
}

export interface ServingEndpoint {
  name: string;
  model: string;
  /** 'keys': a request needs one of `keyHashes` (none live: every request is refused); 'public': none needed */
  access: 'public' | 'keys';
  keyHashes: string[];
  /** browser origins (`scheme://host[:port]`) whose pages may call it, besides the studio's */
  corsOrigins: string[];
  versions: ServingVersion[];
  default: number;
  traffic: { version: number; weight: number }[];
  /** the prediction log: the share of requests serving logs (0 to 1) */
  log: { sampleRate: number };
  /** anomaly codes answered with a 400 instead of tagged in the log (empty: none) */
  rejectAnomalies: string[];
}

export interface ServingConfig {
  revision: number;
  /** the studio's own origins: every endpoint answers its browser calls (the "try it" form) */
  studioOrigins: string[];
  endpoints: ServingEndpoint[];
}

/** Where a serving process downloads a version's package (`GET`, machine token). */
export function packageUrl(versionId: string): string {
  return `/api/serving/versions/${versionId}/package`;
}

/**
 * The endpoints of the serving config, exactly as docs/serving.md describes them. An endpoint
 * whose target resolves to no READY version is left out (it cannot serve anything), as are split
 * versions that are not READY; everything is sorted so the hash only changes when the content does.
 */
export async function servingEndpoints(db: Db): Promise<ServingEndpoint[]> {
  const eps = await db
    .select({
      id: endpoints.id,
      name: endpoints.name,
      modelId: endpoints.modelId,
      target: endpoints.target,
      traffic: endpoints.traffic,
      access: endpoints.access,
      corsOrigins: endpoints.corsOrigins,
      logSampleRate: endpoints.logSampleRate,
      rejectAnomalies: endpoints.rejectAnomalies,
      model: registeredModels.name,
    })
    .from(endpoints)
    .innerJoin(registeredModels, eq(registeredModels.id, endpoints.modelId))
    .orderBy(asc(endpoints.name));
  const modelIds = [...new Set(eps.map((e) => e.modelId))];
  const epIds = eps.map((e) => e.id);
  const versions = modelIds.length
    ? await db
        .select({ id: modelVersions.id, modelId: modelVersions.modelId, version: modelVersions.version, sha256: modelVersions.sha256, createdAt: modelVersions.createdAt })
        .from(modelVersions)
        .where(and(inArray(modelVersions.modelId, modelIds), eq(modelVersions.status, 'READY')))
    : [];
  const aliases = modelIds.length
    ? await db
        .select({ modelId: modelAliases.modelId, alias: modelAliases.alias, versionId: modelAliases.versionId })
        .from(modelAliases)
        .where(inArray(modelAliases.modelId, modelIds))
    : [];
  const keys = epIds.length
    ? await db
        .select({ endpointId: endpointKeys.endpointId, keyHash: endpointKeys.keyHash })
        .from(endpointKeys)
        .where(and(inArray(endpointKeys.endpointId, epIds), isNull(endpointKeys.revokedAt)))
    : [];

  const out: ServingEndpoint[] = [];
  for (const ep of eps) {
    const ready = new Map(versions.filter((v) => v.modelId === ep.modelId).map((v) => [v.version, v]));
    const readyById = new Map([...ready.values()].map((v) => [v.id, v]));
    const aliasesByVersion = new Map<number, string[]>();
    for (const a of aliases) {
      if (a.modelId !== ep.modelId) continue;
      const v = readyById.get(a.versionId);
      if (v) aliasesByVersion.set(v.version, [...(aliasesByVersion.get(v.version) ?? []), a.alias]);
    }
    const t = ep.target;
    let def: number | undefined;
    if ('alias' in t) {
      for (const [version, names] of aliasesByVersion) if (names.includes(t.alias)) def = version;
    } else if (ready.has(t.version)) def = t.version;
    if (def === undefined) continue;
    const traffic = ep.traffic.filter((s) => ready.has(s.version)).map((s) => ({ version: s.version, weight: s.weight }));
    // A split that lost a version no longer sums to 100: serve the default alone rather than skew it.
    const splitOk = traffic.length === ep.traffic.length && traffic.reduce((s, x) => s + x.weight, 0) === 100;
    const needed = new Set<number>([def, ...(splitOk ? traffic.map((s) => s.version) : []), ...aliasesByVersion.keys()]);
    out.push({
      name: ep.name,
      model: ep.model,
      access: ep.access,
      keyHashes: keys.filter((k) => k.endpointId === ep.id).map((k) => k.keyHash).sort(),
      corsOrigins: [...ep.corsOrigins].sort(),
      versions: [...needed]
        .sort((a, b) => a - b)
        .map((n) => {
          const v = ready.get(n)!;
          return { version: n, sha256: v.sha256, url: packageUrl(v.id), aliases: [...(aliasesByVersion.get(n) ?? [])].sort(), createdAt: v.createdAt.toISOString() };
        }),
      default: def,
      traffic: splitOk ? traffic : [],
      log: { sampleRate: ep.logSampleRate },
      rejectAnomalies: [...ep.rejectAnomalies].sort(),
    });
  }
  return out;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The serving config now: the revision is read first and the endpoints computed after it, so
 * they hold every change whose bump is ≤ the revision; endpoints that changed without a bump
 * get a new revision here (./serving-revision.ts).
 */
export async function servingConfig(db: Db, opts: { studioOrigins?: readonly string[] } = {}): Promise<ServingConfig> {
  const seen = await readServingRevision(db);
  const eps = await servingEndpoints(db);
  const revision = await reconcileServingRevision(db, seen, sha256(canonicalJson({ endpoints: eps })));
  return { revision, studioOrigins: [...new Set(opts.studioOrigins ?? [])].sort(), endpoints: eps };
}

/** The config answer's ETag: its revision and a hash of everything in it (studio origins too). */
export function servingConfigEtag(c: ServingConfig): string {
  return `"${c.revision}-${sha256(canonicalJson(c)).slice(0, 16)}"`;
}
