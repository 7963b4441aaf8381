import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetParams } from '../nodes/kinds/dataset';
import { columnSchemaSchema } from './column-schema';
import { inferSchema, parseTable } from './infer';

const ROOT = join(import.meta.dirname, '../..');
const HOME = 'lib/data/column-schema.ts';

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [p] : [];
  });
}

describe('ColumnSchema', () => {
  it('is declared once: no other source spells out the column type list or a column-schema shape', () => {
    const copies = [
      /interface ColumnSchema\b/,
      /(?:type|interface) ColumnType\s*=/,
      /'numeric'\s*\|\s*'categorical'\s*\|\s*'boolean'\s*\|\s*'date'/,
      /\[\s*'numeric',\s*'categorical',\s*'boolean',\s*'date'\s*\]/,
      /nullable:\s*(?:boolean|z\.boolean\(\))/,
    ];
    const found: string[] = [];
    for (const dir of ['lib', 'server', 'components', 'app']) {
      for (const file of sources(dir)) {
        if (file === HOME) continue;
        const text = readFileSync(join(ROOT, file), 'utf8');
        for (const re of copies) if (re.test(text)) found.push(`${relative('.', file)} matches ${re}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('reads a missing `nullable` as true, keeps an explicit false', () => {
    expect(columnSchemaSchema.parse({ name: 'a', type: 'numeric' })).toEqual({ name: 'a', type: 'numeric', nullable: true });
    expect(columnSchemaSchema.parse({ name: 'a', type: 'numeric', nullable: false }).nullable).toBe(false);
    expect(columnSchemaSchema.safeParse({ name: 'a', type: 'text' }).success).toBe(false);
  });

  it('is what the dataset node accepts and what inference writes', () => {
    const schema = inferSchema(parseTable({ name: 't.csv', format: 'csv', text: 'a,b\n1,x\n,y\n' }));
    expect(schema).toEqual([
      { name: 'a', type: 'numeric', nullable: true },
      { name: 'b', type: 'categorical', nullable: false, categories: ['x', 'y'] },
    ]);
    for (const c of schema) expect(columnSchemaSchema.parse(c)).toEqual(c);
    const p = datasetParams.parse({ source: 'input', name: 't', schema: [{ name: 'a', type: 'numeric' }] });
    expect(p.schema).toEqual([{ name: 'a', type: 'numeric', nullable: true }]);
  });
});
