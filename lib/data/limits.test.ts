import { describe, expect, it } from 'vitest';
import { KilnError } from '../errors';
import { checkDataLimits, dataGuard, DEFAULT_DATA_LIMITS, type DataLimits } from './limits';
import { parseTable } from './infer';

const enc = new TextEncoder();
const CHUNK = 64 * 1024;

/**
 * Feeds `chunks` to a fresh guard until it throws; returns the error and how many bytes it had
 * been given by then (the point of the guard: it refuses early, not after the whole file).
 */
function feed(format: 'csv' | 'json', chunks: Iterable<Uint8Array>, limits: DataLimits = DEFAULT_DATA_LIMITS): { error: KilnError | undefined; bytes: number; ms: number } {
  const g = dataGuard(format, `f.${format}`, limits);
  let bytes = 0;
  const t0 = performance.now();
  try {
    for (const c of chunks) {
      bytes += c.length;
      g.push(c);
    }
    g.end();
  } catch (e) {
    if (!(e instanceof KilnError)) throw e;
    return { error: e, bytes, ms: performance.now() - t0 };
  }
  return { error: undefined, bytes, ms: performance.now() - t0 };
}

function* chunked(bytes: Uint8Array, size = CHUNK): Generator<Uint8Array> {
  for (let o = 0; o < bytes.length; o += size) yield bytes.subarray(o, o + size);
}

function* repeat(first: string, fill: string, totalBytes: number): Generator<Uint8Array> {
  yield enc.encode(first);
  const block = enc.encode(fill.repeat(Math.ceil(CHUNK / fill.length)));
  for (let n = 0; n < totalBytes; n += block.length) yield block;
}

const small = (o: Partial<DataLimits>): DataLimits => ({ ...DEFAULT_DATA_LIMITS, ...o });

describe('dataGuard: CSV', () => {
  it('refuses a 1,000,000-column header after about 10,000 columns, naming row 1 and the column', () => {
    // ~9.9 MB as in the issue: c0,c1,…,c999999
    const header = enc.encode(Array.from({ length: 1_000_000 }, (_, i) => `c${i}`).join(',') + '\n1\n');
    expect(header.length).toBeGreaterThan(6_000_000);
    const r = feed('csv', chunked(header));
    expect(r.error?.code).toBe('DATA_LIMIT');
    expect(r.error?.message).toBe('f.csv row 1 column 10001: more than 10000 columns (the limit, KILN_MAX_COLUMNS)');
    expect(r.error?.status).toBe(413);
    expect(r.bytes).toBeLessThan(200_000);
    expect(r.ms).toBeLessThan(1000);
  });

  it('refuses a 200 MB cell after about 1 MiB, naming its row and column', () => {
    const r = feed('csv', repeat('id,text\n1,"', 'x', 200 * 1024 * 1024));
    expect(r.error?.message).toBe('f.csv row 2 column "text": a cell over 1048576 bytes (the limit, KILN_MAX_CELL_BYTES)');
    expect(r.error?.where).toMatchObject({ file: 'f.csv', row: 2, column: '"text"' });
    expect(r.bytes).toBeLessThan(1024 * 1024 + 2 * CHUNK);
  });

  it('refuses a row over the row limit and more rows than the row limit', () => {
    const wide = feed('csv', chunked(enc.encode(`a,b,c\n${'1,'.repeat(600)}1\n`)), small({ maxRowBytes: 1000 }));
    expect(wide.error?.message).toMatch(/^f\.csv row 2 column 501: a row over 1000 bytes/);
    const many = feed('csv', chunked(enc.encode('a\n' + '1\n'.repeat(11))), small({ maxRows: 10 }));
    expect(many.error?.message).toBe('f.csv row 12: more than 10 data rows (the limit, KILN_MAX_ROWS)');
    // blank lines are not rows; exactly the limit is fine
    expect(feed('csv', chunked(enc.encode('a\n' + '1\n\n'.repeat(10))), small({ maxRows: 10 })).error).toBeUndefined();
  });

  it('refuses a data row with more fields than the column limit', () => {
    const r = feed('csv', chunked(enc.encode(`a,b\n1,2\n${'9,'.repeat(20)}9\n`)), small({ maxColumns: 5 }));
    expect(r.error?.message).toBe('f.csv row 3 column 6: more than 5 columns (the limit, KILN_MAX_COLUMNS)');
  });

  it('refuses invalid UTF-8 naming the row, also when a sequence is split across chunks', () => {
    const bad = enc.encode('a,b\n1,x\n2,\u00e9t\u00e9\n3,\xff\n');
    // the Latin-1 byte 0xff is not UTF-8
    const bytes = new Uint8Array([...enc.encode('a,b\n1,x\n2,caf\u00e9\n3,'), 0xff, 0x0a]);
    const r = feed('csv', chunked(bytes, 3));
    expect(r.error?.code).toBe('BAD_UTF8');
    expect(r.error?.status).toBe(400);
    expect(r.error?.message).toMatch(/^f\.csv row 4: not valid UTF-8 \(byte 18 of the file\)/);
    // é split between two 1-byte chunks is fine; a truncated sequence at the end is not
    expect(feed('csv', chunked(bad.subarray(0, bad.length - 5), 1)).error).toBeUndefined();
    const truncated = feed('csv', [enc.encode('a\n\u00e9').subarray(0, 3)]);
    expect(truncated.error?.code).toBe('BAD_UTF8');
    // overlong encodings and surrogates are refused as TextDecoder's fatal mode refuses them
    for (const seq of [[0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]]) {
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(seq))).toThrow();
      expect(feed('csv', [new Uint8Array([0x61, 0x0a, ...seq])]).error?.code).toBe('BAD_UTF8');
    }
  });

  it('keeps a BOM, `;` and tab separators, quotes and CRLF working, with the columns the parser reads', () => {
    for (const text of ['\ufeffa;b;c\r\n1;2;3\r\n', 'a\tb\tc\n1\t2\t3\n', 'a,"b;c",d\n1,"x,y\n""z""",3\n']) {
      const bytes = enc.encode(text);
      // a limit of exactly the parser's column count passes, one less is refused
      const cols = parseTable({ name: 'f.csv', text, format: 'csv' }).columns.length;
      expect(cols).toBe(3);
      expect(feed('csv', chunked(bytes, 2), small({ maxColumns: 3 })).error, text).toBeUndefined();
      expect(feed('csv', chunked(bytes, 2), small({ maxColumns: 2 })).error?.code, text).toBe('DATA_LIMIT');
    }
  });

  it('counts a quoted delimiter as part of its cell', () => {
    expect(feed('csv', [enc.encode('a,b\n"1,2,3,4,5",6\n')], small({ maxColumns: 2 })).error).toBeUndefined();
    // a cell's bytes are as in the file, quotes included
    expect(feed('csv', [enc.encode('a,b\n"123456",6\n')], small({ maxCellBytes: 8 })).error).toBeUndefined();
    expect(feed('csv', [enc.encode('a,b\n"1234567",6\n')], small({ maxCellBytes: 8 })).error?.message).toMatch(/row 2 column "a": a cell over 8 bytes/);
    expect(feed('csv', [enc.encode('a,b\n"1""2",6\n')], small({ maxCellBytes: 6 })).error).toBeUndefined();
  });
});

describe('dataGuard: JSON', () => {
  it('refuses JSON nested a million levels deep at the depth limit, without recursion', () => {
    const r = feed('json', repeat('[{"a":', '[', 1_000_000));
    expect(r.error?.message).toBe('f.json record [0] column "a": JSON nested deeper than 64 levels (the limit, KILN_MAX_JSON_DEPTH)');
    expect(r.bytes).toBeLessThanOrEqual(2 * CHUNK);
    expect(feed('json', [enc.encode('[[[[1]]]]')], small({ maxJsonDepth: 4 })).error).toBeUndefined();
    expect(feed('json', [enc.encode('[[[[[1]]]]]')], small({ maxJsonDepth: 4 })).error?.code).toBe('DATA_LIMIT');
  });

  it('refuses a huge string, too many keys, a huge record and too many records', () => {
    const cell = feed('json', repeat('[{"id":1,"text":"', 'y', 200 * 1024 * 1024));
    expect(cell.error?.message).toBe('f.json record [0] column "text": a string over 1048576 bytes (the limit, KILN_MAX_CELL_BYTES)');
    expect(cell.bytes).toBeLessThan(1024 * 1024 + 2 * CHUNK);
    const keys = JSON.stringify([{ a: 1, b: 2 }, { c: 3, b: 4 }, { d: 5 }]);
    expect(feed('json', [enc.encode(keys)], small({ maxColumns: 4 })).error).toBeUndefined();
    expect(feed('json', [enc.encode(keys)], small({ maxColumns: 3 })).error?.message).toBe('f.json record [2] column "d": more than 3 distinct keys (columns; the limit, KILN_MAX_COLUMNS)');
    // keys are told apart by their content, also past the bytes kept of them
    const long = (c: string) => 'k'.repeat(2000) + c;
    expect(feed('json', [enc.encode(JSON.stringify([{ [long('a')]: 1, [long('b')]: 2 }]))], small({ maxColumns: 1 })).error?.code).toBe('DATA_LIMIT');
    expect(feed('json', [enc.encode(JSON.stringify([{ a: 'x'.repeat(50) }]))], small({ maxRowBytes: 40 })).error?.message).toMatch(/^f\.json record \[0\] column "a": a record over 40 bytes/);
    expect(feed('json', [enc.encode(JSON.stringify([{ a: 1 }, { a: 2 }, { a: 3 }]))], small({ maxRows: 2 })).error?.message).toBe('f.json record [2]: more than 2 records (the limit, KILN_MAX_RECORDS)'.replace('KILN_MAX_RECORDS', 'KILN_MAX_ROWS'));
  });

  it('does not take brackets, quotes or colons inside strings for structure', () => {
    const text = JSON.stringify([{ 'a"[{': '}]:,\\"[[[[', b: ['x', { c: 1 }] }]);
    expect(feed('json', chunked(enc.encode(text), 1), small({ maxJsonDepth: 4, maxColumns: 2 })).error).toBeUndefined();
  });

  it('refuses invalid UTF-8 naming the record', () => {
    const bytes = new Uint8Array([...enc.encode('[{"a":"x"},{"a":"'), 0xc3, 0x28, ...enc.encode('"}]')]);
    expect(feed('json', [bytes]).error?.message).toMatch(/^f\.json record \[1\]: not valid UTF-8 \(byte 18 of the file\)/);
  });

  it('checkDataLimits passes files within the limits', () => {
    expect(() => checkDataLimits('json', 'ok.json', enc.encode('\ufeff[{"x":1}]'), DEFAULT_DATA_LIMITS)).not.toThrow();
    expect(() => checkDataLimits('csv', 'ok.csv', enc.encode('x\n1'), DEFAULT_DATA_LIMITS)).not.toThrow();
  });
});
