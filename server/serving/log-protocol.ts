/**
 * The prediction-log contract between serving and the control plane (docs/serving.md, "Prediction
 * log"): the batches serving posts to `POST /api/serving/predictions` and the feedback it
 * forwards to `POST /api/serving/feedback`. Plain zod, no database: serving imports it too.
 */
import { z } from 'zod';

/** Longest prediction id accepted (a client's `X-Request-Id` plus `/N`). */
export const MAX_PREDICTION_ID = 200;
/** Records per batch, and feedback items per request. */
export const MAX_LOG_BATCH = 5000;
/** Largest batch body the control plane reads; serving cuts its batches well under it. */
export const MAX_LOG_BATCH_BYTES = 16 * 1024 * 1024;
/** Unknown ids listed back to a feedback poster (the count is always complete). */
export const UNKNOWN_IDS_SHOWN = 10;

export const predictionIdSchema = z.string().min(1).max(MAX_PREDICTION_ID);

export const recordAnomalySchema = z.object({ code: z.string().min(1).max(64), column: z.string().max(200) });

export const predictionRecordSchema = z.object({
  endpoint: z.string().min(1).max(200),
  id: predictionIdSchema,
  version: z.number().int().positive(),
  /** epoch milliseconds when serving answered */
  time: z.number().int().nonnegative(),
  inputs: z.unknown(),
  outputs: z.unknown(),
  latencyMs: z.number().nonnegative().finite(),
  anomalies: z.array(recordAnomalySchema).max(1000).default([]),
});
export type PredictionRecord = z.input<typeof predictionRecordSchema>;

export const predictionBatchSchema = z.object({ records: z.array(predictionRecordSchema).max(MAX_LOG_BATCH) });

export interface PredictionBatchResult {
  /** records stored now */
  accepted: number;
  /** records whose (endpoint, id) was already stored: a retried batch */
  duplicates: number;
  /** records for endpoints that no longer exist (dropped) */
  unknownEndpoint: number;
}

export const feedbackItemSchema = z.object({ id: predictionIdSchema, actual: z.union([z.number().finite(), z.string().max(1000), z.boolean()]) });
export type FeedbackItem = z.infer<typeof feedbackItemSchema>;

/** The body of a feedback post: `{"feedback": [{"id": …, "actual": …}]}`. */
export const feedbackBodySchema = z.object({ feedback: z.array(feedbackItemSchema).min(1).max(MAX_LOG_BATCH) });

export const feedbackBatchSchema = feedbackBodySchema.extend({ endpoint: z.string().min(1).max(200) });

export interface FeedbackResult {
  /** ids whose actual outcome is now stored */
  accepted: number;
  /** ids with no logged prediction on the endpoint (never made, not sampled, pruned, or not flushed yet) */
  unknown: number;
  /** the first few unknown ids */
  unknownIds: string[];
}

/** Minutes per request-stats post at most (serving sends the minutes not yet acknowledged). */
export const MAX_STATS_BUCKETS = 5000;

/** One endpoint/version/minute of a serving process's request statistics (a whole minute, not a delta). */
export const requestStatsBucketSchema = z.object({
  endpoint: z.string().min(1).max(200),
  /** the model version number; 0 when the request failed before one was chosen */
  version: z.number().int().nonnegative(),
  /** the minute's start, epoch milliseconds (a multiple of 60,000) */
  minute: z.number().int().nonnegative().multipleOf(60_000),
  /** answers by HTTP status */
  codes: z.record(z.string().regex(/^[1-5][0-9][0-9]$/), z.number().int().positive()),
  /** latency in milliseconds: a lib/sketch NumericSketch as JSON (checked when stored) */
  latency: z.unknown(),
});
export type RequestStatsBucket = z.infer<typeof requestStatsBucketSchema>;

/** `POST /api/serving/request-stats`: `{source, buckets}`; `source` is the serving process's id. */
export const requestStatsBatchSchema = z.object({ source: z.string().min(1).max(100), buckets: z.array(requestStatsBucketSchema).max(MAX_STATS_BUCKETS) });

export interface RequestStatsBatchResult {
  /** buckets stored (new or replacing the same minute from the same process) */
  accepted: number;
  /** buckets of endpoints that no longer exist (dropped) */
  unknownEndpoint: number;
}
