/**
 * Kiln vs scikit-learn on the same split: `npm run bench:parity`.
 * Runs `kiln init`'s pipelines (cars linear + MLP, penguins linear + MLP) with Kiln, writes the
 * exact train/test row indices Kiln used, and fits the equivalent scikit-learn pipeline on the
 * same rows (Debian's python3-sklearn). Prints both metrics side by side.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../lib/nodes/catalog';
import { initNodeBackend } from '../lib/backend/node';
import { loadBuiltinDataset } from '../lib/data/node';
import { parseTable } from '../lib/data/infer';
import { runGraph } from '../lib/exec/executor';
import { initGraphFromTable } from '../lib/graph/templates';
import type { Evaluation, Frame } from '../lib/nodes/types';

const cases = [
  { dataset: 'cars', target: 'Miles_per_Gallon', model: 'linear' as const },
  { dataset: 'cars', target: 'Miles_per_Gallon', model: 'mlp' as const },
  { dataset: 'penguins', target: 'Species', model: 'linear' as const },
  { dataset: 'penguins', target: 'Species', model: 'mlp' as const },
];

const backend = (process.argv[2] ?? 'wasm') as 'cpu' | 'wasm' | 'webgpu';
const info = await initNodeBackend(backend, { vulkanIcdFiles: process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES });
const dir = mkdtempSync(join(tmpdir(), 'kiln-parity-'));
const rows: string[] = [];
for (const c of cases) {
  const src = await loadBuiltinDataset(c.dataset);
  const table = parseTable(src);
  const { graph, task } = initGraphFromTable(table, { target: c.target, model: c.model, source: { source: 'builtin', name: c.dataset } });
  const t0 = performance.now();
  const r = await runGraph(graph, { loadData: async (ref) => loadBuiltinDataset(ref.builtin!) });
  const ms = performance.now() - t0;
  const split = (r.outputs.split!.data as Frame).split!;
  const ev = r.outputs.evaluate!.metrics as Evaluation;
  const test = [...split.keys()].filter((i) => split[i] === 1);
  const train = [...split.keys()].filter((i) => split[i] === 0);
  const spec = join(dir, `${c.dataset}-${c.model}.json`);
  const dropped = graph.nodes.find((n) => n.id === 'drop_ids')?.params.columns ?? [];
  writeFileSync(spec, JSON.stringify({ file: src.name, path: join(import.meta.dirname, '../node_modules/vega-datasets/data', src.name), target: c.target, task, model: c.model, train, test, drop: dropped }));
  const sk = JSON.parse(execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'sklearn_parity.py'), spec], { encoding: 'utf8' })) as { metrics: Record<string, number>; seconds: number };
  for (const k of Object.keys(ev.metrics)) {
    rows.push(`| ${c.dataset} | ${c.model} | ${k} | ${ev.metrics[k]!.toFixed(4)} | ${sk.metrics[k]?.toFixed(4) ?? 'n/a'} | ${(ms / 1000).toFixed(2)} s / ${sk.seconds.toFixed(2)} s |`);
  }
}
console.log(`Kiln ${backend} (${info.adapter}) vs scikit-learn, same train/test rows (kiln init pipelines)\n`);
console.log('| data | model | metric | Kiln | scikit-learn | fit time Kiln / sklearn |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
