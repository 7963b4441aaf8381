/**
 * Monitoring for the studio and `kiln monitor`: an endpoint's report over a window (live
 * metrics from feedback, drift against the training data or an earlier window, anomalies).
 */
import { z } from 'zod';
import { feedbackBodySchema } from '../serving/log-protocol';
import { recordFeedback } from '../monitoring/prediction-log';
import { monitoringReport } from '../monitoring/report';
import { parseWindow } from '../monitoring/window';
import { requestSeries } from '../monitoring/request-stats';
import { access, on, procedure, router } from './trpc';

export const monitoringRouter = router({
  /** `window` like `24h` (default) ending `until` (default now); `reference` `training` (default) or a window length such as `7d` (the span just before `window`). */
  report: procedure(access.need('READ', on.endpoint()))
    .input(z.object({ name: z.string().min(1).max(64), window: z.string().max(20).default('24h'), reference: z.string().max(20).default('training'), until: z.iso.datetime({ offset: true }).optional() }))
    .query(({ ctx, input }) => {
      const windowMs = parseWindow(input.window, 'window');
      const reference = input.reference === 'training' ? 'training' : { windowMs: parseWindow(input.reference, 'reference') };
      return monitoringReport(ctx.db, ctx.store, { endpoint: input.name, windowMs, reference, ...(input.until ? { now: new Date(input.until) } : {}) });
    }),
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
    .input(feedbackBodySchema.extend({ name: z.string().min(1).max(64) }))
    .mutation(({ ctx, input }) => recordFeedback(ctx.db, input.name, input.feedback)),
});
