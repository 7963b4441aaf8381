/**
 * Test support: one suite, run against both drivers. PGlite gets a fresh temporary directory;
 * PostgreSQL (KILN_TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) gets a
 * fresh database `kiln_test_<random>` that is dropped afterwards, so parallel runs never collide.
 * PostgreSQL is part of the required test environment: when it is unreachable the suite fails.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDb, type KilnDb, type OpenDbOptions } from './client';

export const TEST_DATABASE_URL = process.env.KILN_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export type DbKind = KilnDb['kind'];
export const DB_KINDS: DbKind[] = ['pglite', 'postgres'];

/** A fresh, empty place to open a database in, and how to throw it away. */
export interface TestDbTarget {
  kind: DbKind;
  /** options for `openDb` (may be opened several times, e.g. to test re-open) */
  options: OpenDbOptions;
  dispose(): Promise<void>;
}

async function adminQuery(baseUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new Error(
      `PostgreSQL at ${baseUrl} is unreachable (${(err as Error).message || (err as { code?: string }).code || String(err)}); the PostgreSQL tests need it — ` +
        `start PostgreSQL or point KILN_TEST_DATABASE_URL at a server where this user may CREATE DATABASE`,
    );
  }
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fresh, empty PostgreSQL database. */
export interface TestDatabase {
  /** connection URL of the new database */
  url: string;
  /** drops it (connections still open are closed by the server) */
  drop(): Promise<void>;
}

/**
 * The one way tests (and the queue benchmark) make a PostgreSQL database: `kiln_test_<random>` on
 * the server `baseUrl` names. Throws, naming the URL, when that server is unreachable: a
 * PostgreSQL test never skips quietly.
 */
export async function createTestDatabase(baseUrl: string = TEST_DATABASE_URL): Promise<TestDatabase> {
  const name = `kiln_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(baseUrl, `CREATE DATABASE ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(baseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Creates an empty database (PostgreSQL) or directory (PGlite) for one test file. */
export async function createTestDbTarget(kind: DbKind, opts: { poolMax?: number } = {}): Promise<TestDbTarget> {
  if (kind === 'pglite') {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'kiln-db-test-'));
    return { kind, options: { dataDir }, dispose: () => rm(dataDir, { recursive: true, force: true }) };
  }
  const db = await createTestDatabase();
  return { kind, options: { databaseUrl: db.url, poolMax: opts.poolMax }, dispose: db.drop };
}

/** A fresh target opened (migrated) once; `dispose` closes it and removes the target. */
export async function openTestDb(kind: DbKind, opts: { poolMax?: number } = {}): Promise<KilnDb & { dispose(): Promise<void> }> {
  const target = await createTestDbTarget(kind, opts);
  let kdb: KilnDb;
  try {
    kdb = await openDb(target.options);
  } catch (err) {
    await target.dispose().catch(() => undefined);
    throw err;
  }
  return {
    ...kdb,
    dispose: async () => {
      await kdb.close();
      await target.dispose();
    },
  };
}
