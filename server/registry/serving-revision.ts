/**
 * The serving-config revision and the serving replicas that apply it (docs/serving.md,
 * "Revisions and replicas").
 *
 * The revision is a counter in `server_settings` ("serving.revision": `{ revision, hash }`).
 * Every change that affects serving (a key made or revoked, a bind, an access or CORS change, an
 * alias move) bumps it with {@link bumpServingRevision}; as a safety net for a change nobody
 * bumped for, {@link reconcileServingRevision} bumps it too when the config's content no longer
 * has the hash recorded for the current revision. The one invariant: the config answered as
 * revision R was computed after R was read, so it holds every change whose bump is ≤ R.
 *
 * Serving replicas long-poll the config with the revision they have applied; each poll records
 * that revision in `serving_replicas`, which is how {@link confirmServingRevision} knows that a
 * revoked key is refused by every live replica. Within one control-plane process an
 * EventEmitter wakes the long polls and the confirmation at once; with several control planes
 * over one PostgreSQL, the long polls re-read the revision row every {@link RECHECK_MS}.
 */
import { EventEmitter } from 'node:events';
import { and, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { serverSettings, servingReplicas } from '../db/schema';

const SETTING = 'serving.revision';

/** Longest a config long poll waits for a change before answering "no change" (seconds). */
export const LONG_POLL_MAX_S = 25;
/**
 * A replica seen this recently is live: it must confirm a revocation. Longer than a long poll,
 * since a waiting replica is seen only when its poll starts.
 */
export const REPLICA_LIVE_S = LONG_POLL_MAX_S + 15;
/** How often a waiting long poll re-reads the revision (a bump by another control-plane process). */
export const RECHECK_MS = 1000;
/** How long a mutation waits for the live replicas to apply its revision by default. */
export const CONFIRM_TIMEOUT_MS = 5000;

export interface RevisionState {
  revision: number;
  /** sha256 of the endpoints served as `revision`; '' until a config of it has been computed */
  hash: string;
}

/** Which live replicas have applied a revision (and which have not, within the wait). */
export interface ReplicaConfirmation {
  revision: number;
  confirmed: string[];
  unconfirmed: string[];
}

// One emitter per database handle: the control plane's process-wide notification.
const emitters = new WeakMap<Db, EventEmitter>();
function emitterOf(db: Db): EventEmitter {
  let e = emitters.get(db);
  if (!e) {
    e = new EventEmitter();
    // Every waiting long poll and confirmation listens; there is no leak to warn about.
    e.setMaxListeners(0);
    emitters.set(db, e);
  }
  return e;
}

function stateOf(value: unknown): RevisionState {
  const v = value as Partial<RevisionState> | null | undefined;
  return { revision: typeof v?.revision === 'number' ? v.revision : 0, hash: typeof v?.hash === 'string' ? v.hash : '' };
}

/** The current revision (0 before the first bump): one primary-key read. */
export async function readServingRevision(db: Db): Promise<RevisionState> {
  const [row] = await db.select({ value: serverSettings.value }).from(serverSettings).where(eq(serverSettings.key, SETTING));
  return stateOf(row?.value);
}

function announce(db: Db, revision: number): void {
  emitterOf(db).emit('revision', revision);
}

/**
 * Moves the revision on by one (atomically, whatever other processes do) and wakes this
 * process's long polls. Call it after the change has committed. Returns the new revision.
 */
export async function bumpServingRevision(db: Db): Promise<number> {
  const [row] = await db
    .insert(serverSettings)
    .values({ key: SETTING, value: { revision: 1, hash: '' } })
    .onConflictDoUpdate({
      target: serverSettings.key,
      set: { value: sql`jsonb_build_object('revision', coalesce((${serverSettings.value}->>'revision')::int, 0) + 1, 'hash', '')`, updatedAt: sql`now()` },
    })
    .returning({ value: serverSettings.value });
  const revision = stateOf(row?.value).revision;
  announce(db, revision);
  return revision;
}

/**
 * The revision that a config read as `seen` and whose endpoints hash to `hash` is served as:
 * `seen`'s revision when its hash matches (or it has none yet, which it then takes), else a new
 * revision (a change nobody bumped for). Compare-and-set on the revision, so a concurrent bump
 * wins and the loser re-reads.
 */
export async function reconcileServingRevision(db: Db, seen: RevisionState, hash: string): Promise<number> {
  let state = seen;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (state.hash === hash) return state.revision;
    const adopt = state.hash === '' && state.revision > 0;
    const next = adopt ? state.revision : state.revision + 1;
    const updated =
      state.revision === 0
        ? await db.insert(serverSettings).values({ key: SETTING, value: { revision: 1, hash } }).onConflictDoNothing().returning({ key: serverSettings.key })
        : await db
            .update(serverSettings)
            .set({ value: { revision: next, hash }, updatedAt: sql`now()` })
            .where(and(eq(serverSettings.key, SETTING), sql`(${serverSettings.value}->>'revision')::int = ${state.revision}`, sql`${serverSettings.value}->>'hash' = ${state.hash}`))
            .returning({ key: serverSettings.key });
    if (updated.length > 0) {
      const revision = state.revision === 0 ? 1 : next;
      if (!adopt) announce(db, revision);
      return revision;
    }
    state = await readServingRevision(db);
  }
  // Lost every race: another process is moving it; its answer will be newer than ours anyway.
  return state.revision;
}

/** Wakes a waiter when an event it cares about fired since it subscribed, even between its waits. */
class Wakeup {
  private fired = false;
  private wake: (() => void) | null = null;

  /** Marks the event and wakes the current wait, if any. */
  fire(): void {
    this.fired = true;
    this.wake?.();
  }

  /** Resolves at once if the event fired since the last wait, else when it does or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.fired) {
      this.fired = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        this.fired = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

/**
 * Watches for this process moving the revision away from `after`, from now on: `next(ms)`
 * resolves at once if it moved since the last call, else when it does, after `ms`, or when
 * `signal` aborts. Subscribing before reading the row means a bump between the read and the
 * wait is not missed. Bumps by other processes are not seen here: re-read the row.
 */
export function watchRevision(db: Db, after: number, signal?: AbortSignal): { next(ms: number): Promise<void>; close(): void } {
  const e = emitterOf(db);
  const w = new Wakeup();
  const onRevision = (r: number) => {
    if (r !== after) w.fire();
  };
  const onAbort = () => w.fire();
  e.on('revision', onRevision);
  signal?.addEventListener('abort', onAbort);
  return {
    next: (ms) => (signal?.aborted ? Promise.resolve() : w.wait(ms)),
    close() {
      e.off('revision', onRevision);
      signal?.removeEventListener('abort', onAbort);
      w.fire();
    },
  };
}

/** Replica ids are chosen by the serving process: host, pid and a random part. */
export const REPLICA_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * Records that replica `id` (authenticated by runner token `runnerId`) has applied
 * `appliedRevision` and is alive now.
 */
export async function reportReplica(db: Db, r: { id: string; runnerId: string | null; appliedRevision: number }): Promise<void> {
  await db
    .insert(servingReplicas)
    .values({ id: r.id, runnerId: r.runnerId, appliedRevision: r.appliedRevision, lastSeenAt: sql`now()` })
    .onConflictDoUpdate({ target: servingReplicas.id, set: { runnerId: r.runnerId, appliedRevision: r.appliedRevision, lastSeenAt: sql`now()` } });
  emitterOf(db).emit('replica');
}

/** Forgets replicas not seen for a day (each serving start is a new id). */
export async function pruneReplicas(db: Db): Promise<void> {
  await db.delete(servingReplicas).where(sql`${servingReplicas.lastSeenAt} < now() - interval '1 day'`);
}

/** Replicas seen in the last {@link REPLICA_LIVE_S} seconds, with the revision each has applied. */
export async function liveReplicas(db: Db): Promise<{ id: string; appliedRevision: number; lastSeenAt: Date }[]> {
  return db
    .select({ id: servingReplicas.id, appliedRevision: servingReplicas.appliedRevision, lastSeenAt: servingReplicas.lastSeenAt })
    .from(servingReplicas)
    .where(gt(servingReplicas.lastSeenAt, sql.raw(`now() - interval '${REPLICA_LIVE_S} seconds'`)))
    .orderBy(servingReplicas.id);
}

/**
 * Waits (at most `timeoutMs`) until every live replica has applied `revision`, and says which
 * did and which did not: a mutation that must take effect at once (a key revocation) answers
 * with this instead of claiming more than it knows. No live replica: confirmed at once.
 */
export async function confirmServingRevision(db: Db, revision: number, timeoutMs: number = CONFIRM_TIMEOUT_MS): Promise<ReplicaConfirmation> {
  const deadline = Date.now() + timeoutMs;
  const e = emitterOf(db);
  const w = new Wakeup();
  const onReport = () => w.fire();
  e.on('replica', onReport);
  try {
    for (;;) {
      const rows = await liveReplicas(db);
      const unconfirmed = rows.filter((r) => r.appliedRevision < revision).map((r) => r.id);
      const left = deadline - Date.now();
      if (unconfirmed.length === 0 || left <= 0) return { revision, confirmed: rows.filter((r) => r.appliedRevision >= revision).map((r) => r.id), unconfirmed };
      // A report to this process wakes us at once; one to another control plane is seen on the next read.
      await w.wait(Math.min(left, 50));
    }
  } finally {
    e.off('replica', onReport);
  }
}
