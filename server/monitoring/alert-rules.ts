/**
 * Alert rules of endpoints (lib/alerts/rule.ts) in the database, where their alerts go
 * (webhook, emails; per endpoint, else per project), and the read side the studio and the CLI
 * show: each rule with its state, an endpoint's transition history, a project's alerts.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray } from 'drizzle-orm';
import { KilnError } from '../../lib/errors';
import { alertRuleSpecSchema, formatAlertRule, parseAlertRule, type AlertCondition, type AlertRuleSpec } from '../../lib/alerts/rule';
import type { Db } from '../db/client';
import { alertChannels, alertEvents, alertRules, alertStates, endpoints, registeredModels } from '../db/schema';

/** A rule with its state, as `monitoring.alertRules`, `monitoring.report` and `kiln monitor` show it. */
export interface AlertView {
  id: string;
  endpoint: string;
  /** the rule's canonical text, e.g. `mape > 0.45 over 24h` */
  rule: string;
  kind: AlertCondition['kind'];
  condition: AlertCondition;
  window: string;
  onFire: string[];
  /** `pending`: not evaluated yet */
  state: 'firing' | 'resolved' | 'pending';
  /** when the state began (ISO 8601); the rule's creation while pending */
  since: string;
  message: string;
  /** the observed value at the last evaluation (days for stale_model, hours for no_traffic, ms for p99_latency) */
  value: number | null;
  evaluatedAt: string | null;
  /** why the last evaluation could not be made, if it could not */
  error: string | null;
}

/** One transition (history), as `monitoring.alertHistory` lists it. */
export interface AlertEventView {
  id: number;
  endpoint: string;
  rule: string;
  state: 'firing' | 'resolved';
  at: string;
  message: string;
  value: number | null;
  /** notification: pending (being tried), sent, failed (gave up), none (nowhere to send) */
  delivery: 'pending' | 'sent' | 'failed' | 'none';
  attempts: number;
  deliveryError: string | null;
}

async function endpointRow(db: Db, name: string): Promise<{ id: string; name: string; projectId: string | null }> {
  const [ep] = await db
    .select({ id: endpoints.id, name: endpoints.name, projectId: registeredModels.projectId })
    .from(endpoints)
    .innerJoin(registeredModels, eq(registeredModels.id, endpoints.modelId))
    .where(eq(endpoints.name, name));
  if (!ep) throw new KilnError('ENDPOINT_NOT_FOUND', `no endpoint "${name}"`, { param: 'endpoint' });
  return ep;
}

/**
 * A rule from its text (`mape > 0.45 over 24h`) or its JSON spec.
 * @throws KilnError `ALERT_RULE_INVALID` naming the rule and the problem.
 */
export function ruleSpecOf(input: string | unknown): AlertRuleSpec {
  if (typeof input === 'string') return parseAlertRule(input);
  const r = alertRuleSpecSchema.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new KilnError('ALERT_RULE_INVALID', `alert rule at ${i.path.join('.') || 'rule'}: ${i.message}`, { param: 'rule', path: i.path.join('.') });
  }
  return r.data;
}

/**
 * Adds a rule to an endpoint; it is evaluated on the next pass.
 * @throws KilnError `ENDPOINT_NOT_FOUND`, `ALERT_RULE_INVALID`, `CONFLICT` (the same rule is there already).
 */
export async function addAlertRule(db: Db, endpointName: string, spec: AlertRuleSpec, actor: string | null): Promise<AlertView> {
  const ep = await endpointRow(db, endpointName);
  const expr = formatAlertRule(spec);
  const [row] = await db
    .insert(alertRules)
    .values({ id: randomUUID(), endpointId: ep.id, expr, condition: spec.condition, window: spec.window, onFire: spec.onFire, createdBy: actor })
    .onConflictDoNothing()
    .returning();
  if (!row) throw new KilnError('CONFLICT', `endpoint "${endpointName}" already has the rule "${expr}"`, { param: 'rule' });
  return (await listAlertRules(db, endpointName)).find((r) => r.id === row.id)!;
}

/**
 * Removes a rule (by id or by its text) with its state and history.
 * @throws KilnError `ENDPOINT_NOT_FOUND`, `NOT_FOUND` naming the rule.
 */
export async function removeAlertRule(db: Db, endpointName: string, rule: string): Promise<{ removed: string }> {
  const ep = await endpointRow(db, endpointName);
  let expr = rule;
  try {
    expr = formatAlertRule(parseAlertRule(rule));
  } catch {
    // not rule text: an id
  }
  const rows = await db.select({ id: alertRules.id, expr: alertRules.expr }).from(alertRules).where(eq(alertRules.endpointId, ep.id));
  const hit = rows.find((r) => r.id === rule || r.expr === expr);
  if (!hit) throw new KilnError('NOT_FOUND', `endpoint "${endpointName}" has no alert rule "${rule}" (rules: ${rows.map((r) => r.expr).join('; ') || 'none'})`, { param: 'rule' });
  await db.delete(alertRules).where(eq(alertRules.id, hit.id));
  return { removed: hit.expr };
}

type RuleRow = typeof alertRules.$inferSelect;
type StateRow = typeof alertStates.$inferSelect;

function view(endpoint: string, r: RuleRow, s: StateRow | undefined): AlertView {
  const condition = r.condition as AlertCondition;
  return {
    id: r.id,
    endpoint,
    rule: r.expr,
    kind: condition.kind,
    condition,
    window: r.window,
    onFire: r.onFire,
    state: s?.state ?? 'pending',
    since: (s?.since ?? r.createdAt).toISOString(),
    message: s?.message ?? 'not evaluated yet',
    value: s?.value ?? null,
    evaluatedAt: s?.evaluatedAt.toISOString() ?? null,
    error: s?.error ?? null,
  };
}

/** Every rule (with its state) of these endpoints. */
export async function viewsOf(db: Db, eps: { id: string; name: string }[]): Promise<AlertView[]> {
  if (eps.length === 0) return [];
  const names = new Map(eps.map((e) => [e.id, e.name]));
  const rows = await db
    .select({ rule: alertRules, state: alertStates })
    .from(alertRules)
    .leftJoin(alertStates, eq(alertStates.ruleId, alertRules.id))
    .where(inArray(alertRules.endpointId, [...names.keys()]))
    .orderBy(alertRules.createdAt, alertRules.expr);
  return rows.map((x) => view(names.get(x.rule.endpointId)!, x.rule, x.state ?? undefined));
}

/** Every rule of an endpoint with its state, oldest rule first. @throws KilnError `ENDPOINT_NOT_FOUND` */
export async function listAlertRules(db: Db, endpointName: string): Promise<AlertView[]> {
  const ep = await endpointRow(db, endpointName);
  return viewsOf(db, [ep]);
}

/** Every rule of every endpoint whose model belongs to the project, firing ones first. */
export async function projectAlerts(db: Db, projectId: string): Promise<AlertView[]> {
  const eps = await db
    .select({ id: endpoints.id, name: endpoints.name })
    .from(endpoints)
    .innerJoin(registeredModels, eq(registeredModels.id, endpoints.modelId))
    .where(eq(registeredModels.projectId, projectId));
  const all = await viewsOf(db, eps);
  const rank = { firing: 0, pending: 1, resolved: 2 } as const;
  return all.sort((a, b) => rank[a.state] - rank[b.state] || a.endpoint.localeCompare(b.endpoint) || a.rule.localeCompare(b.rule));
}

/** An endpoint's transitions, newest first (at most `limit`). @throws KilnError `ENDPOINT_NOT_FOUND` */
export async function alertHistory(db: Db, endpointName: string, limit = 100): Promise<AlertEventView[]> {
  const ep = await endpointRow(db, endpointName);
  const rows = await db
    .select({ e: alertEvents, expr: alertRules.expr })
    .from(alertEvents)
    .innerJoin(alertRules, eq(alertRules.id, alertEvents.ruleId))
    .where(eq(alertEvents.endpointId, ep.id))
    .orderBy(desc(alertEvents.at), desc(alertEvents.id))
    .limit(limit);
  return rows.map(({ e, expr }) => ({
    id: e.id,
    endpoint: ep.name,
    rule: expr,
    state: e.state,
    at: e.at.toISOString(),
    message: e.message,
    value: e.value,
    delivery: e.delivery,
    attempts: e.attempts,
    deliveryError: e.deliveryError,
  }));
}

export interface AlertChannel {
  webhookUrl: string | null;
  emails: string[];
}

/**
 * Where alerts go: for an endpoint (`{ endpoint }`) or for every endpoint of a project without
 * its own (`{ projectId }`). A null webhook and no emails clears it.
 * @throws KilnError `ENDPOINT_NOT_FOUND`, `BAD_REQUEST` for a webhook that is not http(s).
 */
export async function setAlertChannel(db: Db, where: { endpoint: string } | { projectId: string }, ch: AlertChannel): Promise<AlertChannel> {
  if (ch.webhookUrl !== null) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(ch.webhookUrl).protocol);
    } catch {
      ok = false;
    }
    if (!ok) throw new KilnError('BAD_REQUEST', `webhook: expected an http:// or https:// URL, got ${JSON.stringify(ch.webhookUrl.slice(0, 100))}`, { param: 'webhook' });
  }
  const key = 'endpoint' in where ? { scope: 'endpoint' as const, scopeId: (await endpointRow(db, where.endpoint)).id } : { scope: 'project' as const, scopeId: where.projectId };
  const emails = [...new Set(ch.emails)];
  if (ch.webhookUrl === null && emails.length === 0) {
    await db.delete(alertChannels).where(and(eq(alertChannels.scope, key.scope), eq(alertChannels.scopeId, key.scopeId)));
  } else {
    await db
      .insert(alertChannels)
      .values({ ...key, webhookUrl: ch.webhookUrl, emails })
      .onConflictDoUpdate({ target: [alertChannels.scope, alertChannels.scopeId], set: { webhookUrl: ch.webhookUrl, emails, updatedAt: new Date() } });
  }
  return { webhookUrl: ch.webhookUrl, emails };
}

/** The channel alerts of this endpoint go to: its own, else its project's, else none. */
export async function channelOf(db: Db, endpointId: string): Promise<AlertChannel | null> {
  const [own] = await db.select().from(alertChannels).where(and(eq(alertChannels.scope, 'endpoint'), eq(alertChannels.scopeId, endpointId)));
  if (own) return { webhookUrl: own.webhookUrl, emails: own.emails };
  const [ep] = await db.select({ projectId: registeredModels.projectId }).from(endpoints).innerJoin(registeredModels, eq(registeredModels.id, endpoints.modelId)).where(eq(endpoints.id, endpointId));
  if (!ep?.projectId) return null;
  const [proj] = await db.select().from(alertChannels).where(and(eq(alertChannels.scope, 'project'), eq(alertChannels.scopeId, ep.projectId)));
  return proj ? { webhookUrl: proj.webhookUrl, emails: proj.emails } : null;
}

/** The channel set on an endpoint itself (null: none; its project's applies). */
export async function endpointChannel(db: Db, endpointName: string): Promise<AlertChannel | null> {
  const ep = await endpointRow(db, endpointName);
  const [own] = await db.select().from(alertChannels).where(and(eq(alertChannels.scope, 'endpoint'), eq(alertChannels.scopeId, ep.id)));
  return own ? { webhookUrl: own.webhookUrl, emails: own.emails } : null;
}
