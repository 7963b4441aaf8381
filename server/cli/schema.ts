/**
 * `kiln schema export DATASET` / `kiln schema set DATASET --file schema.json` (a dataset name's
 * data schema as a versioned project artifact, as JSON Schema), `kiln endpoint monitoring NAME`
 * (an endpoint's prediction-log and anomaly settings), and how an upload's or a run's anomalies
 * are printed.
 */
import { DRIFT_METHODS, type DriftMethod, type DriftOptions } from '../../lib/sketch/drift';
import { writeFile } from 'node:fs/promises';
import { KilnError } from '../../lib/errors';
import { ANOMALY_CODES, type Anomaly } from '../../lib/sketch/anomalies';
import { readJsonFile } from './io';
import { client, guarded, type Common, type IO } from './registry';

export interface SchemaOptions extends Common {
  project: string;
}

export interface SchemaExportOptions extends SchemaOptions {
  version?: string;
  /** write the JSON Schema here instead of stdout */
  output?: string;
}

function parseSchemaVersion(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.replace(/^v/i, ''));
  if (!Number.isInteger(n) || n < 1) throw new KilnError('BAD_OPTION', `--version must be a schema version number such as 2, got "${v}"`);
  return n;
}

/**
 * `kiln schema export DATASET`: the JSON Schema (draft 2020-12) of the dataset name's newest saved
 * schema (or `--version N`), else the one inferred from its newest version. `--json` wraps it with
 * where it came from: `{ dataset, source, jsonSchema }`.
 */
export function schemaExportCommand(dataset: string, o: SchemaExportOptions, io: IO): Promise<number> {
  return guarded(o, io, async () => {
    const version = parseSchemaVersion(o.version);
    const r = await client(o.server).datasets.schema.query({ projectName: o.project, name: dataset, ...(version !== undefined ? { version } : {}) });
    const text = o.json ? JSON.stringify({ dataset: r.dataset, source: r.source, jsonSchema: r.jsonSchema }) : JSON.stringify(r.jsonSchema, null, 2);
    if (o.output) {
      await writeFile(o.output, `${text}\n`);
      io.err(`wrote ${o.output}: schema of "${dataset}" (${r.source.kind === 'schema' ? `saved version ${r.source.version}` : `inferred from dataset version ${r.source.datasetId}`}, ${r.schema.columns.length} columns)\n`);
    } else io.out(`${text}\n`);
    return 0;
  });
}

export interface SchemaSetOptions extends SchemaOptions {
  file: string;
}

/** `kiln schema set DATASET --file schema.json`: saves the (edited) schema as the name's next schema version. */
export function schemaSetCommand(dataset: string, o: SchemaSetOptions, io: IO): Promise<number> {
  return guarded(o, io, async () => {
    const doc = await readJsonFile(o.file);
    const r = await client(o.server).datasets.setSchema.mutate({ projectName: o.project, name: dataset, schema: doc });
    if (o.json) io.out(`${JSON.stringify({ dataset: r.dataset, version: r.version, columns: r.columns })}\n`);
    else io.out(`${dataset}: schema version ${r.version} saved (${r.columns} columns); uploads of "${dataset}" are checked against it\n`);
    return 0;
  });
}

export interface EndpointMonitoringOptions extends Common {
  sampleRate?: string;
  retentionDays?: string;
  /** comma-separated anomaly codes, or `none` */
  rejectAnomalies?: string;
  driftShare?: string;
  /** `ks=0.01,wasserstein=0.2` */
  driftThreshold?: string;
  /** `Horsepower=wasserstein:0.2,Origin=:0.01` */
  featureDrift?: string;
  driftReset?: boolean;
}

const isMethod = (m: string): m is DriftMethod => (DRIFT_METHODS as readonly string[]).includes(m);
const positive = (flag: string, v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !(n > 0) || !Number.isFinite(n)) throw new KilnError('BAD_OPTION', `${flag}: expected a positive number, got "${v}"`);
  return n;
};

/**
 * The endpoint's drift settings after the drift flags: `current` (unless `--drift-reset`) with
 * `--drift-share`, `--drift-threshold` and `--feature-drift` applied on top; undefined when no
 * drift flag was given. @throws KilnError `BAD_OPTION` naming the flag and the bad part.
 */
export function driftFromFlags(current: DriftOptions, o: Pick<EndpointMonitoringOptions, 'driftShare' | 'driftThreshold' | 'featureDrift' | 'driftReset'>): DriftOptions | undefined {
  if (o.driftShare === undefined && o.driftThreshold === undefined && o.featureDrift === undefined && !o.driftReset) return undefined;
  const base = o.driftReset ? {} : current;
  const out: DriftOptions = { columns: { ...base.columns }, thresholds: { ...base.thresholds }, ...(base.shareThreshold !== undefined ? { shareThreshold: base.shareThreshold } : {}) };
  if (o.driftShare !== undefined) {
    const x = positive('--drift-share', o.driftShare);
    if (x > 1) throw new KilnError('BAD_OPTION', `--drift-share: a share from 0 to 1, got "${o.driftShare}"`);
    out.shareThreshold = x;
  }
  for (const part of (o.driftThreshold ?? '').split(',').filter((p) => p.trim())) {
    const [m, x] = part.split('=').map((t) => t.trim());
    if (!m || x === undefined || !isMethod(m)) throw new KilnError('BAD_OPTION', `--drift-threshold: expected METHOD=X with a method of ${DRIFT_METHODS.join(', ')}, got "${part}"`);
    out.thresholds![m] = positive(`--drift-threshold ${m}`, x);
  }
  for (const part of (o.featureDrift ?? '').split(',').filter((p) => p.trim())) {
    const eq = part.lastIndexOf('=');
    const name = part.slice(0, eq).trim();
    const [m, x] = part.slice(eq + 1).split(':').map((t) => t.trim());
    if (eq <= 0 || !name || (m && !isMethod(m)) || (!m && !x)) throw new KilnError('BAD_OPTION', `--feature-drift: expected NAME=METHOD:THRESHOLD (either may be left out; methods: ${DRIFT_METHODS.join(', ')}), got "${part}"`);
    out.columns![name] = { ...(m ? { method: m as DriftMethod } : {}), ...(x ? { threshold: positive(`--feature-drift ${name}`, x) } : {}) };
  }
  return out;
}

/** Reads `--reject-anomalies OUT_OF_RANGE,UNKNOWN_CATEGORY` (or `none`), naming an unknown code. */
export function parseAnomalyCodes(spec: string): string[] {
  if (spec.trim().toLowerCase() === 'none') return [];
  const codes = spec.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean);
  if (codes.length === 0) throw new KilnError('BAD_OPTION', '--reject-anomalies must be anomaly codes separated by commas, or none, got ""');
  for (const c of codes) {
    if (!(ANOMALY_CODES as readonly string[]).includes(c)) throw new KilnError('BAD_OPTION', `--reject-anomalies: unknown anomaly code "${c}" (codes: ${ANOMALY_CODES.join(', ')})`);
  }
  return codes;
}

/** `kiln endpoint monitoring NAME [--sample-rate X] [--retention-days N] [--reject-anomalies CODES|none]`. */
export function endpointMonitoringCommand(name: string, o: EndpointMonitoringOptions, io: IO): Promise<number> {
  return guarded(o, io, async () => {
    const num = (flag: string, v: string | undefined, integer: boolean) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new KilnError('BAD_OPTION', `${flag} must be ${integer ? 'a whole number' : 'a number'}, got "${v}"`);
      return n;
    };
    const sampleRate = num('--sample-rate', o.sampleRate, false);
    const retentionDays = num('--retention-days', o.retentionDays, true);
    const rejectAnomalies = o.rejectAnomalies !== undefined ? parseAnomalyCodes(o.rejectAnomalies) : undefined;
    const api = client(o.server);
    // Bad drift flags are named before anything is asked of the server.
    const wantsDrift = driftFromFlags({}, o) !== undefined;
    const current = wantsDrift && !o.driftReset ? (await api.endpoints.get.query({ name })).monitoring.drift : {};
    const drift = driftFromFlags(current, o);
    const r = await api.endpoints.setMonitoring.mutate({
      name,
      ...(sampleRate !== undefined ? { sampleRate } : {}),
      ...(retentionDays !== undefined ? { retentionDays } : {}),
      ...(rejectAnomalies !== undefined ? { rejectAnomalies } : {}),
      ...(drift !== undefined ? { drift } : {}),
    });
    if (o.json) io.out(`${JSON.stringify({ endpoint: name, ...r.monitoring, replicas: r.replicas })}\n`);
    else {
      const m = r.monitoring;
      io.out(`${name}: logs ${m.sampleRate * 100}% of predictions for ${m.retentionDays} days; rejects ${m.rejectAnomalies.length ? m.rejectAnomalies.join(', ') : 'no anomalies (all are tagged)'}\n`);
      const d = m.drift;
      const parts = [
        ...Object.entries(d.thresholds ?? {}).map(([k, v]) => `${k} ${v}`),
        ...Object.entries(d.columns ?? {}).map(([k, v]) => `${k}: ${[v.method, v.threshold].filter((x) => x !== undefined).join(' ')}`),
        ...(d.shareThreshold !== undefined ? [`share ${d.shareThreshold}`] : []),
      ];
      io.out(`  drift: ${parts.length ? parts.join('; ') : "Evidently's defaults"}\n`);
    }
    return 0;
  });
}

/** One line per anomaly, indented, at most `limit` (then how many more). */
export function anomalyLines(anomalies: readonly Pick<Anomaly, 'code' | 'message'>[], limit = 20): string[] {
  const lines = anomalies.slice(0, limit).map((a) => `  ! ${a.message}`);
  if (anomalies.length > limit) lines.push(`  … ${anomalies.length - limit} more`);
  return lines;
}
