/**
 * Monitoring for the studio and `kiln monitor`: an endpoint's report over a window (live
 * metrics from feedback, drift against the training data or an earlier window, anomalies,
 * alerts), its alert rules, their history, and where alerts are delivered.
 *
 * Shapes for the studio (server/monitoring/alert-rules.ts):
 * - `AlertView` `{ id, endpoint, rule, kind, condition, window, onFire, state: 'firing'|'resolved'|'pending', since, message, value, evaluatedAt, error }`
 * - `AlertEventView` `{ id, endpoint, rule, state: 'firing'|'resolved', at, message, value, delivery: 'pending'|'sent'|'failed'|'none', attempts, deliveryError }`
 */
import { z } from 'zod';
import { projectNameSchema } from '../http/lookup';
import { feedbackBodySchema } from '../serving/log-protocol';
import { addAlertRule, alertHistory, endpointChannel, listAlertRules, projectAlerts, removeAlertRule, ruleSpecOf, setAlertChannel } from '../monitoring/alert-rules';
import { recordFeedback } from '../monitoring/prediction-log';
import { monitoringReport } from '../monitoring/report';
import { parseWindow } from '../monitoring/window';
import { monitoringSeries } from '../monitoring/series';
import { LOG_PAGE_MAX, logCursorSchema, predictionLogPage } from '../monitoring/log-page';
import { featureHistogram } from '../monitoring/feature-histogram';
import { projectHealth } from '../monitoring/overview';
import { projectRefSchema } from './graphs';
import { requestSeries } from '../monitoring/request-stats';
import { access, on, procedure, router } from './trpc';

const nameSchema = z.string().min(1).max(64);
const windowSchema = z.string().max(20).default('24h');
const referenceOf = (text: string) => (text === 'training' ? ('training' as const) : { windowMs: parseWindow(text, 'reference') });
const channelSchema = z.object({ webhook: z.string().max(2000).nullable(), emails: z.array(z.email().max(320)).max(50).default([]) });
/** `monitoring.alerts({ project })`: the project by name. */
const projectByName = { ...on.project(), key: (input: unknown) => ({ projectId: undefined, projectName: (input as { project?: unknown } | undefined)?.project }) };

export const monitoringRouter = router({
  /** `window` like `24h` (default) ending `until` (default now); `reference` `training` (default) or a window length such as `7d` (the span just before `window`). */
  report: procedure(access.need('READ', on.endpoint()))
    .input(z.object({ name: nameSchema, window: z.string().max(20).default('24h'), reference: z.string().max(20).default('training'), until: z.iso.datetime({ offset: true }).optional() }))
    .query(({ ctx, input }) => {
      const windowMs = parseWindow(input.window, 'window');
      const reference = input.reference === 'training' ? 'training' : { windowMs: parseWindow(input.reference, 'reference') };
      return monitoringReport(ctx.db, ctx.store, { endpoint: input.name, windowMs, reference, ...(input.until ? { now: new Date(input.until) } : {}) });
    }),
  /** The log bucket by bucket (`bucket` minute/hour/day, or `auto`: 24 to 96 points): requests, latency p50/p95/p99, anomalies by code, live metrics and baseline from feedback. */
  series: procedure(access.need('READ', on.endpoint()))
    .input(z.object({ name: nameSchema, window: windowSchema, bucket: z.enum(['minute', 'hour', 'day', 'auto']).default('auto'), until: z.iso.datetime({ offset: true }).optional() }))
    .query(({ ctx, input }) =>
      monitoringSeries(ctx.db, ctx.store, { endpoint: input.name, windowMs: parseWindow(input.window, 'window'), bucket: input.bucket, ...(input.until ? { now: new Date(input.until) } : {}) }),
    ),
  /** The prediction log, newest first: `limit` rows from `cursor` (the previous page's `next`), filtered by time range, version and anomaly code (`any`: any anomaly). */
  log: procedure(access.need('READ', on.endpoint()))
    .input(
      z.object({
        name: nameSchema,
        start: z.iso.datetime({ offset: true }).optional(),
        end: z.iso.datetime({ offset: true }).optional(),
        version: z.number().int().min(1).optional(),
        anomaly: z.string().min(1).max(64).optional(),
        cursor: logCursorSchema.optional(),
        limit: z.number().int().min(1).max(LOG_PAGE_MAX).default(100),
      }),
    )
    .query(({ ctx, input }) =>
      predictionLogPage(ctx.db, {
        endpoint: input.name,
        ...(input.start ? { start: new Date(input.start) } : {}),
        ...(input.end ? { end: new Date(input.end) } : {}),
        ...(input.version !== undefined ? { version: input.version } : {}),
        ...(input.anomaly ? { anomaly: input.anomaly } : {}),
        ...(input.cursor ? { cursor: input.cursor } : {}),
        limit: input.limit,
      }),
    ),
  /** One input's histogram in the window beside its reference (training, or a window length such as `7d` just before). */
  histogram: procedure(access.need('READ', on.endpoint()))
    .input(z.object({ name: nameSchema, feature: z.string().min(1).max(200), window: windowSchema, reference: z.string().max(20).default('training'), bins: z.number().int().min(1).max(100).default(20), until: z.iso.datetime({ offset: true }).optional() }))
    .query(({ ctx, input }) =>
      featureHistogram(ctx.db, ctx.store, {
        endpoint: input.name,
        feature: input.feature,
        windowMs: parseWindow(input.window, 'window'),
        reference: referenceOf(input.reference),
        bins: input.bins,
        ...(input.until ? { now: new Date(input.until) } : {}),
      }),
    ),
  /** Every endpoint of the project at a glance over a short window (default 24h): traffic, watched metric vs gate, drift share, model age, firing alerts. */
  overview: procedure(access.need('READ', on.project()))
    .input(projectRefSchema.extend({ window: windowSchema }))
    .query(({ ctx, input }) => projectHealth(ctx.db, ctx.store, { projectId: ctx.grant.projects[0]!.id, windowMs: parseWindow(input.window, 'window') })),
  /**
   * Every answer of the endpoint over `window` ending `until` (default now), in buckets of `bucket`
   * (`1m`, `1h`, `1d`…; default the whole window): requests, errors, error rate, status codes and
   * latency percentiles, per bucket, per version and in total (serving's request statistics).
   */
  requests: procedure(access.need('READ', on.endpoint()))
    .input(z.object({ name: z.string().min(1).max(64), window: z.string().max(20).default('24h'), bucket: z.string().max(20).optional(), until: z.iso.datetime({ offset: true }).optional() }))
    .query(({ ctx, input }) => {
      const end = input.until ? new Date(input.until) : new Date();
      const start = new Date(end.getTime() - parseWindow(input.window, 'window'));
      return requestSeries(ctx.db, input.name, { start, end, ...(input.bucket ? { bucketMs: parseWindow(input.bucket, 'bucket') } : {}) });
    }),
  /** Actual outcomes for logged prediction ids (`kiln feedback`); unknown ids are counted and the first few listed. */
  feedback: procedure(access.need('EDIT', on.endpoint()))
    .input(feedbackBodySchema.extend({ name: nameSchema }))
    .mutation(({ ctx, input }) => recordFeedback(ctx.db, input.name, input.feedback)),

  /** The endpoint's alert rules with their state (`AlertView[]`, oldest rule first). */
  alertRules: procedure(access.need('READ', on.endpoint()))
    .input(z.object({ name: nameSchema }))
    .query(({ ctx, input }) => listAlertRules(ctx.db, input.name)),
  /**
   * Adds a rule: `rule` is its text (`mape > 0.45 over 24h`, `stale_model > 60d`; docs/monitoring.md)
   * or its JSON `{ condition, window?, onFire? }`. Answers the new `AlertView` (state `pending`).
   */
  addAlertRule: procedure(access.need('EDIT', on.endpoint()))
    .input(z.object({ name: nameSchema, rule: z.union([z.string().min(1).max(500), z.record(z.string(), z.unknown())]) }))
    .mutation(({ ctx, input }) => addAlertRule(ctx.db, input.name, ruleSpecOf(input.rule), ctx.user.email)),
  /** Removes a rule (by id or text) with its state and history: `{ removed: RULE_TEXT }`. */
  removeAlertRule: procedure(access.need('EDIT', on.endpoint()))
    .input(z.object({ name: nameSchema, rule: z.string().min(1).max(500) }))
    .mutation(({ ctx, input }) => removeAlertRule(ctx.db, input.name, input.rule)),
  /** The endpoint's transitions, newest first (`AlertEventView[]`). */
  alertHistory: procedure(access.need('READ', on.endpoint()))
    .input(z.object({ name: nameSchema, limit: z.number().int().min(1).max(1000).default(100) }))
    .query(({ ctx, input }) => alertHistory(ctx.db, input.name, input.limit)),
  /** Every alert rule of the project's endpoints with its state (`AlertView[]`), firing first. */
  alerts: procedure(access.need('READ', projectByName))
    .input(z.object({ project: projectNameSchema }))
    .query(({ ctx, input }) => projectAlerts(ctx.db, ctx.grant.projects.find((p) => p.name === input.project)!.id)),
  /** Where the endpoint's own alerts go (`null`: its project's channel applies). */
  alertChannel: procedure(access.need('READ', on.endpoint()))
    .input(z.object({ name: nameSchema }))
    .query(async ({ ctx, input }) => endpointChannel(ctx.db, input.name)),
  /** Sets the endpoint's webhook (an http(s) URL; null: none) and emails; both empty clears it. */
  setAlertChannel: procedure(access.need('EDIT', on.endpoint()))
    .input(channelSchema.extend({ name: nameSchema }))
    .mutation(({ ctx, input }) => setAlertChannel(ctx.db, { endpoint: input.name }, { webhookUrl: input.webhook, emails: input.emails })),
  /** The project's channel: used by its endpoints that have none of their own. */
  setProjectAlertChannel: procedure(access.need('EDIT', projectByName))
    .input(channelSchema.extend({ project: projectNameSchema }))
    .mutation(({ ctx, input }) => setAlertChannel(ctx.db, { projectId: ctx.grant.projects.find((p) => p.name === input.project)!.id }, { webhookUrl: input.webhook, emails: input.emails })),
});
