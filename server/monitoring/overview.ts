/**
 * Every endpoint of a project at a glance: traffic in the window, the live metric its gate
 * names (or the task's headline metric) against the gate and the training value, drift share,
 * model age and firing alerts. Each endpoint's numbers are its monitoring report over the
 * (short) window; one that cannot be reported (no version bound, package gone) says why instead
 * of hiding the others.
 */
import { asc, eq } from 'drizzle-orm';
import { evaluateGate } from '../../lib/metrics/gates';
import type { Db } from '../db/client';
import { endpoints, registeredModels } from '../db/schema';
import { getEndpoint } from '../registry/endpoints';
import { getVersion } from '../registry/registry';
import type { ArtifactStore } from '../storage/types';
import { monitoringReport } from './report';

const DAY = 86_400_000;

export interface EndpointHealth {
  endpoint: string;
  model: string;
  /** the version served by default (null: the alias points nowhere) */
  version: number | null;
  /** days since that version was registered */
  ageDays: number | null;
  /** logged predictions in the window */
  requests: number | null;
  /** every answer serving counted (failed and unlogged ones too), and the share that failed */
  traffic: { requests: number; errors: number; errorRate: number | null } | null;
  /** the metric watched: the version's first gate's, else mape (regression) or accuracy */
  metric: { name: string; live: number | null; training: number | null; labelled: number; gate: string | null; passing: boolean | null } | null;
  drift: { share: number; drifted: boolean; features: number; driftedFeatures: string[] } | null;
  alerts: { firing: number; total: number };
  /** why the numbers are missing */
  error: string | null;
}

/** Health of every endpoint whose model belongs to `projectId`, in name order. */
export async function projectHealth(db: Db, store: ArtifactStore, o: { projectId: string; windowMs: number; now?: Date }): Promise<EndpointHealth[]> {
  const now = o.now ?? new Date();
  const eps = await db
    .select({ name: endpoints.name, model: registeredModels.name })
    .from(endpoints)
    .innerJoin(registeredModels, eq(registeredModels.id, endpoints.modelId))
    .where(eq(registeredModels.projectId, o.projectId))
    .orderBy(asc(endpoints.name));
  const out: EndpointHealth[] = [];
  for (const e of eps) {
    const h: EndpointHealth = { endpoint: e.name, model: e.model, version: null, ageDays: null, requests: null, traffic: null, metric: null, drift: null, alerts: { firing: 0, total: 0 }, error: null };
    try {
      const ep = await getEndpoint(db, e.name);
      h.version = ep?.defaultVersion ?? null;
      const v = h.version !== null ? await getVersion(db, e.model, h.version) : null;
      if (v) h.ageDays = (now.getTime() - v.createdAt.getTime()) / DAY;
      const r = await monitoringReport(db, store, { endpoint: e.name, windowMs: o.windowMs, now });
      h.requests = r.requests;
      h.traffic = { requests: r.traffic.requests, errors: r.traffic.errors, errorRate: r.traffic.errorRate };
      h.drift = { share: r.drift.share, drifted: r.drift.drifted, features: r.drift.features.length, driftedFeatures: r.drift.features.filter((f) => f.drifted).map((f) => f.name) };
      h.alerts = { firing: r.alerts.filter((a) => a.state === 'firing').length, total: r.alerts.length };
      const gate = ((v?.gates ?? []) as { expr?: unknown; metric?: unknown }[]).find((g) => typeof g.expr === 'string' && typeof g.metric === 'string') ?? null;
      const regression = ['mape', 'rmse', 'mae', 'r2'].some((k) => k in r.metrics.training || (r.metrics.live && k in r.metrics.live));
      const name = gate ? String(gate.metric) : regression ? 'mape' : 'accuracy';
      const live = r.metrics.live?.[name] ?? null;
      h.metric = {
        name,
        live,
        training: r.metrics.training[name] ?? null,
        labelled: r.metrics.labelled,
        gate: gate ? String(gate.expr) : null,
        passing: gate && live !== null ? evaluateGate(String(gate.expr), { [name]: live }).passed : null,
      };
    } catch (err) {
      h.error = err instanceof Error ? err.message : String(err);
    }
    out.push(h);
  }
  return out;
}
