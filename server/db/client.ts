/**
 * Opens Kiln's database: embedded PGlite under `${dataDir}/db` by default, or a real PostgreSQL
 * server when a `databaseUrl` is given. Both speak the same schema and run the same drizzle/
 * migrations on open, so everything above this file is driver-agnostic (`Db`).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { DEFAULT_DATA_DIR, type KilnConfig } from '../config';
import { lockDataDir, type DataDirLock } from './data-dir-lock';
import * as schema from './schema';

/** A drizzle Postgres database over either driver; all queries in server/ take this type. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** An open database and the means to close it. */
export interface KilnDb {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Closes the pool / the embedded database (releasing its data directory); the `db` must not be used afterwards. */
  close(): Promise<void>;
  /** PGlite only: the data directory's lock, held until `close` (a dead holder is taken over) */
  lock?: DataDirLock;
}

export interface OpenDbOptions {
  /** `postgres://…`; when set, PostgreSQL is used and `dataDir` is ignored */
  databaseUrl?: string;
  /** root of Kiln's local state; PGlite keeps its files in `${dataDir}/db` (default `.data`) */
  dataDir?: string;
  /** folder of drizzle-kit migrations; defaults to the repository's drizzle/ */
  migrationsFolder?: string;
  /** PostgreSQL pool size (default 10) */
  poolMax?: number;
  /** PGlite: the data directory's lock when the caller took it already (it must be `dataDir`'s) */
  lock?: DataDirLock;
}

/** The repository's drizzle/ folder, found from this file so the working directory never matters. */
export const DEFAULT_MIGRATIONS_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');

/**
 * Arbitrary but fixed key for `pg_advisory_lock`: several server processes may start at once
 * against one PostgreSQL, and drizzle's migrator does not serialise them by itself.
 */
const MIGRATION_LOCK_KEY = 0x6b696c6e; // "kiln"

/**
 * Opens the database and applies pending migrations (a no-op when the schema is current).
 * PGlite allows one process per data directory: the data directory is locked first
 * (./data-dir-lock), so a second opener anywhere on the host fails at once.
 *
 * @throws DataDirLockedError (PGlite) when another live process holds the data directory
 */
export async function openDb(opts: OpenDbOptions = {}): Promise<KilnDb> {
  const migrationsFolder = opts.migrationsFolder ?? DEFAULT_MIGRATIONS_FOLDER;
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, migrationsFolder, opts.poolMax ?? 10);
  return openPglite(path.resolve(opts.dataDir ?? DEFAULT_DATA_DIR), migrationsFolder, opts.lock);
}

/**
 * Runs raw SQL and returns its rows. `Db.execute` is typed per driver; both PGlite and
 * node-postgres answer `{ rows }`, which is all Kiln reads.
 */
export async function queryRows<T extends Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as { rows?: T[] };
  return result.rows ?? [];
}

/** `openDb` configured by the settings' `DATABASE_URL` and `KILN_DATA_DIR` (server/config). */
export function openDbFromConfig(c: Pick<KilnConfig, 'databaseUrl' | 'dataDir'>): Promise<KilnDb> {
  return openDb({ ...(c.databaseUrl ? { databaseUrl: c.databaseUrl } : {}), dataDir: c.dataDir });
}

async function openPglite(dataDir: string, migrationsFolder: string, held?: DataDirLock): Promise<KilnDb> {
  if (held && path.resolve(held.dataDir) !== dataDir) throw new Error(`the lock held is for ${held.dataDir}, not ${dataDir}`);
  const lock = held ?? (await lockDataDir(dataDir));
  const dir = path.join(dataDir, 'db');
  let client: PGlite | undefined;
  try {
    await mkdir(dir, { recursive: true });
    client = new PGlite(dir);
    await client.waitReady;
    const db = drizzlePglite({ client, schema });
    await migratePglite(db, { migrationsFolder });
    const c = client;
    return {
      db,
      kind: 'pglite',
      lock,
      async close() {
        try {
          await c.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (err) {
    await client?.close().catch(() => undefined);
    lock.release();
    throw err;
  }
}

async function openPostgres(databaseUrl: string, migrationsFolder: string, max: number): Promise<KilnDb> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: 10_000 });
  // An idle client that loses its server (restart, network) emits 'error' on the pool; without a
  // listener that would crash the process instead of the next query simply reconnecting.
  pool.on('error', () => undefined);
  try {
    const conn = await pool.connect();
    try {
      await conn.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      try {
        await migratePg(drizzlePg({ client: conn, schema }), { migrationsFolder });
      } finally {
        await conn.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      }
    } finally {
      conn.release();
    }
    const db = drizzlePg({ client: pool, schema });
    return { db, kind: 'postgres', close: () => pool.end() };
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}
