import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { listNodeKinds } from './catalog';
import { paramFields } from './param-fields';

const KINDS_DIR = join(import.meta.dirname, 'kinds');
/** One file per kind, named after it: `linear_regression` → kinds/linear-regression.ts. */
const fileOf = (kind: string) => join(KINDS_DIR, `${kind.replaceAll('_', '-')}.ts`);

describe('the node catalog', () => {
  const kinds = listNodeKinds();

  it('registers every kind declared under kinds/', () => {
    const declared = readdirSync(KINDS_DIR)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .flatMap((f) => [...readFileSync(join(KINDS_DIR, f), 'utf8').matchAll(/defineNode\(\{[^]*?\bkind: '([a-z0-9_]+)'/g)].map((m) => m[1]!));
    expect(declared.length).toBeGreaterThan(20);
    expect(kinds.map((k) => k.kind).sort()).toEqual(declared.sort());
  });

  it.each(kinds.map((k) => [k.kind, k] as const))('%s: lives in its own file, with a test file beside it', (kind) => {
    const file = fileOf(kind);
    expect(existsSync(file), `${file} (one file per node kind)`).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain(`kind: '${kind}'`);
    const test = file.replace(/\.ts$/, '.test.ts');
    expect(existsSync(test), `${test} is missing: every node kind has a test beside it`).toBe(true);
  });

  it.each(kinds.map((k) => [k.kind, k] as const))('%s: the inspector gets a field for every param', (_kind, k) => {
    expect(k.params).toBeInstanceOf(z.ZodObject);
    const params = Object.keys((k.params as z.ZodObject).shape);
    const fields = paramFields(k.params);
    expect(fields.map((f) => f.name)).toEqual(params);
    for (const f of fields) expect(f.label, `${k.kind}.${f.name} label`).not.toBe('');
  });
});
