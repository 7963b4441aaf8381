import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command, CommanderError } from 'commander';
import * as tf from '@tensorflow/tfjs';
import '../../lib/nodes/catalog';
import { KilnError, isKilnError } from '../../lib/errors';
import { GraphInvalidError } from '../../lib/exec/executor';
import { formatDiagnostic, validateGraph } from '../../lib/graph/validate';
import { initGraphFromTable } from '../../lib/graph/templates';
import { parseTable } from '../../lib/data/infer';
import { readDataFile } from '../../lib/data/node';
import { runCommand } from './run';
import { predictCommand } from './predict';
import type { RunnerCommandOptions } from './runner';
import type { SubmitOptions } from './submit';
import type { ServeOptions, ServingCommandOptions } from './serve';
import type { LoginOptions } from './login';
import type { FeedbackOptions, MonitorOptions } from './monitor';
import type { ExportOptions, RulesOptions } from './monitor-alerts';
import type { EndpointMonitoringOptions, SchemaExportOptions, SchemaSetOptions } from './schema';
import type { AliasSetOptions, EndpointBindOptions, EndpointKeyOptions, RegisterOptions } from './registry';
import { readJsonFile } from './io';
import { getConfig, type KilnConfig } from '../config';

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** Runs the CLI with argv (without node and script); returns the exit code. Never throws. */
export async function main(argv: string[], io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) }): Promise<number> {
  // Skips tfjs's per-op debug checks (~6% faster training); Kiln validates its own inputs.
  tf.enableProdMode();
  // The environment is parsed once, before any command: a bad value stops every command in one line.
  let config: KilnConfig;
  try {
    config = getConfig();
  } catch (e) {
    io.err(`kiln: error: ${(e as Error).message}\n`);
    return 1;
  }
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
      const { graph, task } = initGraphFromTable(table, {
        target: o.target,
        ...(o.task ? { task: o.task as 'regression' | 'classification' } : {}),
        model: o.model as 'linear' | 'mlp',
        source: { source: 'input', name: 'data' },
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
      else if (v.ok) {
        io.out(`${file}: ok (${v.graph!.nodes.length} nodes, ${v.graph!.edges.length} edges)\n`);
        for (const d of v.diagnostics) io.err(`${file}: warning: ${formatDiagnostic(d)}\n`);
      }
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
    .option('--backend <name>', 'webgpu | wasm | cpu | auto (default: $KILN_RUNNER_BACKEND or auto)', config.runner.backend)
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
    .option('--model <name>', "registered model whose production version's training data the run's data is checked against for skew (default: the project's)")
    .option('--wait', 'follow the run to its end, printing progress; exit non-zero unless it succeeds')
    .option('--json', 'print one JSON object: runId, status, metrics, backend, device, gates, uploads, skew')
    .action(async (file: string, o: SubmitOptions) => {
      const { submitCommand } = await import('./submit');
      code = await submitCommand(file, o, io);
    });

  // The serving data plane (server/cli/serve.ts): same flags for one package or the registry's endpoints.
  const servingFlags = (c: Command) =>
    c
      .option('--port <n>', 'port (TF Serving\'s REST port by default)', '8501')
      .option('--host <host>', 'interface to listen on', '127.0.0.1')
      .option('--max-concurrency <n>', 'requests in flight at most; more are answered 429 at once (instances in flight and queued work are bounded too: KILN_SERVING_MAX_INSTANCES_IN_FLIGHT, KILN_SERVING_MAX_QUEUE_WAIT_MS)', '256')
      .option('--max-instances <n>', 'instances per request at most (413 above)', '1000')
      .option('--max-body-bytes <n>', 'request body cap (413 above)', String(4 * 1024 * 1024))
      .option('--timeout-ms <n>', 'answer 503 when a request takes longer', '10000')
      .option('--batch <mode>', 'micro-batch concurrent requests: auto | on | off', 'auto')
      .option('--backend <name>', 'tfjs backend for models the compiled path cannot run: webgpu | wasm | cpu | auto', 'cpu')
      .option('--no-compiled', 'always predict with tfjs (no compiled forward pass)');
  servingFlags(
    program
      .command('serve')
      .description('serve a model package over TF Serving\'s REST API (and KServe V2) until SIGTERM')
      .argument('<dir>', 'model package directory')
      .option('--name <name>', 'model NAME in /v1/models/NAME (default: the package\'s model name)'),
  ).action(async (dir: string, o: ServeOptions) => {
    const { serveCommand } = await import('./serve');
    code = await serveCommand(dir, o, io);
  });
  servingFlags(
    program
      .command('serving')
      .description('serve the endpoints of a Kiln server\'s registry, swapping versions as they change, until SIGTERM')
      .requiredOption('--server <url>', 'Kiln server URL, e.g. http://127.0.0.1:3000')
      .option('--token <token>', 'machine token (default: $KILN_SERVING_TOKEN)')
      .option('--poll-ms <n>', 'pause between config polls when the control plane does not long-poll, and after an error', '2000'),
  ).action(async (o: ServingCommandOptions) => {
    const { servingCommand } = await import('./serve');
    code = await servingCommand(o, io);
  });

  // Registry commands for CI/CD (server/cli/registry.ts): exit 3 when a gate blocks.
  const server = (c: Command) => c.requiredOption('--server <url>', 'Kiln server URL, e.g. http://127.0.0.1:3000').option('--json', 'print one JSON object').option('--actor <who>', 'who does this, for the history (default: cli:<user>@<host>)');
  server(
    program
      .command('register')
      .description("register a succeeded run's model package as the model's next version (checked for serveability)")
      .argument('<runId>', 'id of a succeeded run')
      .requiredOption('--model <name>', 'registered model name (created on first use)')
      .option('--description <text>', 'description of the version'),
  ).action(async (runId: string, o: RegisterOptions) => {
    const { registerCommand } = await import('./registry');
    code = await registerCommand(runId, o, io);
  });
  const alias = program.command('alias').description('move model aliases (staging, production …) through their gates');
  server(
    alias
      .command('set')
      .description('move ALIAS of MODEL to VERSION if every gate passes; exit 3 when a gate blocks')
      .argument('<model>', 'registered model name')
      .argument('<alias>', 'alias, e.g. production')
      .argument('<version>', 'version number')
      .option('--reason <text>', 'why, recorded in the alias history')
      .option('--min-absolute-change <x>', 'must beat the current holder by at least this much')
      .option('--min-relative-change <y>', 'must beat the current holder by at least this fraction')
      .option('--metric <name>', 'metric the "must beat" gate compares (default: the evaluate gates\' first metric)')
      .option('--force', 'move even if the metric or must-beat gates fail (recorded as forced)')
      .option('--dry-run', 'show the gate results without moving'),
  ).action(async (model: string, a: string, version: string, o: AliasSetOptions) => {
    const { aliasSetCommand } = await import('./registry');
    code = await aliasSetCommand(model, a, version, o, io);
  });
  // Accounts (server/cli/login.ts): the token every server command sends.
  program
    .command('login')
    .description('store a personal access token for a server (checked first); later commands send it')
    .requiredOption('--server <url>', 'Kiln server URL, e.g. http://127.0.0.1:3000')
    .option('--token <token>', 'a personal access token made in the studio (Account → Tokens)')
    .option('--email <email>', 'sign in with email and password instead (read from stdin with --password-stdin)')
    .option('--password-stdin', 'read the password from stdin')
    .option('--scope <scope>', 'scope of the token made from a password: READ, EDIT or MANAGE (default MANAGE)')
    .option('--json', 'print one JSON object')
    .action(async (o: LoginOptions) => {
      const { loginCommand } = await import('./login');
      code = await loginCommand(o, io);
    });
  program
    .command('logout')
    .description("forget the stored token for a server")
    .requiredOption('--server <url>', 'Kiln server URL')
    .action(async (o: { server: string }) => {
      const { logoutCommand } = await import('./login');
      code = await logoutCommand(o, io);
    });
  program
    .command('whoami')
    .description('show who the token for a server (KILN_TOKEN or the stored one) belongs to')
    .requiredOption('--server <url>', 'Kiln server URL')
    .option('--json', 'print one JSON object')
    .action(async (o: { server: string; json?: boolean }) => {
      const { whoamiCommand } = await import('./login');
      code = await whoamiCommand(o, io);
    });

  const endpoint = program.command('endpoint').description('bind endpoints and make their API keys');
  server(
    endpoint
      .command('bind')
      .description('create or rebind endpoint NAME to a model alias or version, optionally with a traffic split')
      .argument('<name>', 'endpoint name (the NAME in /v1/models/NAME:predict)')
      .requiredOption('--model <name>', 'registered model name')
      .option('--alias <alias>', 'serve the version this alias points to (follows alias moves)')
      .option('--version <n>', 'serve this version')
      .option('--traffic <split>', 'weighted split between READY versions, e.g. 3=90,4=10'),
  ).action(async (name: string, o: EndpointBindOptions) => {
    const { endpointBindCommand } = await import('./registry');
    code = await endpointBindCommand(name, o, io);
  });
  server(
    endpoint
      .command('key')
      .description('make a new API key for an endpoint (printed once)')
      .argument('<endpoint>', 'endpoint name')
      .option('--name <label>', 'label to tell keys apart'),
  ).action(async (name: string, o: EndpointKeyOptions) => {
    const { endpointKeyCommand } = await import('./registry');
    code = await endpointKeyCommand(name, o, io);
  });

  server(
    endpoint
      .command('monitoring')
      .description("set an endpoint's prediction-log sampling and retention, which anomalies serving answers with a 400, and its drift methods and thresholds")
      .argument('<endpoint>', 'endpoint name')
      .option('--sample-rate <x>', 'share of predictions logged, 0 to 1')
      .option('--retention-days <n>', 'days logged predictions are kept')
      .option('--reject-anomalies <codes>', `anomaly codes answered with a 400 instead of tagged, comma-separated (e.g. OUT_OF_RANGE,UNKNOWN_CATEGORY), or none`)
      .option('--drift-share <x>', 'share of drifted inputs at which the dataset drifts (default 0.5)')
      .option('--drift-threshold <m=x,…>', 'threshold per drift method for every input, e.g. ks=0.01,wasserstein=0.2 (methods: ks, wasserstein, chisquare, chi2_contingency, jensenshannon, z)')
      .option('--feature-drift <name=method:x,…>', 'method and/or threshold of one input, e.g. Horsepower=wasserstein:0.2,Origin=:0.01 (method or threshold may be left out)')
      .option('--drift-reset', "back to Evidently's defaults before applying the other drift options"),
  ).action(async (name: string, o: EndpointMonitoringOptions) => {
    const { endpointMonitoringCommand } = await import('./schema');
    code = await endpointMonitoringCommand(name, o, io);
  });

  // A dataset name's data schema as a versioned project artifact (server/cli/schema.ts).
  const schema = program.command('schema').description("export and edit a dataset's data schema (JSON Schema), the one uploads are checked against");
  server(
    schema
      .command('export')
      .description('print the JSON Schema of DATASET: its newest saved schema, else the one inferred from its newest version')
      .argument('<dataset>', 'dataset name in the project')
      .option('--project <name>', 'project', 'default')
      .option('--version <n>', 'a saved schema version')
      .option('-o, --output <file>', 'write the JSON Schema to this file'),
  ).action(async (name: string, o: SchemaExportOptions) => {
    const { schemaExportCommand } = await import('./schema');
    code = await schemaExportCommand(name, o, io);
  });
  server(
    schema
      .command('set')
      .description("save an edited schema (JSON Schema as export writes it) as DATASET's next schema version")
      .argument('<dataset>', 'dataset name in the project')
      .requiredOption('--file <file>', 'schema.json')
      .option('--project <name>', 'project', 'default'),
  ).action(async (name: string, o: SchemaSetOptions) => {
    const { schemaSetCommand } = await import('./schema');
    code = await schemaSetCommand(name, o, io);
  });

  server(
    program
      .command('monitor')
      .description("an endpoint's monitoring report: live metrics from feedback, drift, anomalies, alerts; also `kiln monitor rules ENDPOINT` and `kiln monitor export`")
      .argument('<endpoint>', 'endpoint name')
      .option('--window <duration>', 'the window reported, e.g. 1h, 24h, 7d', '24h')
      .option('--reference <ref>', '"training" (the training data) or a duration: the window just before', 'training')
      .option('--until <time>', 'end of the window, ISO 8601 (default: now)'),
  ).action(async (name: string, o: MonitorOptions) => {
    const { monitorCommand } = await import('./monitor');
    code = await monitorCommand(name, o, io);
  });
  // `kiln monitor rules …` and `kiln monitor export …` are these two (argv is rewritten below):
  // as subcommands of `monitor`, commander would hand their --server and --json to `monitor`.
  server(
    program
      .command('monitor-rules', { hidden: true })
      .description("list an endpoint's alert rules with their state; add or remove rules; set where its alerts go (docs/monitoring.md)")
      .argument('<endpoint>', 'endpoint name')
      .option('--add <rule>', 'add a rule, e.g. "mape > 0.45 over 24h", "stale_model > 60d" (repeatable)', collect, [])
      .option('--remove <rule>', 'remove a rule by its text or id (repeatable)', collect, [])
      .option('--webhook <url>', 'POST its alerts to this URL ("none" clears it)')
      .option('--email <address>', 'email its alerts here (repeatable; needs KILN_SMTP_URL on the server)', collect, [])
      .option('--history', 'also list the transitions, newest first'),
  ).action(async (name: string, o: RulesOptions) => {
    const { rulesCommand } = await import('./monitor-alerts');
    code = await rulesCommand(name, o, io);
  });
  server(
    program
      .command('monitor-export', { hidden: true })
      .description('write a Prometheus rules file for the configured alert rules and a Grafana dashboard')
      .option('--prometheus-rules <file>', 'the Prometheus rules file (YAML) to write')
      .option('--grafana <file>', 'the Grafana dashboard (JSON) to write')
      .option('--endpoint <name>', 'only this endpoint (repeatable; default: every endpoint you can read)', collect, []),
  ).action(async (o: ExportOptions) => {
    const { exportCommand } = await import('./monitor-alerts');
    code = await exportCommand(o, io);
  });
  server(
    program
      .command('feedback')
      .description('post actual outcomes for prediction ids (a CSV or JSON file with an "id" column and the target)')
      .argument('<endpoint>', 'endpoint name')
      .requiredOption('--input <file>', 'labels.csv or labels.json')
      .option('--target <column>', 'the column with the actual outcome (default: "actual", else the one column besides id)'),
  ).action(async (name: string, o: FeedbackOptions) => {
    const { feedbackCommand } = await import('./monitor');
    code = await feedbackCommand(name, o, io);
  });

  try {
    const sub = argv[0] === 'monitor' && (argv[1] === 'rules' || argv[1] === 'export') ? [`monitor-${argv[1]}`, ...argv.slice(2)] : argv;
    await program.parseAsync(sub, { from: 'user' });
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
