/**
 * Opening everything the API needs in one place: the database (PGlite or PostgreSQL), the
 * artifact store (local or S3), the configuration, and the reaper (server/jobs/maintenance): runs
 * of dead runners back in the queue, registrations of dead processes resumed, stored packages
 * re-verified, temp files of killed uploads swept.
 */
import { resolve } from 'node:path';
import { openAuth, type AuthRuntime } from '../auth';
import { openDb, type KilnDb } from '../db/client';
import type { DataDirLock } from '../db/data-dir-lock';
import { createMaintenance } from '../jobs/maintenance';
import { startAlertLoop, type AlertLoop } from '../monitoring/alert-loop';
import { getConfig, type KilnConfig } from '../config';
import { openStore } from '../storage';
import type { ArtifactStore } from '../storage/types';
import { cappedLog } from '../../lib/log-line';
import { apiConfig, type ApiConfig } from './config';
import { createApi, type Api } from './router';

export interface ApiRuntime {
  api: Api;
  db: KilnDb;
  store: ArtifactStore;
  config: ApiConfig;
  dataDir: string;
  /** sign-in, sessions and the authenticator */
  auth: AuthRuntime;
  /** Stops the reaper and closes the database. */
  close(): Promise<void>;
}

export interface OpenRuntimeOptions {
  /** the settings (default: this process's, server/config) */
  config?: KilnConfig;
  /** default the settings' `KILN_DATA_DIR` (`--data-dir` wins) */
  dataDir?: string;
  /** default the settings' `DATABASE_URL` (unset: PGlite under `<dataDir>/db`) */
  databaseUrl?: string;
  /** base URL of endpoint snippets (default `KILN_SERVING_URL` or http://127.0.0.1:8501) */
  servingUrl?: string;
  /** how often the reaper runs (default 1000 ms; 0 disables it and the start-up recovery) */
  reapIntervalMs?: number;
  /** how often each READY version's stored package is re-hashed at most (default 10 min) */
  integrityIntervalMs?: number;
  /** how often alert rules are evaluated (default `KILN_ALERT_INTERVAL_SECONDS`; 0: never, as when the reaper is off) */
  alertIntervalMs?: number;
  log?: (message: string) => void;
  /** PGlite: the data directory's lock, when the caller took it already (server/main.ts) */
  lock?: DataDirLock;
}

/** Opens the database (running migrations), the store, and starts the lease reaper. */
export async function openApiRuntime(o: OpenRuntimeOptions = {}): Promise<ApiRuntime> {
  const settings = o.config ?? getConfig();
  // The data dir is chosen at run time; tell Next's tracer not to bundle the whole project for it.
  const dataDir = resolve(/*turbopackIgnore: true*/ o.dataDir ?? settings.dataDir);
  const databaseUrl = o.databaseUrl ?? settings.databaseUrl;
  const config = apiConfig(settings, o.servingUrl);
  const db = await openDb({ ...(databaseUrl ? { databaseUrl } : {}), dataDir, ...(o.lock ? { lock: o.lock } : {}) });
  const store = openStore(dataDir, settings.s3);
  const log = cappedLog(o.log ?? ((m: string) => console.error(m)));
  const authRuntime = await openAuth(db.db, settings.auth, log);
  const api = createApi({ db: db.db, store, config, log, ...authRuntime });

  const interval = o.reapIntervalMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  let reaping: Promise<unknown> | undefined;
  if (interval > 0) {
    const maintenance = createMaintenance({
      db: db.db,
      kind: db.kind,
      store,
      lease: { seconds: config.leaseSeconds, heartbeatSeconds: config.heartbeatSeconds },
      serveability: { budgetMs: config.serveabilityBudgetMs },
      tempMaxAgeMs: settings.tempMaxAgeSeconds * 1000,
      ...(o.integrityIntervalMs !== undefined ? { integrityIntervalMs: o.integrityIntervalMs } : {}),
      log,
    });
    // Start-up recovery runs in the background; ticks wait for it (one pass at a time).
    reaping = maintenance.startup().finally(() => {
      reaping = undefined;
    });
    timer = setInterval(() => {
      // One pass at a time: a slow database must not pile up overlapping sweeps.
      if (reaping) return;
      reaping = maintenance.tick().finally(() => {
        reaping = undefined;
      });
    }, interval);
    timer.unref();
  }
  const alertIntervalMs = interval > 0 ? (o.alertIntervalMs ?? settings.alerts.intervalSeconds * 1000) : 0;
  const alerts: AlertLoop = startAlertLoop({
    db: db.db,
    store,
    intervalMs: alertIntervalMs,
    delivery: { ...(settings.alerts.smtpUrl ? { smtpUrl: settings.alerts.smtpUrl } : {}), emailFrom: settings.alerts.emailFrom },
    log,
  });

  return {
    api,
    db,
    store,
    config,
    dataDir,
    auth: authRuntime,
    async close() {
      if (timer) clearInterval(timer);
      await alerts.stop();
      await reaping;
      await db.close();
    },
  };
}
