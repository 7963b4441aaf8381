/**
 * For tests of what a web worker loads (Vitest, Node only): walks a worker's import graph (value
 * imports; types are erased) through the repository's own sources and lists, per file, what in
 * it could reach the network — a network API, or an `/api` URL. Packages are listed by name.
 * Workers that run user code (the notebook kernel, the canvas's run worker) must show none.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';

export const REPO = join(import.meta.dirname, '../..');
const NETWORK = new Set(['fetch', 'XMLHttpRequest', 'EventSource', 'WebSocket', 'importScripts', 'sendBeacon']);

function resolveLocal(from: string, spec: string): string | null {
  const base = spec.startsWith('@/') ? join(REPO, spec.slice(2)) : spec.startsWith('.') ? resolve(dirname(from), spec) : null;
  if (!base) return null;
  const file = [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')].find((f) => /\.tsx?$/.test(f) && existsSync(f));
  if (!file) throw new Error(`${from}: cannot resolve "${spec}"`);
  return file;
}

/** Value imports of a file, and what in it could reach the network. */
export function scanFile(file: string): { specs: string[]; network: string[] } {
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

/** Every repository file the worker at `entry` loads (with its network findings), and the packages it imports. */
export function workerGraph(entry: string): { files: Map<string, string[]>; packages: Set<string> } {
  const files = new Map<string, string[]>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const f = queue.pop()!;
    if (files.has(f)) continue;
    const { specs, network } = scanFile(f);
    files.set(f, network);
    for (const s of specs) {
      const local = resolveLocal(f, s);
      if (local) queue.push(local);
      else packages.add(s);
    }
  }
  return { files, packages };
}
