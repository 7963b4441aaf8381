import { afterAll, describe, expect, it } from 'vitest';
import { KilnError } from '../../lib/errors';
import { summarizeDataset } from './dataset-summary';
import { ParsePool } from './parse-pool';

const enc = new TextEncoder();
const logs: string[] = [];
const pool = new ParsePool((m) => logs.push(m));
afterAll(() => pool.close());

describe('ParsePool', () => {
  it('answers in a worker what the in-thread summary answers', async () => {
    const csv = 'a,b,when\n1,x,2024-01-01\n2,y,2024-01-02\n,x,\n';
    const got = await pool.summary('s.csv', 'csv', enc.encode(csv));
    expect(got).toEqual(summarizeDataset('s.csv', 'csv', enc.encode(csv)));
    // it started a worker rather than falling back to the event loop
    expect(logs).toEqual([]);
  });

  it('passes a parse error back as the KilnError it was, code and location kept', async () => {
    const e = await pool.summary('r.csv', 'csv', enc.encode('a,b\n1,2\n3\n')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KilnError);
    expect(e).toMatchObject({ code: 'RAGGED_ROW', message: 'r.csv row 3: 1 field, expected 2', where: { file: 'r.csv', row: 3 } });
    const empty = await pool.summary('e.json', 'json', enc.encode('[{}]')).catch((x: unknown) => x);
    expect(empty).toMatchObject({ code: 'NO_COLUMNS' });
  });

  it('gives a preview with long cells cut and any column name as a key, and copies bytes it cannot transfer', async () => {
    const buf = Buffer.from(`__proto__,n\n${'v'.repeat(50)},1\n`);
    // a view into a larger buffer (as a pooled Buffer is) must be copied, not detached
    const view = new Uint8Array(new Uint8Array([9, ...buf]).buffer, 1, buf.length);
    const p = await pool.preview('p.csv', 'csv', view, 10, 20);
    expect(view.byteLength).toBe(buf.length);
    expect(p.truncated).toBe(true);
    expect(JSON.parse(JSON.stringify(p.rows))).toEqual(JSON.parse(`[{"__proto__": "${'v'.repeat(19)}…", "n": 1}]`));
  });

  it('refuses a file that needs more memory than the worker has, and starts a new worker for the next job', async () => {
    const small = new ParsePool(() => undefined, { maxHeapMiB: 48 });
    try {
      // 4 million one-byte cells: a few MB on disk, hundreds of MB as parsed strings
      const csv = enc.encode('a,b,c,d\n' + '1,2,3,4\n'.repeat(1_000_000));
      const e = await small.summary('cells.csv', 'csv', csv).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(KilnError);
      expect(e).toMatchObject({ code: 'DATA_LIMIT', message: expect.stringMatching(/^cells\.csv: parsing this file needs more memory than the parse worker has/) });
      expect((await small.summary('ok.csv', 'csv', enc.encode('a\n1\n'))).rows).toBe(1);
    } finally {
      await small.close();
    }
  }, 60_000);
});
