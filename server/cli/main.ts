import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command, CommanderError } from 'commander';
import * as tf from '@tensorflow/tfjs';
import '../../lib/nodes/catalog';
import { KilnError, isKilnError } from '../../lib/errors';
import { GraphInvalidError } from '../../lib/exec/executor';
import { formatDiagnostic, validateGraph } from '../../lib/graph/validate';
import { initGraph } from '../../lib/graph/templates';
import { inferSchema, parseTable } from '../../lib/data/infer';
import { readDataFile } from '../../lib/data/node';
import { runCommand } from './run';
import { predictCommand } from './predict';
import type { RunnerCommandOptions } from './runner';
import type { SubmitOptions } from './submit';
import { readJsonFile } from './io';

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** Runs the CLI with argv (without node and script); returns the exit code. Never throws. */
export async function main(argv: string[], io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) }): Promise<number> {
  // Skips tfjs's per-op debug checks (~6% faster training); Kiln validates its own inputs.
  tf.enableProdMode();
  let code = 0;
  const program = new Command('kiln')
    .description('Kiln: one ML graph, from WebGPU prototype to served model')
    .option('--verbose', 'print stack traces')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('init')
    .description('infer the schema of a data file and write a starting pipeline (impute → encode → scale → model → train → evaluate)')
    .requiredOption('--data <file>', 'CSV or JSON records file')
    .requiredOption('--target <column>', 'column to predict')
    .option('--task <task>', 'regression | classification (default: inferred from the target)')
    .option('--model <model>', 'linear | mlp', 'linear')
    .option('-o, --output <file>', 'write the graph here (default: stdout)')
    .action(async (o: { data: string; target: string; task?: string; model: string; output?: string }) => {
      if (o.task && o.task !== 'regression' && o.task !== 'classification') throw new KilnError('BAD_OPTION', `--task must be regression or classification, got "${o.task}"`);
      if (o.model !== 'linear' && o.model !== 'mlp') throw new KilnError('BAD_OPTION', `--model must be linear or mlp, got "${o.model}"`);
      const src = await readDataFile(o.data);
      const table = parseTable(src);
      const schema = inferSchema(table);
      const uniqueCounts: Record<string, number> = {};
      for (const c of table.columns) if (c.type === 'categorical') uniqueCounts[c.name] = new Set(c.values.filter((v) => v !== null)).size;
      const { graph, task } = initGraph({
        schema,
        target: o.target,
        ...(o.task ? { task: o.task as 'regression' | 'classification' } : {}),
        model: o.model as 'linear' | 'mlp',
        source: { source: 'input', name: 'data' },
        uniqueCounts,
        file: basename(o.data),
      });
      const json = `${JSON.stringify(graph, null, 2)}\n`;
      if (o.output) {
        await writeFile(o.output, json);
        io.err(`wrote ${o.output}: ${task} of "${o.target}" from ${table.nRows} rows × ${table.columns.length} columns, ${graph.nodes.length} nodes\n`);
      } else io.out(json);
    });

  program
    .command('validate')
    .description('check a graph file and list every problem')
    .argument('<graph>', 'graph JSON file')
    .option('--json', 'print diagnostics as JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      const v = validateGraph(await readJsonFile(file));
      if (o.json) io.out(`${JSON.stringify({ ok: v.ok, diagnostics: v.diagnostics })}\n`);
      else if (v.ok) io.out(`${file}: ok (${v.graph!.nodes.length} nodes, ${v.graph!.edges.length} edges)\n`);
      else for (const d of v.diagnostics) io.err(`${file}: ${formatDiagnostic(d)}\n`);
      if (!v.ok) code = 1;
    });

  program
    .command('run')
    .description('train a graph, evaluate it and write the model package')
    .argument('<graph>', 'graph JSON file')
    .option('--data <spec>', 'data file for the graph\'s input dataset, or NAME=FILE (repeatable)', collect, [])
    .option('--test <file>', 'train on all rows of the data and score on this file instead of the graph\'s split')
    .option('--backend <name>', 'webgpu | wasm | cpu | auto', 'auto')
    .option('--out <dir>', 'write the model package here')
    .option('--name <name>', 'model name in the package (default: graph name or file name)')
    .option('--overwrite', 'replace an existing package directory')
    .option('--json', 'print one JSON object with metrics, gates, backend, graphHash, timings')
    .option('--progress', 'print per-node and per-epoch progress to stderr (default when stderr is a terminal)')
    .action(async (file: string, o: Parameters<typeof runCommand>[1]) => {
      code = await runCommand(file, o, io);
    });

  program
    .command('predict')
    .description('predict from a model package for an array of raw records')
    .argument('<dir>', 'model package directory')
    .requiredOption('--input <file>', 'JSON file with an array of records')
    .option('--backend <name>', 'webgpu | wasm | cpu | auto', 'cpu')
    .action(async (dir: string, o: { input: string; backend: string }) => {
      code = await predictCommand(dir, o, io);
    });

  program
    .command('runner')
    .description('train queued runs from a Kiln server until SIGTERM (then hand the run in flight back)')
    .requiredOption('--server <url>', 'Kiln server URL, e.g. http://127.0.0.1:3000')
    .option('--token <token>', 'runner token (default: $KILN_RUNNER_TOKEN)')
    .option('--backend <name>', 'webgpu | wasm | cpu | auto', 'auto')
    .option('--concurrency <n>', 'runs trained at the same time', '1')
    .option('--name <name>', 'name shown in the runners list (default: hostname-pid)')
    .action(async (o: RunnerCommandOptions) => {
      // Loaded on use: the server-side clients cost startup time the other commands need not pay.
      const { runnerCommand } = await import('./runner');
      code = await runnerCommand(o, io);
    });

  program
    .command('submit')
    .description('upload the data, queue a run of the graph on a Kiln server, and optionally wait for it')
    .argument('<graph>', 'graph JSON file')
    .requiredOption('--server <url>', 'Kiln server URL, e.g. http://127.0.0.1:3000')
    .option('--data <spec>', 'data file for the graph\'s input dataset, or NAME=FILE (repeatable)', collect, [])
    .option('--project <name>', 'project to record the run in', 'default')
    .option('--backend <name>', 'backend the run asks for: webgpu | wasm | cpu | auto', 'auto')
    .option('--wait', 'follow the run to its end, printing progress; exit non-zero unless it succeeds')
    .option('--json', 'print one JSON object: runId, status, metrics, backend, device, gates')
    .action(async (file: string, o: SubmitOptions) => {
      const { submitCommand } = await import('./submit');
      code = await submitCommand(file, o, io);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const verbose = argv.includes('--verbose');
    if (e instanceof GraphInvalidError) {
      for (const d of e.diagnostics.slice(0, 20)) io.err(`kiln: error: ${formatDiagnostic(d)}\n`);
    } else if (isKilnError(e)) io.err(`kiln: error: ${e.message}\n`);
    else io.err(`kiln: internal error: ${(e as Error)?.message ?? String(e)}${verbose ? '' : ' (run with --verbose for the stack)'}\n`);
    if (verbose && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    return 1;
  }
}
