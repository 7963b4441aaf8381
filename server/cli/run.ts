import { basename } from 'node:path';
import { initNodeBackend } from '../../lib/backend/node';
import { parseTable } from '../../lib/data/infer';
import { sha256Hex } from '../../lib/data/hash';
import { loadBuiltinDataset, readDataFile } from '../../lib/data/node';
import { KilnError } from '../../lib/errors';
import { runGraph } from '../../lib/exec/executor';
import { validateGraph, formatDiagnostic } from '../../lib/graph/validate';
import { graphHash } from '../../lib/graph/canonical';
import type { DataSource } from '../../lib/nodes/types';
import { buildPackage } from '../../lib/package/package';
import { writePackageDir } from '../../lib/package/node';
import { selectTrainedModel } from '../runner/select-model';
import { KILN_VERSION } from './version';
import { readJsonFile } from './io';
import { sandboxRunCustom } from '../sandbox/sandbox';
import { getConfig } from '../config';
import { graphDatasets } from '../../lib/nodes/graph-queries';

export interface RunOptions {
  data: string[];
  test?: string;
  backend: string;
  out?: string;
  name?: string;
  overwrite?: boolean;
  json?: boolean;
  progress?: boolean;
}

interface IO {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** `--data FILE` or `--data NAME=FILE` → name → path ('*' = any input). */
export function parseDataSpecs(specs: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const s of specs) {
    const eq = s.indexOf('=');
    // A bare path may contain '=' only if it exists as given; NAME must look like an identifier.
    if (eq > 0 && /^[A-Za-z0-9_.-]+$/.test(s.slice(0, eq))) m.set(s.slice(0, eq), s.slice(eq + 1));
    else m.set('*', s);
  }
  return m;
}

/** Host data loader for Node: built-ins from vega-datasets, inputs from the files given. */
export function nodeDataLoader(files: Map<string, string>) {
  return async (ref: { builtin?: string; input?: string }): Promise<DataSource> => {
    if (ref.builtin) return loadBuiltinDataset(ref.builtin);
    const name = ref.input ?? '';
    const path = files.get(name) ?? files.get('*');
    if (!path) {
      throw new KilnError('NO_DATA', `the graph reads input dataset "${name}": pass --data FILE or --data ${name}=FILE`, { param: 'name' });
    }
    return readDataFile(path);
  };
}

/** `kiln run`: train, evaluate, package. Returns the exit code (3 when a gate fails). */
export async function runCommand(file: string, o: RunOptions, io: IO): Promise<number> {
  const doc = await readJsonFile(file);
  const v = validateGraph(doc);
  if (!v.ok) {
    for (const d of v.diagnostics.slice(0, 20)) io.err(`kiln: error: ${file}: ${formatDiagnostic(d)}\n`);
    return 1;
  }
  const graph = v.graph!;
  const backendName = o.backend as 'webgpu' | 'wasm' | 'cpu' | 'auto';
  if (!['webgpu', 'wasm', 'cpu', 'auto'].includes(backendName)) throw new KilnError('BAD_OPTION', `--backend must be webgpu, wasm, cpu or auto, got "${o.backend}"`);
  const t0 = performance.now();
  const backend = await initNodeBackend(backendName, { vulkanIcdFiles: getConfig().vulkanIcdFiles });
  const tBackend = performance.now() - t0;

  const loadData = nodeDataLoader(parseDataSpecs(o.data));
  let testData;
  let testDataHash: string | undefined;
  if (o.test) {
    const src = await readDataFile(o.test);
    // Parse the test file with the schema the graph declares, so type errors name its rows.
    const ds = graphDatasets(graph);
    const schema = ds.length === 1 ? ds[0]!.ref.schema : undefined;
    testData = parseTable(src, schema ? { schema } : {});
    testDataHash = sha256Hex(src.text);
  }

  // Progress goes to stderr for people at a terminal (or with --progress); pipes and CI logs get the result only.
  const progress = !o.json && (o.progress || process.stderr.isTTY === true);
  const result = await runGraph(graph, {
    loadData,
    runCustom: sandboxRunCustom(),
    ...(testData ? { testData, testDataHash: testDataHash! } : {}),
    onEvent: (e) => {
      if (!progress) return;
      if (e.type === 'node-finish') io.err(`  ✓ ${e.nodeId} (${e.kind}) ${e.cached ? 'cached' : `${Math.round(e.ms)} ms`}\n`);
      else if (e.type === 'log' && e.level === 'warn') io.err(`  ! ${e.nodeId}: ${e.message}\n`);
      else if (e.type === 'epoch' && (e.metrics.epoch % 25 === 0 || e.metrics.epoch === 1)) {
        io.err(`    epoch ${e.metrics.epoch} loss ${e.metrics.loss.toFixed(5)}${e.metrics.valLoss !== undefined ? ` val ${e.metrics.valLoss.toFixed(5)}` : ''}\n`);
      }
    },
  });

  const { trained, evaluation, verdictNodeId } = selectTrainedModel(result.graph, result.outputs);

  let packageDir: string | undefined;
  if (o.out) {
    if (!trained) throw new KilnError('NO_MODEL', `${file}: the graph trains no model, nothing to write to --out`);
    const files = buildPackage(trained, {
      name: o.name ?? graph.name ?? basename(file).replace(/\.json$/i, ''),
      ...(evaluation ? { evaluation } : {}),
      lineage: {
        graphHash: graphHash(graph),
        datasetHashes: trained.frame.datasetHashes,
        backend: backend.name,
        device: backend.adapter,
        seed: trained.seed,
        kilnVersion: KILN_VERSION,
      },
      kilnVersion: KILN_VERSION,
    });
    await writePackageDir(o.out, files, { overwrite: !!o.overwrite });
    packageDir = o.out;
  }

  const gates = evaluation?.gates ?? [];
  const failed = gates.filter((g) => !g.passed);
  const timings = { backendInitMs: Math.round(tBackend), totalMs: Math.round(performance.now() - t0), nodes: Object.fromEntries(Object.entries(result.timings).map(([k, ms]) => [k, Math.round(ms)])) };
  if (o.json) {
    io.out(
      `${JSON.stringify({
        status: failed.length ? 'gates_failed' : 'succeeded',
        metrics: evaluation?.metrics ?? {},
        gates,
        backend: backend.name,
        device: backend.adapter,
        graphHash: result.graphHash,
        nTest: evaluation?.nTest ?? 0,
        ...(verdictNodeId ? { verdict: verdictNodeId } : {}),
        timings,
        ...(packageDir ? { package: packageDir } : {}),
      })}\n`,
    );
  } else {
    io.out(`graph ${result.graphHash.slice(0, 12)} on ${backend.name} (${backend.adapter}) in ${(timings.totalMs / 1000).toFixed(1)} s\n`);
    if (evaluation) {
      io.out(`metrics of ${verdictNodeId ? `evaluate node "${verdictNodeId}" (the verdict)` : 'the evaluation'} on ${evaluation.nTest} test rows:\n`);
      for (const [k, val] of Object.entries(evaluation.metrics)) io.out(`  ${k.padEnd(10)} ${Number.isFinite(val) ? val.toFixed(4) : String(val)}\n`);
      for (const g of gates) io.out(`  gate ${g.passed ? 'passed' : 'FAILED'}: ${g.expr} (value ${g.value === null ? 'n/a' : g.value.toFixed(4)})\n`);
    }
    if (packageDir) io.out(`model package: ${packageDir}\n`);
  }
  return failed.length ? 3 : 0;
}
