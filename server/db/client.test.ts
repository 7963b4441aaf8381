import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_FOLDER, openDb, openDbFromConfig, queryRows, type Db } from './client';
import { loadConfig } from '../config';
import { projects } from './schema';
import { createTestDbTarget, DB_KINDS, type TestDbTarget } from './testing';

const journal = JSON.parse(readFileSync(path.join(DEFAULT_MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] };

async function appliedMigrations(db: Db): Promise<number> {
  const rows = await queryRows<{ n: number }>(db, sql`select count(*)::integer as n from drizzle.__drizzle_migrations`);
  return Number(rows[0]?.n);
}

async function tableNames(db: Db): Promise<string[]> {
  const rows = await queryRows<{ table_name: string }>(
    db,
    sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
  );
  return rows.map((r) => r.table_name);
}

describe.each(DB_KINDS)('openDb on %s', (kind) => {
  let target: TestDbTarget;
  beforeAll(async () => {
    target = await createTestDbTarget(kind);
  });
  afterAll(async () => {
    await target?.dispose();
  });

  it('applies every migration on a fresh database, and re-opening is a no-op that keeps the data', async () => {
    const first = await openDb(target.options);
    expect(first.kind).toBe(kind);
    try {
      expect(await tableNames(first.db)).toEqual(['accounts', 'alert_channels', 'alert_events', 'alert_rules', 'alert_states', 'alias_events', 'artifacts', 'custom_node_kinds', 'dataset_schemas', 'datasets', 'endpoint_keys', 'endpoints', 'graph_drafts', 'graph_layouts', 'graphs', 'model_aliases', 'model_versions', 'monitoring_snapshots', 'notebook_trust', 'notebooks', 'personal_tokens', 'prediction_feedback', 'prediction_rollup', 'predictions', 'project_members', 'projects', 'registered_models', 'request_stats', 'run_events', 'runners', 'runs', 'server_settings', 'serving_replicas', 'sessions', 'share_links', 'sign_in_links', 'users', 'verifications']);
      expect(await appliedMigrations(first.db)).toBe(journal.entries.length);
      await first.db.insert(projects).values({ id: 'p1', name: 'kept' });
    } finally {
      await first.close();
    }
    const second = await openDb(target.options);
    try {
      expect(await appliedMigrations(second.db)).toBe(journal.entries.length);
      const rows = await second.db.select().from(projects);
      expect(rows.map((r) => r.name)).toEqual(['kept']);
    } finally {
      await second.close();
    }
  });

  it('fails to open with a migrations folder that does not exist', async () => {
    await expect(openDb({ ...target.options, migrationsFolder: path.join(DEFAULT_MIGRATIONS_FOLDER, 'nope') })).rejects.toThrow();
  });
});

describe('openDb specifics', () => {
  it('keeps PGlite files under <dataDir>/db and openDbFromConfig reads KILN_DATA_DIR', async () => {
    const target = await createTestDbTarget('pglite');
    try {
      const dataDir = target.options.dataDir!;
      const kdb = await openDbFromConfig(loadConfig({ KILN_DATA_DIR: dataDir }));
      await kdb.close();
      expect(kdb.kind).toBe('pglite');
      expect(existsSync(path.join(dataDir, 'db', 'PG_VERSION'))).toBe(true);
    } finally {
      await target.dispose();
    }
  });

  it('lets several processes migrate one PostgreSQL at once (advisory lock), each ending current', async () => {
    const target = await createTestDbTarget('postgres');
    try {
      const opened = await Promise.all([openDb(target.options), openDb(target.options), openDb(target.options)]);
      for (const k of opened) expect(await appliedMigrations(k.db)).toBe(journal.entries.length);
      await Promise.all(opened.map((k) => k.close()));
    } finally {
      await target.dispose();
    }
  });

  it('rejects an unreachable PostgreSQL instead of hanging', async () => {
    await expect(openDb({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none' })).rejects.toThrow();
  });
});
