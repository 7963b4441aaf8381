/**
 * Alert evaluation in the control plane: every `KILN_ALERT_INTERVAL_SECONDS` the due rules are
 * claimed (one UPDATE moves their `nextEvalAt` on, so two control planes never evaluate a rule
 * twice), measured (./alert-conditions.ts) and their state moved: a change between firing and
 * resolved is a transition, written with the new state in one transaction only if the state is
 * still the one read (compare-and-set), and queued for delivery (./alert-delivery.ts). A rule
 * whose measurement fails keeps its state and records the error.
 *
 * The same pass refreshes each endpoint's monitoring snapshot (the default 24 h report) that
 * `/api/monitoring/metrics` exports to Prometheus.
 */
import { and, eq, inArray, lte, or, isNull, sql } from 'drizzle-orm';
import type { AlertCondition } from '../../lib/alerts/rule';
import type { Db } from '../db/client';
import { alertEvents, alertRules, alertStates, endpoints, modelAliases, modelVersions, monitoringSnapshots, registeredModels } from '../db/schema';
import type { ArtifactStore } from '../storage/types';
import { runOnFireActions } from './alert-actions';
import { evaluateCondition, trafficFromStats, type EndpointContext, type Outcome, type TrafficStats } from './alert-conditions';
import { monitoringReport, type MonitoringReport } from './report';
import { parseWindow } from './window';

/** The window of the exported snapshot. */
export const SNAPSHOT_WINDOW = '24h';
/** Rules claimed per pass at most. */
const CLAIM_LIMIT = 200;

export interface EvaluateOptions {
  now?: Date;
  /** time until a rule is due again (the interval) */
  intervalMs: number;
  /** how a window's traffic is measured (default: serving's request statistics, else the prediction log) */
  traffic?: (db: Db, endpointId: string, start: Date, end: Date) => Promise<TrafficStats>;
  log?: (line: string) => void;
}

export interface EvaluationResult {
  evaluated: number;
  transitions: { rule: string; endpoint: string; state: 'firing' | 'resolved'; message: string }[];
  errors: { rule: string; endpoint: string; error: string }[];
}

interface EndpointInfo {
  id: string;
  name: string;
  model: string;
  createdAt: Date;
  served: { version: number; createdAt: Date } | null;
}

/** Endpoints with the version each serves by default now (its alias's, or its pinned version). */
async function endpointInfos(db: Db, ids: string[] | 'all'): Promise<EndpointInfo[]> {
  const eps = await db
    .select({ id: endpoints.id, name: endpoints.name, model: registeredModels.name, modelId: endpoints.modelId, target: endpoints.target, createdAt: endpoints.createdAt })
    .from(endpoints)
    .innerJoin(registeredModels, eq(registeredModels.id, endpoints.modelId))
    .where(ids === 'all' ? undefined : inArray(endpoints.id, ids.length ? ids : ['']));
  const out: EndpointInfo[] = [];
  for (const ep of eps) {
    let served: EndpointInfo['served'] = null;
    if ('alias' in ep.target) {
      const [v] = await db
        .select({ version: modelVersions.version, createdAt: modelVersions.createdAt })
        .from(modelAliases)
        .innerJoin(modelVersions, eq(modelVersions.id, modelAliases.versionId))
        .where(and(eq(modelAliases.modelId, ep.modelId), eq(modelAliases.alias, ep.target.alias)));
      served = v ?? null;
    } else {
      const [v] = await db
        .select({ version: modelVersions.version, createdAt: modelVersions.createdAt })
        .from(modelVersions)
        .where(and(eq(modelVersions.modelId, ep.modelId), eq(modelVersions.version, ep.target.version)));
      served = v ?? null;
    }
    out.push({ id: ep.id, name: ep.name, model: ep.model, createdAt: ep.createdAt, served });
  }
  return out;
}

function contextOf(db: Db, store: ArtifactStore, ep: EndpointInfo, now: Date, traffic: NonNullable<EvaluateOptions['traffic']>): EndpointContext {
  const reports = new Map<string, Promise<MonitoringReport>>();
  const stats = new Map<string, Promise<TrafficStats>>();
  return {
    db,
    now,
    endpoint: { id: ep.id, name: ep.name, model: ep.model, createdAt: ep.createdAt },
    served: ep.served,
    report(window) {
      let r = reports.get(window);
      if (!r) reports.set(window, (r = monitoringReport(db, store, { endpoint: ep.name, windowMs: parseWindow(window), now })));
      return r;
    },
    traffic(window) {
      let r = stats.get(window);
      if (!r) stats.set(window, (r = traffic(db, ep.id, new Date(now.getTime() - parseWindow(window)), now)));
      return r;
    },
  };
}

/** One pass: claims the due rules, measures them, records states and transitions. Never throws for one rule. */
export async function evaluateAlerts(db: Db, store: ArtifactStore, o: EvaluateOptions): Promise<EvaluationResult> {
  const now = o.now ?? new Date();
  const traffic = o.traffic ?? trafficFromStats;
  const due = db.select({ id: alertRules.id }).from(alertRules).where(lte(alertRules.nextEvalAt, now)).limit(CLAIM_LIMIT);
  const claimed = await db
    .update(alertRules)
    // Due again a little before the next pass, so a timer that fires a millisecond early still finds it due.
    .set({ nextEvalAt: new Date(now.getTime() + o.intervalMs - Math.min(1000, o.intervalMs / 10)) })
    .where(and(inArray(alertRules.id, due), lte(alertRules.nextEvalAt, now)))
    .returning();
  const result: EvaluationResult = { evaluated: 0, transitions: [], errors: [] };
  if (claimed.length === 0) return result;
  const infos = new Map((await endpointInfos(db, [...new Set(claimed.map((r) => r.endpointId))])).map((e) => [e.id, e]));
  const contexts = new Map<string, EndpointContext>();
  for (const rule of claimed) {
    const ep = infos.get(rule.endpointId);
    if (!ep) continue;
    let ctx = contexts.get(ep.id);
    if (!ctx) contexts.set(ep.id, (ctx = contextOf(db, store, ep, now, traffic)));
    let outcome: Outcome;
    try {
      outcome = await evaluateCondition(rule.condition as AlertCondition, ctx, rule.window);
    } catch (e) {
      const error = ((e as Error).message ?? String(e)).split('\n')[0]!;
      result.errors.push({ rule: rule.expr, endpoint: ep.name, error });
      await db
        .insert(alertStates)
        .values({ ruleId: rule.id, state: 'resolved', since: now, message: `${ep.name}: cannot evaluate: ${error}`, value: null, evaluatedAt: now, error })
        .onConflictDoUpdate({ target: alertStates.ruleId, set: { evaluatedAt: now, error } });
      continue;
    }
    result.evaluated++;
    const t = await record(db, rule, ep, outcome, now);
    if (t) {
      result.transitions.push({ rule: rule.expr, endpoint: ep.name, state: t.state, message: outcome.message });
      await runOnFireActions(db, { rule, endpoint: ep, event: t, log: o.log ?? (() => {}) });
    }
  }
  return result;
}

/**
 * Writes the outcome: the state's message/value always; on a change of state (or a first
 * evaluation that fires) the new state and a transition event, in one transaction that
 * re-checks the state it read, so a concurrent writer cannot record the same transition twice.
 */
async function record(db: Db, rule: typeof alertRules.$inferSelect, ep: EndpointInfo, out: Outcome, now: Date): Promise<typeof alertEvents.$inferSelect | null> {
  const next = out.firing ? 'firing' : 'resolved';
  return db.transaction(async (tx) => {
    const [cur] = await tx.select().from(alertStates).where(eq(alertStates.ruleId, rule.id)).for('update');
    if (cur?.state === next || (!cur && next === 'resolved')) {
      await tx
        .insert(alertStates)
        .values({ ruleId: rule.id, state: next, since: now, message: out.message, value: out.value, evaluatedAt: now, error: null })
        .onConflictDoUpdate({ target: alertStates.ruleId, set: { message: out.message, value: out.value, evaluatedAt: now, error: null } });
      return null;
    }
    const changed = await tx
      .insert(alertStates)
      .values({ ruleId: rule.id, state: next, since: now, message: out.message, value: out.value, evaluatedAt: now, error: null })
      .onConflictDoUpdate({
        target: alertStates.ruleId,
        set: { state: next, since: now, message: out.message, value: out.value, evaluatedAt: now, error: null },
        setWhere: cur ? eq(alertStates.state, cur.state) : sql`false`,
      })
      .returning({ ruleId: alertStates.ruleId });
    if (changed.length === 0) return null;
    const [ev] = await tx.insert(alertEvents).values({ ruleId: rule.id, endpointId: ep.id, state: next, at: now, message: out.message, value: out.value }).returning();
    return ev!;
  });
}

/**
 * Refreshes the snapshot (the {@link SNAPSHOT_WINDOW} report) of every endpoint whose snapshot
 * is older than the interval; each is claimed by moving its `at` first. An endpoint with no
 * version to report on is skipped.
 */
export async function refreshSnapshots(db: Db, store: ArtifactStore, o: { now?: Date; intervalMs: number; log?: (line: string) => void }): Promise<number> {
  const now = o.now ?? new Date();
  const eps = await db.select({ id: endpoints.id, name: endpoints.name }).from(endpoints);
  let n = 0;
  for (const ep of eps) {
    const stale = new Date(now.getTime() - o.intervalMs + Math.min(1000, o.intervalMs / 10));
    const [claim] = await db
      .insert(monitoringSnapshots)
      .values({ endpointId: ep.id, at: now, report: {} })
      .onConflictDoUpdate({ target: monitoringSnapshots.endpointId, set: { at: now }, setWhere: or(lte(monitoringSnapshots.at, stale), isNull(monitoringSnapshots.at)) })
      .returning({ id: monitoringSnapshots.endpointId });
    if (!claim) continue;
    try {
      const report = await monitoringReport(db, store, { endpoint: ep.name, windowMs: parseWindow(SNAPSHOT_WINDOW), now });
      await db.update(monitoringSnapshots).set({ report }).where(eq(monitoringSnapshots.endpointId, ep.id));
      n++;
    } catch (e) {
      // An endpoint that resolves to no version has nothing to export; anything else is logged.
      const msg = (e as Error).message ?? String(e);
      if (!/resolves to no version|is gone/.test(msg)) o.log?.(`kiln server: monitoring snapshot of ${ep.name}: ${msg.split('\n')[0]}`);
      await db.update(monitoringSnapshots).set({ report: {} }).where(eq(monitoringSnapshots.endpointId, ep.id));
    }
  }
  return n;
}

/** Endpoint info for the Prometheus export: name, model, served version and its creation. */
export { endpointInfos };
