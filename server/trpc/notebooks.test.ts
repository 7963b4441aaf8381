/**
 * The notebooks router through a server-side caller, on PGlite and on a fresh PostgreSQL
 * database: versions appended only on change, validation naming the bad path, concurrent saves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotebookDoc } from '../../lib/notebook/schema';
import { DB_KINDS } from '../db/testing';
import { createTestUser } from '../auth/testing';
import { notebookHash } from './notebooks';
import { callerAs, openTestCaller, rejectionOf } from './test-utils';

function doc(...sources: string[]): NotebookDoc {
  return { version: 1, cells: sources.map((source, i) => ({ id: `c${i}`, source, manual: false, outputs: [] })) };
}

describe.each(DB_KINDS)('notebooks router on %s', (kind) => {
  let kdb: Awaited<ReturnType<typeof openTestCaller>>['kdb'];
  let api: Awaited<ReturnType<typeof openTestCaller>>['api'];

  beforeAll(async () => {
    ({ kdb, api } = await openTestCaller(kind, { poolMax: 8 }));
  }, 60_000);
  afterAll(async () => {
    await kdb?.dispose();
  });

  it('returns null for a project without a notebook, and [] versions; an unknown project is not found', async () => {
    await api.projects.create({ name: 'empty-project' });
    expect(await api.notebooks.get({ projectName: 'empty-project' })).toBeNull();
    expect(await api.notebooks.versions({ projectName: 'empty-project' })).toEqual([]);
    expect((await rejectionOf(api.notebooks.versions({ projectName: 'no-such-project' }))).code).toBe('NOT_FOUND');
  });

  it('appends a version only when the content changes', async () => {
    const a = doc('const a = 2', 'a * 3');
    expect(await api.notebooks.save({ projectName: 'p1', doc: a })).toEqual({ version: 1, created: true, hash: notebookHash(a) });
    // Same content, keys in another order: same hash, no new version.
    const reordered = { cells: a.cells.map((c) => ({ outputs: c.outputs, manual: c.manual, source: c.source, id: c.id })), version: 1 };
    expect(await api.notebooks.save({ projectName: 'p1', doc: reordered })).toEqual({ version: 1, created: false, hash: notebookHash(a) });
    const b = doc('const a = 5', 'a * 3');
    b.cells[1]!.outputs = [{ type: 'text', text: '15' }];
    expect(await api.notebooks.save({ projectName: 'p1', doc: b })).toEqual({ version: 2, created: true, hash: notebookHash(b) });

    const newest = await api.notebooks.get({ projectName: 'p1' });
    expect(newest?.version).toBe(2);
    expect(newest?.doc).toEqual(b);
    expect(Number.isNaN(new Date(newest!.createdAt).getTime())).toBe(false);
    expect((await api.notebooks.get({ projectName: 'p1', version: 1 }))?.doc).toEqual(a);
    const versions = await api.notebooks.versions({ projectName: 'p1' });
    expect(versions.map((v) => v.version)).toEqual([2, 1]);
    expect(versions[0]!.hash).toBe(notebookHash(b));
  });

  it('names the missing version', async () => {
    await api.notebooks.save({ projectName: 'p2', doc: doc('1') });
    const e = await rejectionOf(api.notebooks.get({ projectName: 'p2', version: 9 }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toMatch(/no notebook version 9/);
  });

  it('rejects a bad document with BAD_REQUEST naming the path', async () => {
    const bad = { version: 1, cells: [{ id: 'ok', source: 'x' }, { id: 'has space', source: 'y' }] };
    const e = await rejectionOf(api.notebooks.save({ projectName: 'p3', doc: bad }));
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.message).toMatch(/^doc\.cells\.1\.id: /);
    const e2 = await rejectionOf(api.notebooks.save({ projectName: 'p3', doc: { version: 1, cells: [{ id: 'a', source: 'x', outputs: [{ type: 'bogus' }] }] } }));
    expect(e2.message).toMatch(/^doc\.cells\.0\.outputs\.0\.type: /);
    expect(await api.notebooks.get({ projectName: 'p3' })).toBeNull();
  });

  it('numbers concurrent saves without gaps or lost documents', async () => {
    const docs = Array.from({ length: 6 }, (_, i) => doc(`const v = ${i}`));
    const results = await Promise.all(docs.map((d) => api.notebooks.save({ projectName: 'p4', doc: d })));
    expect(results.every((r) => r.created)).toBe(true);
    expect(results.map((r) => r.version).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const [i, r] of results.entries()) {
      expect((await api.notebooks.get({ projectName: 'p4', version: r.version }))?.doc).toEqual(docs[i]);
    }
  });

  it('opens untrusted what the caller did not write: an import, or a save by someone else, until they trust that content', async () => {
    const colleague = callerAs(kdb.db, await createTestUser(kdb.db, { email: 'colleague@kiln.test', orgRole: 'admin' }));
    const mine = doc('const x = 1');
    await api.notebooks.save({ projectName: 'p5', doc: mine });
    expect(await api.notebooks.get({ projectName: 'p5' })).toMatchObject({ trusted: true, untrustedBecause: null, savedBy: 'owner@kiln.test' });

    // The same content imported again is a new version, and it is untrusted even for its importer.
    const imported = await api.notebooks.save({ projectName: 'p5', doc: mine, imported: true });
    expect(imported).toMatchObject({ version: 2, created: true });
    expect(await api.notebooks.get({ projectName: 'p5' })).toMatchObject({ version: 2, trusted: false, untrustedBecause: 'imported' });
    // The version the owner wrote is still trusted.
    expect(await api.notebooks.get({ projectName: 'p5', version: 1 })).toMatchObject({ trusted: true });

    const theirs = doc('const x = 2');
    await colleague.notebooks.save({ projectName: 'p5', doc: theirs });
    expect(await api.notebooks.get({ projectName: 'p5' })).toMatchObject({ version: 3, trusted: false, untrustedBecause: 'saved-by-other', savedBy: 'colleague@kiln.test' });
    expect(await colleague.notebooks.get({ projectName: 'p5' })).toMatchObject({ trusted: true, untrustedBecause: null });

    // Trusting is per content: this hash, for this user only.
    expect(await api.notebooks.trust({ projectName: 'p5', hash: notebookHash(theirs) })).toEqual({ trusted: true });
    expect(await api.notebooks.get({ projectName: 'p5' })).toMatchObject({ trusted: true, untrustedBecause: null });
    expect(await api.notebooks.get({ projectName: 'p5', version: 2 })).toMatchObject({ trusted: false, untrustedBecause: 'imported' });
    await colleague.notebooks.save({ projectName: 'p5', doc: doc('const x = 3') });
    expect(await api.notebooks.get({ projectName: 'p5' })).toMatchObject({ trusted: false, untrustedBecause: 'saved-by-other' });
    expect((await rejectionOf(api.notebooks.trust({ projectName: 'p5', hash: notebookHash(doc('never saved')) }))).code).toBe('NOT_FOUND');
  });
});
