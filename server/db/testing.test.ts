import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DATABASE_URL } from './testing';

describe('createTestDatabase', () => {
  it('fails naming the server when PostgreSQL is unreachable, instead of letting a test skip', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const nowhere = 'postgres://postgres@127.0.0.1:1/test';
    await expect(createTestDatabase(nowhere)).rejects.toThrow(/PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test is unreachable.*KILN_TEST_DATABASE_URL/);
  });

  it('creates an empty database on the test server and drops it', async () => {
    const db = await createTestDatabase();
    const name = new URL(db.url).pathname.slice(1);
    expect(name).toMatch(/^kiln_test_[0-9a-f]{12}$/);
    expect(new URL(db.url).host).toBe(new URL(TEST_DATABASE_URL).host);
    const exists = async () => {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      try {
        return (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount;
      } finally {
        await c.end();
      }
    };
    expect(await exists()).toBe(1);
    await db.drop();
    expect(await exists()).toBe(0);
  });
});
