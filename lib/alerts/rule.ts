/**
 * Alert rules of an endpoint: one zod schema (stored as JSON, sent over tRPC) and a one-line
 * text form that the CLI takes and every list shows (`mape > 0.45 over 24h`, `stale_model > 60d`).
 * `formatAlertRule(parseAlertRule(t))` is the canonical text of `t`, so the text is the rule's
 * name in reports, webhooks and Prometheus rules.
 *
 * | text                              | fires when (over the rule's window)                          |
 * |-----------------------------------|--------------------------------------------------------------|
 * | `drift(FEATURE)`                  | the feature's drift verdict is "drifted"                     |
 * | `drift(FEATURE) > 0.2`            | the feature's drift statistic is over 0.2                    |
 * | `drift_share` / `drift_share > 0.3` | the share of drifted features is over its threshold / 0.3  |
 * | `METRIC > X`, `METRIC < X`        | a live metric (mape, rmse, r2, accuracy …) crosses X         |
 * | `METRIC worse_than baseline`      | a live metric is worse than the historical-average baseline  |
 * | `error_rate > 0.05`               | failed requests / requests is over 0.05                      |
 * | `p99_latency > 250ms`             | the 99th percentile of request latency is over 250 ms        |
 * | `stale_model` / `stale_model > 60d` | the served version was created more than N days ago (60) |
 * | `no_traffic` / `no_traffic > 6h`  | no request for N hours (1)                                   |
 * | `anomaly_rate > 0.1`              | the share of predictions with a soft anomaly is over 0.1     |
 *
 * Every rule may end in `over WINDOW` (`30m`, `24h`, `7d`; default `24h`): the window its
 * numbers are computed over (stale_model and no_traffic carry their own span and ignore it).
 */
import { z } from 'zod';
import { KilnError } from '../errors';
import { METRIC_DIRECTION } from '../metrics/direction';

const WINDOW_RE = /^\d{1,8}[smhd]$/;
export const DEFAULT_ALERT_WINDOW = '24h';
export const DEFAULT_STALE_DAYS = 60;
export const DEFAULT_NO_TRAFFIC_HOURS = 1;

/** Live metrics a rule can watch: those with a known direction (lib/metrics/direction). */
export const ALERT_METRICS = Object.keys(METRIC_DIRECTION) as readonly string[];

const window = z.string().regex(WINDOW_RE, 'a duration such as 30m, 24h or 7d').default(DEFAULT_ALERT_WINDOW);
const ratio = z.number().min(0).max(1);

/** What an alert does when it fires. Only `notify` exists now; issue 14 adds `retrain` (server/monitoring/alert-actions.ts). */
export const alertActionSchema = z.enum(['notify']);

/** One rule's condition, by kind. */
export const alertConditionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('feature_drift'), feature: z.string().min(1).max(200), threshold: z.number().min(0).optional() }),
  z.object({ kind: z.literal('drift_share'), threshold: ratio.optional() }),
  z.object({ kind: z.literal('metric'), metric: z.string().regex(/^[a-z0-9_]+$/), op: z.enum(['>', '<']), threshold: z.number() }),
  z.object({ kind: z.literal('metric_vs_baseline'), metric: z.string().regex(/^[a-z0-9_]+$/) }),
  z.object({ kind: z.literal('error_rate'), threshold: ratio }),
  z.object({ kind: z.literal('p99_latency'), thresholdMs: z.number().min(0) }),
  z.object({ kind: z.literal('stale_model'), days: z.number().min(0).max(36_600).default(DEFAULT_STALE_DAYS) }),
  z.object({ kind: z.literal('no_traffic'), hours: z.number().positive().max(8784).default(DEFAULT_NO_TRAFFIC_HOURS) }),
  z.object({ kind: z.literal('anomaly_rate'), threshold: ratio }),
]);
export type AlertCondition = z.infer<typeof alertConditionSchema>;
export type AlertKind = AlertCondition['kind'];

/** A rule as stored and sent: its condition, its window, what firing does. */
export const alertRuleSpecSchema = z.object({
  condition: alertConditionSchema,
  window,
  onFire: z.array(alertActionSchema).min(1).max(4).default(['notify']),
});
export type AlertRuleSpec = z.infer<typeof alertRuleSpecSchema>;

const NUM = String.raw`([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)`;

function bad(text: string, problem: string): KilnError {
  return new KilnError('ALERT_RULE_INVALID', `alert rule ${JSON.stringify(text)}: ${problem}`, { param: 'rule' });
}

const SYNTAX =
  'expected one of: drift(FEATURE) [> X], drift_share [> X], METRIC > X, METRIC < X, METRIC worse_than baseline, error_rate > X, p99_latency > Nms, stale_model [> Nd], no_traffic [> Nh], anomaly_rate > X; optionally ending in "over 24h"';

/**
 * Parses the text form (see the table above).
 * @throws KilnError `ALERT_RULE_INVALID` quoting the text and saying what was expected.
 */
export function parseAlertRule(text: string): AlertRuleSpec {
  let t = text.trim().replace(/\s+/g, ' ');
  let win = DEFAULT_ALERT_WINDOW;
  const over = / over (\S+)$/.exec(t);
  if (over) {
    if (!WINDOW_RE.test(over[1]!)) throw bad(text, `window "${over[1]}": expected a duration such as 30m, 24h or 7d`);
    win = over[1]!;
    t = t.slice(0, over.index);
  }
  const condition = parseCondition(t, text);
  const r = alertRuleSpecSchema.safeParse({ condition, window: win });
  if (!r.success) throw bad(text, r.error.issues[0]!.message);
  return r.data;
}

function parseCondition(t: string, text: string): AlertCondition {
  let m: RegExpExecArray | null;
  if ((m = new RegExp(String.raw`^drift\((.+)\)(?: ?> ?${NUM})?$`).exec(t))) {
    return { kind: 'feature_drift', feature: m[1]!.trim(), ...(m[2] !== undefined ? { threshold: Number(m[2]) } : {}) };
  }
  if ((m = new RegExp(String.raw`^drift_share(?: ?> ?${NUM})?$`).exec(t))) return { kind: 'drift_share', ...(m[1] !== undefined ? { threshold: ratioOf(m[1], text) } : {}) };
  if ((m = new RegExp(String.raw`^error_rate ?> ?${NUM}$`).exec(t))) return { kind: 'error_rate', threshold: ratioOf(m[1]!, text) };
  if ((m = new RegExp(String.raw`^anomaly_rate ?> ?${NUM}$`).exec(t))) return { kind: 'anomaly_rate', threshold: ratioOf(m[1]!, text) };
  if ((m = new RegExp(String.raw`^p99_latency ?> ?${NUM} ?(ms|s)$`).exec(t))) return { kind: 'p99_latency', thresholdMs: Number(m[1]) * (m[2] === 's' ? 1000 : 1) };
  if ((m = new RegExp(String.raw`^stale_model(?: ?> ?${NUM}d)?$`).exec(t))) return { kind: 'stale_model', days: m[1] !== undefined ? Number(m[1]) : DEFAULT_STALE_DAYS };
  if ((m = new RegExp(String.raw`^no_traffic(?: ?> ?${NUM}h)?$`).exec(t))) return { kind: 'no_traffic', hours: m[1] !== undefined ? Number(m[1]) : DEFAULT_NO_TRAFFIC_HOURS };
  if ((m = /^([a-z0-9_]+) worse_than baseline$/.exec(t))) return { kind: 'metric_vs_baseline', metric: metricOf(m[1]!, text) };
  if ((m = new RegExp(String.raw`^([a-z0-9_]+) ?([<>]) ?${NUM}$`).exec(t))) return { kind: 'metric', metric: metricOf(m[1]!, text), op: m[2] as '<' | '>', threshold: Number(m[3]) };
  throw bad(text, SYNTAX);
}

function ratioOf(x: string, text: string): number {
  const n = Number(x);
  if (!(n >= 0 && n <= 1)) throw bad(text, `${x} is not a share from 0 to 1`);
  return n;
}

function metricOf(name: string, text: string): string {
  if (!ALERT_METRICS.includes(name)) throw bad(text, `unknown metric "${name}" (known: ${ALERT_METRICS.join(', ')}; or ${SYNTAX})`);
  return name;
}

/** The canonical text of a condition (no window). */
export function formatCondition(c: AlertCondition): string {
  switch (c.kind) {
    case 'feature_drift':
      return `drift(${c.feature})${c.threshold !== undefined ? ` > ${c.threshold}` : ''}`;
    case 'drift_share':
      return `drift_share${c.threshold !== undefined ? ` > ${c.threshold}` : ''}`;
    case 'metric':
      return `${c.metric} ${c.op} ${c.threshold}`;
    case 'metric_vs_baseline':
      return `${c.metric} worse_than baseline`;
    case 'error_rate':
      return `error_rate > ${c.threshold}`;
    case 'p99_latency':
      return `p99_latency > ${c.thresholdMs}ms`;
    case 'stale_model':
      return `stale_model > ${c.days}d`;
    case 'no_traffic':
      return `no_traffic > ${c.hours}h`;
    case 'anomaly_rate':
      return `anomaly_rate > ${c.threshold}`;
  }
}

/** Whether the window matters to this kind (stale_model and no_traffic carry their own span). */
export function usesWindow(c: AlertCondition): boolean {
  return c.kind !== 'stale_model' && c.kind !== 'no_traffic';
}

/** The canonical text of a rule: the condition, then ` over WINDOW` where the window matters. */
export function formatAlertRule(r: AlertRuleSpec): string {
  return usesWindow(r.condition) ? `${formatCondition(r.condition)} over ${r.window}` : formatCondition(r.condition);
}
