import { describe, expect, it } from 'vitest';
import { KilnError } from '../../lib/errors';
import { errorJson, errorResponse } from './errors';

describe('REST error answers through the catalog', () => {
  it('answers a KilnError with its catalog status, not a blanket 400', async () => {
    const r = errorResponse(new KilnError('REGISTRY_MODEL_NOT_FOUND', 'no registered model "m"'), () => undefined);
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: 'no registered model "m"', code: 'REGISTRY_MODEL_NOT_FOUND' });
    expect(errorResponse(new KilnError('REGISTRY_MODEL_EXISTS', 'model "m" already exists'), () => undefined).status).toBe(409);
  });

  it('keeps extra fields and headers', async () => {
    const r = errorResponse(new KilnError('PAYLOAD_TOO_LARGE', 'body is larger than the 5-byte limit', {}, { extra: { limit: 5 } }), () => undefined);
    expect(r.status).toBe(413);
    expect(await r.json()).toEqual({ error: 'body is larger than the 5-byte limit', code: 'PAYLOAD_TOO_LARGE', limit: 5 });
    const m = errorJson('METHOD_NOT_ALLOWED', 'DELETE is not allowed on /x', undefined, { allow: 'GET' });
    expect(m.status).toBe(405);
    expect(m.headers.get('allow')).toBe('GET');
  });

  it('answers an unexpected error as a generic 500 and logs its stack', async () => {
    const lines: string[] = [];
    const r = errorResponse(new TypeError('cannot read x of undefined'), (l) => lines.push(l));
    expect(r.status).toBe(500);
    expect(await r.json()).toEqual({ error: 'internal server error', code: 'INTERNAL' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/TypeError: cannot read x of undefined\n\s+at /);
  });

  it('logs a catalog 5xx with its stack too, and answers its line', async () => {
    const lines: string[] = [];
    const r = errorResponse(new KilnError('NOTEBOOK_CORRUPT', 'notebook version 3 of "p" is not a valid document'), (l) => lines.push(l));
    expect(r.status).toBe(500);
    expect(((await r.json()) as { error: string }).error).toBe('notebook version 3 of "p" is not a valid document');
    expect(lines.join('\n')).toMatch(/NOTEBOOK_CORRUPT[\s\S]*\n\s+at /);
  });

  it('caps the logged line of a failed insert that carries its parameters (once 400 MB lines)', async () => {
    const lines: string[] = [];
    // what drizzle throws: the query and every parameter, here a 50 MB statistics document
    const e = new Error(`Failed query: insert into "datasets" ("id", "stats") values ($1, $2)\nparams: 1,${'{"top":"x"}'.repeat(5_000_000)}`);
    const r = errorResponse(e, (l) => lines.push(l));
    expect(r.status).toBe(500);
    expect(lines).toHaveLength(1);
    for (const line of lines[0]!.split('\n')) expect(line.length).toBeLessThan(2100);
    expect(lines[0]).toMatch(/^params: 1,\{"top".*… \(\d+ more characters\)$/m);
  });
});
