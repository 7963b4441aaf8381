/**
 * What a rule's transitions do: the rule's `onFire` names actions from {@link ALERT_ACTIONS}.
 * `notify` is the one there is: it queues the transition (firing, and resolved again) for
 * delivery to the endpoint's webhook and emails (./alert-delivery.ts).
 *
 * The extension point for "an alert can trigger retraining" (issue 14): add `retrain` to
 * lib/alerts/rule.ts' `alertActionSchema` and an entry here whose `run` submits the endpoint's
 * training graph on a `firing` transition (claimed once through the transition's event id, which
 * is unique). Nothing else changes: the evaluator calls every action the rule names.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { alertEvents, type AlertEvent, type AlertRule } from '../db/schema';
import { channelOf } from './alert-rules';

export interface ActionContext {
  rule: AlertRule;
  endpoint: { id: string; name: string; model: string };
  /** the transition (its `state` is `firing` or `resolved`) */
  event: AlertEvent;
  log: (line: string) => void;
}

export interface AlertAction {
  /** shown in docs and errors */
  describe: string;
  run(db: Db, ctx: ActionContext): Promise<void>;
}

export const ALERT_ACTIONS: Record<string, AlertAction> = {
  notify: {
    describe: 'POST the transition to the webhook and email it (the endpoint\'s channel, else its project\'s)',
    async run(db, ctx) {
      const ch = await channelOf(db, ctx.endpoint.id);
      // Left `pending`, the delivery worker sends it; with nowhere to send, it is marked so.
      if (!ch || (!ch.webhookUrl && ch.emails.length === 0)) await db.update(alertEvents).set({ delivery: 'none' }).where(eq(alertEvents.id, ctx.event.id));
    },
  },
};

/** Runs the rule's actions for a transition; an unknown or failing action is logged, never thrown. */
export async function runOnFireActions(db: Db, ctx: ActionContext): Promise<void> {
  if (!ctx.rule.onFire.includes('notify')) await db.update(alertEvents).set({ delivery: 'none' }).where(eq(alertEvents.id, ctx.event.id));
  for (const name of ctx.rule.onFire) {
    const action = ALERT_ACTIONS[name];
    if (!action) {
      ctx.log(`kiln server: alert "${ctx.rule.expr}" of ${ctx.endpoint.name}: unknown action "${name}"`);
      continue;
    }
    try {
      await action.run(db, ctx);
    } catch (e) {
      ctx.log(`kiln server: alert "${ctx.rule.expr}" of ${ctx.endpoint.name}: action ${name}: ${((e as Error).message ?? String(e)).split('\n')[0]}`);
    }
  }
}
