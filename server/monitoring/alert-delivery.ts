/**
 * Delivery of alert transitions (the `alert_events` outbox): a JSON POST to the webhook and,
 * with SMTP configured (`KILN_SMTP_URL`, nodemailer), an email to the channel's addresses.
 * Runs apart from evaluation (its own loop), so a slow or failing receiver never delays an
 * evaluation. A due event is claimed by moving its `nextAttemptAt` past the send timeout in one
 * UPDATE (`FOR UPDATE SKIP LOCKED`), so two control planes never send it twice at once; a failed
 * attempt is retried with exponential backoff, and after `maxAttempts` it is marked `failed`
 * with the last reason. A channel that took it already is not sent it again (`sentTo`).
 *
 * The webhook body ({@link AlertPayload}) is documented in docs/monitoring.md.
 */
import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import { createTransport, type Transporter } from 'nodemailer';
import type { Db } from '../db/client';
import { alertEvents, alertRules, endpoints, projects, registeredModels } from '../db/schema';
import { channelOf } from './alert-rules';

/** What a webhook receives (POST, `content-type: application/json`, `x-kiln-alert-id: <id>`). */
export interface AlertPayload {
  kind: 'kiln.alert';
  version: 1;
  /** the transition's id: the same on every retry, so a receiver can drop duplicates */
  id: number;
  endpoint: string;
  model: string;
  project: string | null;
  /** the rule's text, e.g. `stale_model > 60d` */
  rule: string;
  ruleId: string;
  condition: unknown;
  window: string;
  state: 'firing' | 'resolved';
  /** when the state began (ISO 8601) */
  since: string;
  message: string;
  value: number | null;
  /** 1 for the first try */
  attempt: number;
}

export interface DeliveryOptions {
  now?: Date;
  /** `smtp://…` (`KILN_SMTP_URL`); unset: emails are not sent (the webhook still is) */
  smtpUrl?: string;
  emailFrom?: string;
  /** a webhook or SMTP attempt longer than this fails (default 10 s) */
  timeoutMs?: number;
  /** tries before `failed` (default 8) */
  maxAttempts?: number;
  /** first retry after this, doubling each time, at most 10 min (default 5 s) */
  backoffMs?: number;
  /** events per pass (default 20) */
  batch?: number;
  fetch?: typeof fetch;
}

const transports = new Map<string, Transporter>();
function transportFor(url: string, timeoutMs: number): Transporter {
  let t = transports.get(url);
  if (!t) transports.set(url, (t = createTransport(`${url}${url.includes('?') ? '&' : '?'}connectionTimeout=${timeoutMs}&greetingTimeout=${timeoutMs}&socketTimeout=${timeoutMs}`)));
  return t;
}

/** One pass: sends what is due. Returns how many events were sent, retried later and given up on. */
export async function deliverAlerts(db: Db, o: DeliveryOptions = {}): Promise<{ sent: number; retrying: number; failed: number }> {
  const now = o.now ?? new Date();
  const timeoutMs = o.timeoutMs ?? 10_000;
  const maxAttempts = o.maxAttempts ?? 8;
  const backoff = o.backoffMs ?? 5000;
  const due = db
    .select({ id: alertEvents.id })
    .from(alertEvents)
    .where(and(eq(alertEvents.delivery, 'pending'), lte(alertEvents.nextAttemptAt, now)))
    .orderBy(asc(alertEvents.id))
    .limit(o.batch ?? 20)
    .for('update', { skipLocked: true });
  // The claim outlasts one attempt on every channel; a process that dies mid-send leaves it due again.
  const claimed = await db
    .update(alertEvents)
    .set({ nextAttemptAt: new Date(now.getTime() + 3 * timeoutMs), attempts: sql`${alertEvents.attempts} + 1` })
    .where(and(inArray(alertEvents.id, due), eq(alertEvents.delivery, 'pending')))
    .returning();
  const out = { sent: 0, retrying: 0, failed: 0 };
  for (const ev of claimed.sort((a, b) => a.id - b.id)) {
    const [info] = await db
      .select({ rule: alertRules, endpoint: endpoints.name, model: registeredModels.name, project: projects.name })
      .from(alertRules)
      .innerJoin(endpoints, eq(endpoints.id, alertRules.endpointId))
      .innerJoin(registeredModels, eq(registeredModels.id, endpoints.modelId))
      .leftJoin(projects, eq(projects.id, registeredModels.projectId))
      .where(eq(alertRules.id, ev.ruleId));
    const ch = await channelOf(db, ev.endpointId);
    if (!info || !ch || (!ch.webhookUrl && ch.emails.length === 0)) {
      await db.update(alertEvents).set({ delivery: 'none' }).where(eq(alertEvents.id, ev.id));
      continue;
    }
    const payload: AlertPayload = {
      kind: 'kiln.alert',
      version: 1,
      id: ev.id,
      endpoint: info.endpoint,
      model: info.model,
      project: info.project,
      rule: info.rule.expr,
      ruleId: info.rule.id,
      condition: info.rule.condition,
      window: info.rule.window,
      state: ev.state,
      since: ev.at.toISOString(),
      message: ev.message,
      value: ev.value,
      attempt: ev.attempts,
    };
    const sentTo = new Set(ev.sentTo);
    const errors: string[] = [];
    if (ch.webhookUrl && !sentTo.has('webhook')) {
      try {
        await postWebhook(ch.webhookUrl, payload, timeoutMs, o.fetch ?? fetch);
        sentTo.add('webhook');
      } catch (e) {
        errors.push(`webhook: ${(e as Error).message}`);
      }
    }
    if (ch.emails.length > 0 && !sentTo.has('email')) {
      if (!o.smtpUrl) errors.push('email: no SMTP server configured (KILN_SMTP_URL)');
      else {
        try {
          await transportFor(o.smtpUrl, timeoutMs).sendMail({
            from: o.emailFrom ?? 'kiln@localhost',
            to: ch.emails,
            subject: `[kiln] ${payload.state.toUpperCase()} ${payload.endpoint}: ${payload.rule}`,
            text: `${payload.message}\n\nendpoint: ${payload.endpoint} (model ${payload.model}${payload.project ? `, project ${payload.project}` : ''})\nrule: ${payload.rule}\nstate: ${payload.state} since ${payload.since}\n`,
            headers: { 'x-kiln-alert-id': String(payload.id) },
          });
          sentTo.add('email');
        } catch (e) {
          errors.push(`email: ${(e as Error).message}`);
        }
      }
    }
    if (errors.length === 0) {
      await db.update(alertEvents).set({ delivery: 'sent', deliveredAt: new Date(), sentTo: [...sentTo], deliveryError: null }).where(eq(alertEvents.id, ev.id));
      out.sent++;
    } else if (ev.attempts >= maxAttempts) {
      await db.update(alertEvents).set({ delivery: 'failed', sentTo: [...sentTo], deliveryError: errors.join('; ') }).where(eq(alertEvents.id, ev.id));
      out.failed++;
    } else {
      const wait = Math.min(backoff * 2 ** (ev.attempts - 1), 600_000);
      await db.update(alertEvents).set({ nextAttemptAt: new Date(now.getTime() + wait), sentTo: [...sentTo], deliveryError: errors.join('; ') }).where(eq(alertEvents.id, ev.id));
      out.retrying++;
    }
  }
  return out;
}

async function postWebhook(url: string, payload: AlertPayload, timeoutMs: number, f: typeof fetch): Promise<void> {
  let r: Response;
  try {
    r = await f(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'kiln-alerts/1', 'x-kiln-alert-id': String(payload.id) },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Error((e as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause?.code ?? cause?.message ?? (e as Error).message));
  }
  await r.body?.cancel().catch(() => {});
  if (r.status < 200 || r.status >= 300) throw new Error(`HTTP ${r.status}`);
}
