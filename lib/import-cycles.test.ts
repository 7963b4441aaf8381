import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cyclesThrough } from './graph/topology';

// Modules of the engine that import each other (even for types only) cannot be understood,
// tested or moved alone; the graph of relative imports in lib/ must have no cycle.
const root = fileURLToPath(new URL('.', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [p] : [];
  });
}

function resolveImport(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec.replace(/\.js$/, ''));
  for (const c of [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) if (existsSync(c)) return c;
  return null;
}

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gm;

/** Edges of lib/'s module graph: every relative `import … from` and `export … from`. */
function libImportEdges(): { ids: string[]; edges: { source: string; target: string }[] } {
  const files = sources(root);
  const edges: { source: string; target: string }[] = [];
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(IMPORT)) {
      const target = resolveImport(f, m[1]!);
      if (target && !target.endsWith('.test.ts')) edges.push({ source: relative(root, f), target: relative(root, target) });
    }
  }
  return { ids: files.map((f) => relative(root, f)), edges };
}

describe('lib/ module graph', () => {
  it('reads the imports it checks (the scan is not empty)', () => {
    const { edges } = libImportEdges();
    expect(edges).toContainEqual({ source: 'package/predictor.ts', target: 'package/outputs.ts' });
  });

  it('has no import cycle', () => {
    const { ids, edges } = libImportEdges();
    const cycles = [...new Set([...cyclesThrough(ids, edges).values()].map((c) => c.join(' → ')))];
    expect(cycles).toEqual([]);
  });
});
