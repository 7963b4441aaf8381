#!/usr/bin/env node
// Copies the browser's self-hosted binaries from node_modules into public/ (nothing is fetched
// from a CDN at run time): tfjs's wasm backend binaries → public/tfjs/, and the notebook editor's
// tfjs type declarations → public/notebook/tfjs-types.json. Run before every build
// and dev server (npm's prebuild/predev), so they always match the installed packages.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(root, 'package.json'));
const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
const out = join(root, 'public/tfjs');
mkdirSync(out, { recursive: true });
let n = 0;
for (const f of readdirSync(wasmDir)) {
  if (!f.endsWith('.wasm')) continue;
  copyFileSync(join(wasmDir, f), join(out, f));
  n++;
}
if (n === 0) {
  process.stderr.write(`public-assets: no .wasm files in ${wasmDir}\n`);
  process.exit(1);
}
process.stdout.write(`public-assets: ${n} tfjs wasm binaries → public/tfjs/\n`);

// The notebook's editor types tfjs: every `.d.ts` reachable from the tfjs packages' entry points,
// in one JSON keyed by the path Monaco's TypeScript worker resolves (`file:///node_modules/…`),
// plus an `index.d.ts` per package so a bare `@tensorflow/tfjs-core` import resolves too.
const TFJS_TYPE_PACKAGES = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-data',
  '@tensorflow/tfjs-converter',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-webgl',
  '@tensorflow/tfjs-backend-webgpu',
  '@tensorflow/tfjs-backend-wasm',
];
const nodeModules = join(root, 'node_modules');
const types = {};
const pending = [];
const pkgRoot = (name) => dirname(require.resolve(`${name}/package.json`));
const SPECIFIER = /(?:from\s+|import\s*\(\s*|import\s+|reference\s+path=)['"]([^'"]+)['"]/g;

function resolveSpecifier(spec, fromFile) {
  let base;
  if (spec.startsWith('.')) base = resolve(dirname(fromFile), spec);
  else {
    const name = TFJS_TYPE_PACKAGES.find((p) => spec === p || spec.startsWith(`${p}/`));
    if (!name) return null; // outside tfjs (e.g. @webgpu/types): left unresolved, typed as any
    const rest = spec.slice(name.length);
    if (!rest) return join(pkgRoot(name), JSON.parse(readFileSync(join(pkgRoot(name), 'package.json'), 'utf8')).types ?? 'index.d.ts');
    base = join(pkgRoot(name), rest);
  }
  for (const candidate of [base, `${base.replace(/\.js$/, '')}.d.ts`, join(base, 'index.d.ts')]) {
    if (candidate.endsWith('.d.ts') && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}
for (const name of TFJS_TYPE_PACKAGES) {
  const dir = pkgRoot(name);
  const entry = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).types ?? 'index.d.ts';
  const rel = relative(nodeModules, dir).split(sep).join('/');
  types[`file:///node_modules/${rel}/index.d.ts`] = `export * from './${entry.replace(/\.d\.ts$/, '')}';\n`;
  pending.push(join(dir, entry));
}
const seen = new Set();
while (pending.length) {
  const file = pending.pop();
  if (seen.has(file)) continue;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  types[`file:///node_modules/${relative(nodeModules, file).split(sep).join('/')}`] = text;
  for (const m of text.matchAll(SPECIFIER)) {
    const next = resolveSpecifier(m[1], file);
    if (next && !seen.has(next)) pending.push(next);
  }
}
mkdirSync(join(root, 'public/notebook'), { recursive: true });
const typesJson = JSON.stringify(types);
writeFileSync(join(root, 'public/notebook/tfjs-types.json'), typesJson);
process.stdout.write(`public-assets: ${seen.size} tfjs .d.ts files (${(typesJson.length / 1e6).toFixed(1)} MB) → public/notebook/tfjs-types.json\n`);
