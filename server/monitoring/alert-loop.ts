/**
 * The control plane's alert timers: evaluation (and the monitoring snapshot) every
 * `KILN_ALERT_INTERVAL_SECONDS`, delivery of queued transitions every second. Each runs one pass
 * at a time, apart from the other, so a slow webhook never delays an evaluation; a failing pass
 * is logged and the next one runs as usual.
 */
import type { Db } from '../db/client';
import type { ArtifactStore } from '../storage/types';
import { deliverAlerts, type DeliveryOptions } from './alert-delivery';
import { evaluateAlerts, refreshSnapshots } from './alerts';

export interface AlertLoopOptions {
  db: Db;
  store: ArtifactStore;
  /** evaluation interval; 0 turns evaluation and delivery off */
  intervalMs: number;
  /** delivery pass interval (default 1 s) */
  deliveryEveryMs?: number;
  delivery?: Omit<DeliveryOptions, 'now'>;
  log: (line: string) => void;
}

export interface AlertLoop {
  /** Stops both timers and waits for passes in flight. */
  stop(): Promise<void>;
}

function oneAtATime(what: string, f: () => Promise<unknown>, log: (line: string) => void) {
  let running: Promise<unknown> | undefined;
  return {
    kick() {
      if (running) return;
      running = f()
        .catch((e: unknown) => log(`kiln server: ${what}: ${((e as Error).message ?? String(e)).split('\n')[0]}`))
        .finally(() => {
          running = undefined;
        });
    },
    idle: () => running ?? Promise.resolve(),
  };
}

export function startAlertLoop(o: AlertLoopOptions): AlertLoop {
  if (o.intervalMs <= 0) return { stop: async () => {} };
  const evaluation = oneAtATime(
    'alert evaluation',
    async () => {
      const r = await evaluateAlerts(o.db, o.store, { intervalMs: o.intervalMs, log: o.log });
      for (const t of r.transitions) o.log(`kiln server: alert ${t.state.toUpperCase()}: ${t.endpoint}: ${t.rule}: ${t.message}`);
      await refreshSnapshots(o.db, o.store, { intervalMs: o.intervalMs, log: o.log });
    },
    o.log,
  );
  const delivery = oneAtATime(
    'alert delivery',
    async () => {
      const r = await deliverAlerts(o.db, o.delivery);
      if (r.failed) o.log(`kiln server: gave up delivering ${r.failed} alert notification${r.failed === 1 ? '' : 's'} (see monitoring.alertHistory)`);
    },
    o.log,
  );
  const t1 = setInterval(() => evaluation.kick(), o.intervalMs);
  const t2 = setInterval(() => delivery.kick(), o.deliveryEveryMs ?? 1000);
  t1.unref();
  t2.unref();
  evaluation.kick();
  return {
    async stop() {
      clearInterval(t1);
      clearInterval(t2);
      await Promise.all([evaluation.idle(), delivery.idle()]);
    },
  };
}
