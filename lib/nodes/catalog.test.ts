import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { listNodeKinds } from './catalog';
import { paramFields } from './param-fields';

const KINDS_DIR = join(import.meta.dirname, 'kinds');
/** One file per kind, named after it: `linear_regression` → kinds/linear-regression.ts. */
const fileOf = (kind: string) => join(KINDS_DIR, `${kind.replaceAll('_', '-')}.ts`);

describe('the node catalog', () => {
  const kinds = [...listNodeKinds()];

  /** Every kind each file under kinds/ declares (`defineNode` returns the kind it registers), by file. */
  async function kindsByFile(): Promise<Map<string, unknown[]>> {
    const out = new Map<string, unknown[]>();
    for (const f of readdirSync(KINDS_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const mod = (await import(join(KINDS_DIR, f))) as Record<string, unknown>;
      const declared = Object.values(mod).filter((v) => typeof v === 'object' && v !== null && 'kind' in v && 'run' in v && 'params' in v);
      if (declared.length) out.set(f, declared);
    }
    return out;
  }

  it('registers every kind declared under kinds/ (a kind file the catalog forgets to import fails)', async () => {
    const declared = [...(await kindsByFile()).values()].flat();
    expect(declared.length).toBeGreaterThan(20);
    // `kinds` was read before this test imported the files itself: only catalog.ts's imports count.
    for (const k of declared) expect(kinds, (k as { kind: string }).kind).toContain(k);
    expect(kinds.length).toBe(declared.length);
  });

  it.each(kinds.map((k) => [k.kind, k] as const))('%s: lives in its own file, with a test file beside it', async (kind, k) => {
    const file = fileOf(kind);
    expect(existsSync(file), `${file} (one file per node kind)`).toBe(true);
    expect((await kindsByFile()).get(basename(file))).toEqual([k]);
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
