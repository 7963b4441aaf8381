/**
 * The model registry: registered models, their numbered versions (made from a succeeded run's
 * model package, checked for serveability) and aliases that move between versions through gates.
 * Every state change is one transaction; version numbers and alias moves serialise on the
 * model's row lock (`SELECT … FOR UPDATE`), so concurrent callers on one PostgreSQL never get the
 * same number or lose a move.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, isNull, sql } from 'drizzle-orm';
import { KilnError } from '../../lib/errors';
import type { Graph } from '../../lib/graph/schema';
import type { Db } from '../db/client';
import { getGraph } from '../db/catalog';
import { aliasEvents, artifacts, modelAliases, modelVersions, projects, registeredModels, runs, type AliasEvent, type ModelVersion, type RegisteredModel } from '../db/schema';
import type { ArtifactStore } from '../storage/types';
import { checkMetricGates, compareMetric, defaultComparisonMetric, testDataFingerprint, type GateCheck } from './gates';
import { bumpServingRevision } from './serving-revision';
import type { ServeabilityOptions } from './serveability';
import { sha256Hex, verifyVersionPackage } from './integrity';
import { completeRegistration, DEFAULT_REGISTRATION_LEASE, leaseUntil, MODEL_ARTIFACT_KIND, PROCESS_OWNER, type RegistrationLease } from './registration';

export { MODEL_ARTIFACT_KIND } from './registration';

/** Model, endpoint and alias names: what URLs and CLI arguments can carry without quoting. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
export const ALIAS_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

export function assertName(what: string, name: string): void {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new KilnError('REGISTRY_BAD_NAME', `${what} "${String(name).slice(0, 80)}" must be 1 to 64 characters of a-z 0-9 _ . - starting with a letter or digit`, { param: what });
  }
}

function assertAlias(alias: string): void {
  if (typeof alias !== 'string' || !ALIAS_PATTERN.test(alias)) {
    throw new KilnError('REGISTRY_BAD_ALIAS', `alias "${String(alias).slice(0, 80)}" must be 1 to 64 characters of a-z 0-9 _ - starting with a letter`, { param: 'alias' });
  }
}

/** The server's storage key of a registered version's package (its own copy, apart from the run's). */
export function versionKey(modelId: string, version: number): string {
  return `models/${modelId}/${version}/model.zip`;
}

/** Creates a registered model. @throws KilnError `REGISTRY_BAD_NAME`, `REGISTRY_MODEL_EXISTS` */
export async function createModel(db: Db, input: { name: string; description?: string; tags?: Record<string, string> }): Promise<RegisteredModel> {
  assertName('model name', input.name);
  const [row] = await db
    .insert(registeredModels)
    .values({ id: randomUUID(), name: input.name, description: input.description ?? '', tags: input.tags ?? {} })
    .onConflictDoNothing({ target: registeredModels.name })
    .returning();
  if (!row) throw new KilnError('REGISTRY_MODEL_EXISTS', `model "${input.name}" already exists`, { param: 'name' });
  return row;
}

/**
 * The model with this name, creating it on first use in `projectId` (safe when two callers
 * race); a model from before projects owned models is adopted by the first project to register.
 */
async function ensureModel(db: Db, name: string, projectId: string): Promise<RegisteredModel> {
  assertName('model name', name);
  await db.insert(registeredModels).values({ id: randomUUID(), name, projectId }).onConflictDoNothing({ target: registeredModels.name });
  await db.update(registeredModels).set({ projectId }).where(and(eq(registeredModels.name, name), isNull(registeredModels.projectId)));
  const m = await getModelByName(db, name);
  if (!m) throw new Error(`model "${name}" vanished right after it was ensured`);
  return m;
}

/** Each model's name → the project that owns it (null: none yet). */
export async function modelProjects(db: Db): Promise<Map<string, string | null>> {
  const rows = await db.select({ name: registeredModels.name, projectId: registeredModels.projectId }).from(registeredModels);
  return new Map(rows.map((r) => [r.name, r.projectId]));
}

/** The model with this name, or null. */
export async function getModelByName(db: Db, name: string): Promise<RegisteredModel | null> {
  const [row] = await db.select().from(registeredModels).where(eq(registeredModels.name, name));
  return row ?? null;
}

async function requireModel(db: Db, name: string): Promise<RegisteredModel> {
  const m = await getModelByName(db, name);
  if (!m) throw new KilnError('REGISTRY_MODEL_NOT_FOUND', `no registered model "${name}"`, { param: 'model' });
  return m;
}

/** A model with its latest version number and where each alias points. */
export interface ModelSummary extends RegisteredModel {
  latestVersion: number | null;
  aliases: Record<string, number>;
  /** names of the projects whose runs made its versions (the registry itself is global) */
  projects: string[];
}

/** All registered models by name, each with its latest version and aliases. */
export async function listModels(db: Db): Promise<ModelSummary[]> {
  const models = await db.select().from(registeredModels).orderBy(asc(registeredModels.name));
  const latest = await db
    .select({ modelId: modelVersions.modelId, v: sql<number>`max(${modelVersions.version})::integer` })
    .from(modelVersions)
    .groupBy(modelVersions.modelId);
  const aliases = await db
    .select({ modelId: modelAliases.modelId, alias: modelAliases.alias, version: modelVersions.version })
    .from(modelAliases)
    .innerJoin(modelVersions, eq(modelVersions.id, modelAliases.versionId));
  const origins = await db
    .selectDistinct({ modelId: modelVersions.modelId, project: projects.name })
    .from(modelVersions)
    .innerJoin(runs, eq(runs.id, modelVersions.runId))
    .innerJoin(projects, eq(projects.id, runs.projectId));
  const latestBy = new Map(latest.map((l) => [l.modelId, Number(l.v)]));
  return models.map((m) => ({
    ...m,
    projects: origins.filter((o) => o.modelId === m.id).map((o) => o.project).sort(),
    latestVersion: latestBy.get(m.id) ?? null,
    aliases: Object.fromEntries(aliases.filter((a) => a.modelId === m.id).map((a) => [a.alias, a.version])),
  }));
}

/** Where each alias of a model points: alias → version number. */
export async function getAliases(db: Db, modelId: string): Promise<Record<string, number>> {
  const rows = await db
    .select({ alias: modelAliases.alias, version: modelVersions.version })
    .from(modelAliases)
    .innerJoin(modelVersions, eq(modelVersions.id, modelAliases.versionId))
    .where(eq(modelAliases.modelId, modelId))
    .orderBy(asc(modelAliases.alias));
  return Object.fromEntries(rows.map((r) => [r.alias, r.version]));
}

/** A model's versions, newest first. */
export async function listVersions(db: Db, modelName: string): Promise<ModelVersion[]> {
  const m = await requireModel(db, modelName);
  return db.select().from(modelVersions).where(eq(modelVersions.modelId, m.id)).orderBy(desc(modelVersions.version));
}

/** One version of a model, or null. */
export async function getVersion(db: Db, modelName: string, version: number): Promise<ModelVersion | null> {
  const m = await getModelByName(db, modelName);
  if (!m) return null;
  const [row] = await db
    .select()
    .from(modelVersions)
    .where(and(eq(modelVersions.modelId, m.id), eq(modelVersions.version, version)));
  return row ?? null;
}

/** The version with this id (the serving package route), or null. */
export async function getVersionById(db: Db, id: string): Promise<ModelVersion | null> {
  const [row] = await db.select().from(modelVersions).where(eq(modelVersions.id, id));
  return row ?? null;
}

export interface RegisterVersionInput {
  modelName: string;
  runId: string;
  description?: string;
  actor: string;
  /** serveability check settings (budget, backend) */
  serveability?: ServeabilityOptions;
  /** the lease this process holds on the PENDING version while it works (default 30 s) */
  lease?: RegistrationLease;
  /** who runs it (default this process; tests stand in for another) */
  owner?: string;
}

/**
 * Registers a succeeded run's model package as the model's next version (creating the model on
 * first use): PENDING while the package is copied to the registry's own storage key and checked
 * for serveability, then READY, or FAILED with the reason. Returns the version as it ends. This
 * process owns the PENDING version under a lease it renews (./registration): if it dies midway,
 * the reaper resumes the version.
 *
 * @throws KilnError `REGISTRY_RUN_NOT_FOUND`, `REGISTRY_RUN_NOT_SUCCEEDED`, `REGISTRY_NO_PACKAGE`
 *   (no model artifact, or its bytes are missing or altered in the store), `REGISTRY_BAD_NAME`.
 */
export async function registerVersion(db: Db, store: ArtifactStore, input: RegisterVersionInput): Promise<ModelVersion> {
  assertName('model name', input.modelName);
  const [run] = await db.select().from(runs).where(eq(runs.id, input.runId));
  if (!run) throw new KilnError('REGISTRY_RUN_NOT_FOUND', `no run ${input.runId}`, { param: 'runId' });
  if (run.status !== 'succeeded') throw new KilnError('REGISTRY_RUN_NOT_SUCCEEDED', `run ${run.id} is ${run.status}; only a succeeded run can be registered`, { param: 'runId' });
  const [artifact] = await db
    .select()
    .from(artifacts)
    .where(and(eq(artifacts.runId, run.id), eq(artifacts.kind, MODEL_ARTIFACT_KIND)));
  if (!artifact) throw new KilnError('REGISTRY_NO_PACKAGE', `run ${run.id} has no model package artifact`, { param: 'runId' });
  const zip = await store.getBytes(artifact.storageKey);
  if (!zip) throw new KilnError('REGISTRY_NO_PACKAGE', `the model package of run ${run.id} is missing from the artifact store`, { param: 'runId' });
  const sha256 = sha256Hex(zip);
  if (sha256 !== artifact.sha256) throw new KilnError('REGISTRY_NO_PACKAGE', `the model package of run ${run.id} in the artifact store does not match its recorded sha256`, { param: 'runId' });

  const graph = await getGraph(db, run.projectId, run.graphHash);
  const params: Record<string, unknown> = {};
  for (const n of graph?.doc.nodes ?? []) params[n.id] = n.params ?? {};

  const model = await ensureModel(db, input.modelName, run.projectId);
  const row = await db.transaction(async (tx) => {
    // The model row lock serialises numbering: max + 1 cannot be taken twice.
    await tx.select({ id: registeredModels.id }).from(registeredModels).where(eq(registeredModels.id, model.id)).for('update');
    const [max] = await tx
      .select({ v: sql<number | null>`max(${modelVersions.version})::integer` })
      .from(modelVersions)
      .where(eq(modelVersions.modelId, model.id));
    const version = (max?.v === null || max?.v === undefined ? 0 : Number(max.v)) + 1;
    const [v] = await tx
      .insert(modelVersions)
      .values({
        id: randomUUID(),
        modelId: model.id,
        version,
        runId: run.id,
        graphHash: run.graphHash,
        datasets: run.datasets,
        metrics: run.metrics ?? {},
        params,
        gates: run.gates ?? [],
        backend: run.backend,
        device: run.device,
        status: 'PENDING',
        storageKey: versionKey(model.id, version),
        sha256,
        description: input.description ?? '',
        createdBy: input.actor,
        ownerId: input.owner ?? PROCESS_OWNER,
        leaseExpiresAt: leaseUntil((input.lease ?? DEFAULT_REGISTRATION_LEASE).seconds),
        attempts: 1,
      })
      .returning();
    if (!v) throw new Error('inserting a model version returned no row');
    return v;
  });

  return completeRegistration(db, store, row, zip, {
    ...(input.owner ? { owner: input.owner } : {}),
    ...(input.lease ? { lease: input.lease } : {}),
    ...(input.serveability ? { serveability: input.serveability } : {}),
  });
}

export interface MoveAliasInput {
  modelName: string;
  alias: string;
  version: number;
  actor: string;
  reason?: string;
  /** the candidate must beat the current holder by at least this much (metric units) */
  minAbsoluteChange?: number;
  /** … and by at least this fraction of the current holder's value */
  minRelativeChange?: number;
  /** metric the "must beat" gate compares (default: see defaultComparisonMetric) */
  metric?: string;
  /** move even when the metric gates or the "must beat" gate fail (recorded as forced) */
  force?: boolean;
  /** evaluate the gates only: nothing moves and nothing is recorded */
  dryRun?: boolean;
}

export interface MoveAliasResult {
  moved: boolean;
  /** version number holding the alias before (null when none) */
  from: number | null;
  to: number;
  gates: GateCheck[];
  /** the alias_events row id (absent for a dry run) */
  eventId?: number;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Test-data fingerprint of a version from its source run's graph, or why there is none. */
async function fingerprintOf(tx: Tx, v: ModelVersion): Promise<{ fp: string | null; why?: string }> {
  if (!v.runId) return { fp: null, why: `the source run of v${v.version} no longer exists` };
  const [run] = await tx.select({ projectId: runs.projectId }).from(runs).where(eq(runs.id, v.runId));
  if (!run) return { fp: null, why: `the source run of v${v.version} no longer exists` };
  const g = await getGraph(tx as unknown as Db, run.projectId, v.graphHash);
  if (!g) return { fp: null, why: `the graph of v${v.version} is no longer stored` };
  const fp = testDataFingerprint(g.doc as Graph, v.datasets);
  return fp ? { fp } : { fp: null, why: `v${v.version}'s graph scores no held-out split of a known dataset version` };
}

/** Gate (c): the candidate against the version holding the alias now, on the same test data. */
async function beatsCurrent(tx: Tx, cand: ModelVersion, current: ModelVersion | null, input: MoveAliasInput): Promise<Omit<GateCheck, 'forced'>> {
  const label = current ? `beats ${input.alias} (v${current.version})` : 'beats current';
  if (!current) return { gate: 'beats_current', passed: true, detail: `beats current: no version holds "${input.alias}" yet` };
  if (current.id === cand.id) return { gate: 'beats_current', passed: true, detail: `${label}: v${cand.version} already holds "${input.alias}"` };
  const metric = input.metric ?? defaultComparisonMetric(cand.gates, cand.metrics);
  if (!metric) return { gate: 'beats_current', passed: false, detail: `${label}: v${cand.version} records no metric with a known direction to compare` };
  const [a, b] = [await fingerprintOf(tx, cand), await fingerprintOf(tx, current)];
  if (!a.fp || !b.fp || a.fp !== b.fp) {
    const why = a.why ?? b.why ?? `v${cand.version} and v${current.version} were scored on different test data (dataset versions, row filters or split differ)`;
    return { gate: 'beats_current', passed: false, metric, detail: `${label}: not comparable — ${why}; move with force to override` };
  }
  return compareMetric({
    metric,
    candidate: cand.metrics[metric],
    baseline: current.metrics[metric],
    ...(input.minAbsoluteChange !== undefined ? { minAbsoluteChange: input.minAbsoluteChange } : {}),
    ...(input.minRelativeChange !== undefined ? { minRelativeChange: input.minRelativeChange } : {}),
    label,
  });
}

/**
 * Moves an alias to a version if it passes every gate: (a/d) the version is READY (loaded and
 * answered a sample request, and its stored package still has the registered sha256 — checked
 * now, a mismatch fails the version), (b) every metric gate of its evaluate node passed, (c) it beats the
 * version holding the alias now on the same test data by the given margins. `force` lets (b) and
 * (c) fail (never a not-READY version). Every attempt, moved or blocked, is appended to the alias
 * history with the actor, reason and gate results; a dry run evaluates the gates only.
 *
 * @throws KilnError `REGISTRY_MODEL_NOT_FOUND`, `REGISTRY_VERSION_NOT_FOUND`, `REGISTRY_BAD_ALIAS`,
 *   `REGISTRY_BAD_OPTION`
 */
export async function moveAlias(db: Db, store: ArtifactStore, input: MoveAliasInput): Promise<MoveAliasResult> {
  assertAlias(input.alias);
  for (const k of ['minAbsoluteChange', 'minRelativeChange'] as const) {
    const v = input[k];
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw new KilnError('REGISTRY_BAD_OPTION', `${k} must be a non-negative number, got ${v}`, { param: k });
  }
  if (!input.actor?.trim()) throw new KilnError('REGISTRY_BAD_OPTION', 'actor must not be empty', { param: 'actor' });
  const model = await requireModel(db, input.modelName);
  // The bytes serving would load must be the bytes that were checked: a tampered or missing
  // package turns the version FAILED here, and the serveable gate below then blocks the move.
  const [target] = await db
    .select()
    .from(modelVersions)
    .where(and(eq(modelVersions.modelId, model.id), eq(modelVersions.version, input.version)));
  if (target) await verifyVersionPackage(db, store, target);
  const result = await db.transaction(async (tx) => {
    // One move at a time per model, so "the current holder" cannot change under the gates.
    await tx.select({ id: registeredModels.id }).from(registeredModels).where(eq(registeredModels.id, model.id)).for('update');
    const [cand] = await tx
      .select()
      .from(modelVersions)
      .where(and(eq(modelVersions.modelId, model.id), eq(modelVersions.version, input.version)));
    if (!cand) throw new KilnError('REGISTRY_VERSION_NOT_FOUND', `model "${model.name}" has no version ${input.version}`, { param: 'version' });
    const [holder] = await tx
      .select({ v: modelVersions })
      .from(modelAliases)
      .innerJoin(modelVersions, eq(modelVersions.id, modelAliases.versionId))
      .where(and(eq(modelAliases.modelId, model.id), eq(modelAliases.alias, input.alias)));
    const current = holder?.v ?? null;

    const force = input.force === true;
    const serveable: GateCheck = {
      gate: 'serveable',
      passed: cand.status === 'READY',
      forced: false,
      detail:
        cand.status === 'READY'
          ? `serveable: v${cand.version} is READY`
          : cand.status === 'FAILED'
            ? `serveable: v${cand.version} FAILED its serveability check (${cand.statusReason ?? 'no reason recorded'})`
            : `serveable: v${cand.version} is still PENDING its serveability check`,
    };
    const soft = [checkMetricGates(cand.gates), await beatsCurrent(tx, cand, current, input)].map((g) => ({ ...g, forced: force && !g.passed }));
    const gates = [serveable, ...soft];
    const moved = serveable.passed && soft.every((g) => g.passed || g.forced);
    const from = current?.version ?? null;
    if (input.dryRun) return { moved, from, to: cand.version, gates };

    if (moved) {
      await tx
        .insert(modelAliases)
        .values({ modelId: model.id, alias: input.alias, versionId: cand.id })
        .onConflictDoUpdate({ target: [modelAliases.modelId, modelAliases.alias], set: { versionId: cand.id, updatedAt: sql`now()` } });
    }
    const [ev] = await tx
      .insert(aliasEvents)
      .values({
        modelId: model.id,
        alias: input.alias,
        fromVersion: from,
        toVersion: cand.version,
        outcome: moved ? 'moved' : 'blocked',
        actor: input.actor.slice(0, 200),
        reason: (input.reason ?? '').slice(0, 2000),
        gateResults: gates,
      })
      .returning({ id: aliasEvents.id });
    return { moved, from, to: cand.version, gates, ...(ev ? { eventId: ev.id } : {}) };
  });
  // Endpoints bound to the alias serve the new version: tell the serving replicas now.
  if (result.moved && !input.dryRun) await bumpServingRevision(db);
  return result;
}

/** The history of a model's alias moves (all aliases, or one), newest first. */
export async function aliasHistory(db: Db, modelName: string, opts: { alias?: string; limit?: number } = {}): Promise<AliasEvent[]> {
  const m = await requireModel(db, modelName);
  return db
    .select()
    .from(aliasEvents)
    .where(opts.alias ? and(eq(aliasEvents.modelId, m.id), eq(aliasEvents.alias, opts.alias)) : eq(aliasEvents.modelId, m.id))
    .orderBy(desc(aliasEvents.id))
    .limit(Math.min(Math.max(opts.limit ?? 100, 1), 1000));
}
