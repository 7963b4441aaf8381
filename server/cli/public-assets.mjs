#!/usr/bin/env node
// Copies the browser's self-hosted binaries from node_modules into public/ (nothing is fetched
// from a CDN at run time): tfjs's wasm backend binaries → public/tfjs/. Run before every build
// and dev server (npm's prebuild/predev), so they always match the installed packages.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
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
