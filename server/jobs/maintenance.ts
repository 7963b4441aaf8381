/**
 * The control plane's housekeeping, so nothing a crash interrupted is lost or left behind:
 * runs of dead runners go back to the queue (./queue), registrations of dead processes are
 * resumed or failed (registry/registration), stored packages are re-verified against their
 * sha256 (registry/integrity), and temp files of killed uploads are swept (storage/temp-dir).
 * `startup` runs once when the server opens; `tick` every reaper interval, each step bounded
 * (one registration, one package, a sweep a minute, 10,000 expired logged predictions) so a
 * tick stays short; logged predictions past their endpoint's retention are pruned with their
 * hours of the prediction rollup (monitoring).
 */
import type { Db } from '../db/client';
import type { ModelVersion } from '../db/schema';
import { prunePredictions } from '../monitoring/prediction-log';
import { pruneRequestStats } from '../monitoring/request-stats';
import { verifyStalePackages } from '../registry/integrity';
import { recoverRegistrations, type RegistrationLease } from '../registry/registration';
import type { ServeabilityOptions } from '../registry/serveability';
import type { ArtifactStore, SweepResult } from '../storage/types';
import { reapExpiredLeases } from './queue';

export interface MaintenanceOptions {
  db: Db;
  /** PGlite: this process is the only writer (its data directory is locked) */
  kind: 'pglite' | 'postgres';
  store: ArtifactStore;
  lease: RegistrationLease;
  serveability: ServeabilityOptions;
  /** temp files not written for this long are abandoned (`KILN_TEMP_MAX_AGE_SECONDS`) */
  tempMaxAgeMs: number;
  /** how often each READY version's stored package is re-hashed at most (default 10 min) */
  integrityIntervalMs?: number;
  /** how often the temp folder is swept (default 1 min) */
  sweepIntervalMs?: number;
  log: (message: string) => void;
}

export interface Maintenance {
  /** At start: sweep temp files and resume every registration left by a dead process. */
  startup(): Promise<void>;
  /** One bounded pass of every job. Never throws; each failure is logged. */
  tick(): Promise<void>;
}

function describeSweep(r: SweepResult): string {
  const parts = [];
  if (r.files) parts.push(`${r.files} temp file${r.files === 1 ? '' : 's'} (${(r.bytes / 1024 / 1024).toFixed(1)} MiB)`);
  if (r.uploads) parts.push(`${r.uploads} incomplete multipart upload${r.uploads === 1 ? '' : 's'}`);
  return parts.join(' and ');
}

export function createMaintenance(o: MaintenanceOptions): Maintenance {
  const sweepEvery = o.sweepIntervalMs ?? 60_000;
  const integrityEvery = o.integrityIntervalMs ?? 10 * 60_000;
  let lastSweep = 0;
  const step = async (what: string, f: () => Promise<void>) => {
    try {
      await f();
    } catch (e) {
      o.log(`kiln server: ${what}: ${((e as Error).message ?? String(e)).split('\n')[0]}`);
    }
  };
  const logResumed = (vs: ModelVersion[]) => {
    for (const v of vs) o.log(`kiln server: model version ${v.id} (v${v.version}): its registration had no live owner; resumed: ${v.status}${v.status === 'READY' ? '' : ` (${v.statusReason ?? ''})`}`);
  };
  const sweep = async (all: boolean) => {
    lastSweep = Date.now();
    const r = await o.store.sweep({ maxAgeMs: o.tempMaxAgeMs, all });
    const what = describeSweep(r);
    if (what) o.log(`kiln server: removed ${what} left by interrupted uploads`);
  };
  return {
    async startup() {
      // With PGlite nobody else can be writing: every temp file and PENDING version is an orphan.
      const exclusive = o.kind === 'pglite';
      await step('temp sweep', () => sweep(exclusive));
      await step('registration recovery', async () => {
        for (;;) {
          const r = await recoverRegistrations(o.db, o.store, { lease: o.lease, serveability: o.serveability, limit: 10, orphansOnly: exclusive ? 'exclusive' : false });
          logResumed(r.resumed);
          if (r.resumed.length < 10) break;
        }
      });
    },
    async tick() {
      await step('lease reaper', async () => {
        const r = await reapExpiredLeases(o.db);
        for (const id of r.requeued) o.log(`kiln server: run ${id}: lease expired, back in the queue`);
        for (const id of r.failed) o.log(`kiln server: run ${id}: lease expired on its last attempt, failed`);
      });
      await step('registration recovery', async () => logResumed((await recoverRegistrations(o.db, o.store, { lease: o.lease, serveability: o.serveability, limit: 1 })).resumed));
      await step('package verification', async () => {
        const r = await verifyStalePackages(o.db, o.store, { intervalMs: integrityEvery, limit: 1 });
        for (const f of r.failed) o.log(`kiln server: model version ${f.id}: FAILED: ${f.reason}`);
      });
      await step('prediction log retention', async () => {
        const n = await prunePredictions(o.db);
        if (n > 0) o.log(`kiln server: pruned ${n} logged prediction${n === 1 ? '' : 's'} past their endpoint's retention`);
        await pruneRequestStats(o.db);
      });
      if (Date.now() - lastSweep >= sweepEvery) await step('temp sweep', () => sweep(false));
    },
  };
}
