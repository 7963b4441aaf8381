/**
 * The kernel worker runs user code and holds no credentials, so nothing it loads may talk to
 * the control plane: every Kiln call goes to the page as a message (./page-api.ts). This walks
 * the worker's import graph (value imports; types are erased) through the repository's own
 * sources and fails on a network API or an `/api` URL in any of them, or on the tRPC client.
 * Static assets (the tfjs wasm binaries) are fetched by tfjs itself, from /public.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '../../..');
const ENTRY = join(import.meta.dirname, 'kernel.worker.ts');
const NETWORK = new Set(['fetch', 'XMLHttpRequest', 'EventSource', 'WebSocket', 'importScripts', 'sendBeacon']);

function resolveLocal(from: string, spec: string): string | null {
  const base = spec.startsWith('@/') ? join(REPO, spec.slice(2)) : spec.startsWith('.') ? resolve(dirname(from), spec) : null;
  if (!base) return null;
  const file = [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')].find((f) => /\.tsx?$/.test(f) && existsSync(f));
  if (!file) throw new Error(`${relative(REPO, from)}: cannot resolve "${spec}"`);
  return file;
}

/** Value imports of a file, and what in it could reach the network. */
function scan(file: string) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const specs: string[] = [];
  const network: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && !n.importClause?.isTypeOnly) specs.push((n.moduleSpecifier as ts.StringLiteral).text);
    else if (ts.isExportDeclaration(n) && n.moduleSpecifier && !n.isTypeOnly) specs.push((n.moduleSpecifier as ts.StringLiteral).text);
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && ts.isStringLiteral(n.arguments[0]!)) specs.push(n.arguments[0].text);
    if (ts.isImportTypeNode(n) || (ts.isImportDeclaration(n) && n.importClause?.isTypeOnly)) return;
    if (ts.isIdentifier(n) && NETWORK.has(n.text)) network.push(`${n.text} (line ${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1})`);
    if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) && /\/api(\/|$)/.test(n.text)) {
      network.push(`"${n.text}" (line ${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1})`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return { specs, network };
}

function workerGraph() {
  const files = new Map<string, string[]>();
  const packages = new Set<string>();
  const queue = [ENTRY];
  while (queue.length) {
    const f = queue.pop()!;
    if (files.has(f)) continue;
    const { specs, network } = scan(f);
    files.set(f, network);
    for (const s of specs) {
      const local = resolveLocal(f, s);
      if (local) queue.push(local);
      else packages.add(s);
    }
  }
  return { files, packages };
}

describe('the kernel worker', () => {
  const { files, packages } = workerGraph();

  it('loads the engine and the kiln API, and no tRPC client or dataset fetcher', () => {
    const names = [...files.keys()].map((f) => relative(REPO, f));
    expect(names).toEqual(expect.arrayContaining(['components/notebook/kernel/kiln-api.ts', 'components/notebook/kernel/kiln-data.ts', 'lib/notebook/runtime.ts']));
    expect(names.filter((n) => !n.startsWith('lib/') && !n.startsWith('components/notebook/kernel/'))).toEqual([]);
    expect([...packages].filter((p) => p.startsWith('@trpc/'))).toEqual([]);
  });

  it('makes no network request and names no /api URL in any module it loads', () => {
    const found = Object.fromEntries([...files].filter(([, n]) => n.length).map(([f, n]) => [relative(REPO, f), n]));
    expect(found).toEqual({});
  });

  it('would see one (the check can fail)', () => {
    const { network } = scan(join(REPO, 'components/run/fetch-data.ts'));
    expect(network.some((n) => n.startsWith('fetch'))).toBe(true);
    expect(network.some((n) => n.includes('/api/datasets/'))).toBe(true);
  });
});
