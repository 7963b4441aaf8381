/**
 * Validating and reading model packages held as an in-memory file map. Every check that bounds
 * memory (file sizes, shapes, element counts) runs before anything is allocated from what the
 * package declares, so an untrusted package cannot exhaust memory or reach outside itself.
 */
import { KilnError, type ErrorCode } from '../errors';
import '../nodes/catalog';
import { fittedStateProblem } from '../nodes/fitted';
import { getNodeKind } from '../nodes/registry';
import type { SerializedModel } from '../nodes/types';
import {
  FORMAT_VERSION,
  MANIFEST_FILE,
  PACKAGE_LIMITS,
  WEIGHT_DTYPE_BYTES,
  formatIssuePath,
  manifestSchema,
  modelJsonSchema,
  type Manifest,
  type ModelJson,
} from './manifest';
import { dirOf, joinPath, unsafePathReason } from './paths';

/** A package as relative POSIX path → file bytes; what the browser and Node both work on. */
export type PackageFiles = Map<string, Uint8Array>;

export type PackageValidation = { ok: true; manifest: Manifest } | { ok: false; error: KilnError };

/** A member's model.json with its weight files resolved to package paths, one list per group. */
interface CheckedMember {
  modelJson: ModelJson;
  weightPaths: string[][];
}

interface CheckedPackage {
  manifest: Manifest;
  members: CheckedMember[];
}

function fail(code: ErrorCode, file: string, message: string, path?: string): never {
  throw new KilnError(code, `${file}: ${message}`, path === undefined ? { file } : { file, path });
}

function parseJsonFile(files: PackageFiles, file: string, what: string): unknown {
  const bytes = files.get(file);
  if (!bytes) fail('PACKAGE_MISSING_FILE', file, `${what} is missing from the package`);
  if (bytes.byteLength > PACKAGE_LIMITS.maxJsonBytes) {
    fail('PACKAGE_TOO_LARGE', file, `${bytes.byteLength} bytes is over the ${PACKAGE_LIMITS.maxJsonBytes}-byte limit for a JSON file`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    fail('PACKAGE_BAD_JSON', file, 'is not valid UTF-8 text');
  }
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    const detail = e instanceof Error ? e.message.split('\n')[0] : String(e);
    fail('PACKAGE_BAD_JSON', file, `invalid JSON (${detail})`);
  }
}

/** The first zod issue as `path: message`, with "missing" said plainly. */
function schemaFail(file: string, error: { issues: { path: PropertyKey[]; message: string; code: string }[] }): never {
  const issue = error.issues[0]!;
  const path = formatIssuePath(issue.path) || '(root)';
  const message = issue.code === 'invalid_type' && /received undefined/.test(issue.message) ? 'is missing' : issue.message;
  fail('PACKAGE_SCHEMA', file, `${path}: ${message}`, path);
}

function checkPath(file: string, field: string, p: string): void {
  const why = unsafePathReason(p);
  if (why) fail('PACKAGE_UNSAFE_PATH', file, `${field} ${JSON.stringify(p)} ${why}`, field);
}

/**
 * The package's manifest, parsed and checked against its schema (no cross-file checks).
 * @throws KilnError naming the file and field
 */
export function parseManifest(files: PackageFiles): Manifest {
  const raw = parseJsonFile(files, MANIFEST_FILE, 'the manifest');
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    fail('PACKAGE_SCHEMA', MANIFEST_FILE, 'expected a JSON object');
  }
  // A newer format gets its own message: "upgrade Kiln" is more useful than a schema error.
  const v = (raw as Record<string, unknown>).formatVersion;
  if (typeof v === 'number' && v > FORMAT_VERSION) {
    fail('PACKAGE_VERSION', MANIFEST_FILE, `formatVersion ${v} is newer than this Kiln supports (${FORMAT_VERSION}); upgrade Kiln to read it`, 'formatVersion');
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) schemaFail(MANIFEST_FILE, parsed.error);
  return parsed.data;
}

function duplicate(xs: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const x of xs) {
    if (seen.has(x)) return x;
    seen.add(x);
  }
  return undefined;
}

/** Cross-field rules the schema cannot express. */
function checkConsistency(m: Manifest): void {
  const F = MANIFEST_FILE;
  const bad = (path: string, message: string): never => fail('PACKAGE_INCONSISTENT', F, `${path}: ${message}`, path);
  if (m.task === 'classification') {
    const { labels, output } = m;
    if (!labels) return bad('labels', 'a classification package needs its class labels');
    if (output.type !== 'class') return bad('output.type', `"${output.type}" does not match task "classification" (expected "class")`);
    if (JSON.stringify(output.labels) !== JSON.stringify(labels)) bad('output.labels', 'differ from labels');
    const d = duplicate(labels);
    if (d !== undefined) bad('labels', `label ${JSON.stringify(d)} appears twice`);
  } else {
    const { output } = m;
    if (output.type !== 'number') return bad('output.type', `"${output.type}" does not match task "regression" (expected "number")`);
    if (output.name !== m.target) bad('output.name', `"${output.name}" differs from target "${m.target}"`);
  }
  if (m.targetScale && !(Number.isFinite(m.targetScale.std) && m.targetScale.std > 0 && Number.isFinite(m.targetScale.mean))) {
    bad('targetScale', 'mean must be finite and std finite and > 0');
  }
  const df = duplicate(m.features);
  if (df !== undefined) bad('features', `feature ${JSON.stringify(df)} appears twice`);
  const di = duplicate(m.inputSchema.map((c) => c.name));
  if (di !== undefined) bad('inputSchema', `field ${JSON.stringify(di)} appears twice`);
  m.members.forEach((mem, i) => {
    checkPath(F, `members[${i}].path`, mem.path);
    if (mem.intInputs.length !== mem.inputGroups.length) {
      bad(`members[${i}].intInputs`, `has ${mem.intInputs.length} entries for ${mem.inputGroups.length} input groups`);
    }
    mem.inputGroups.forEach((g, gi) =>
      g.forEach((c, ci) => {
        if (c >= m.features.length) bad(`members[${i}].inputGroups[${gi}][${ci}]`, `column index ${c} is out of range (${m.features.length} features)`);
      }),
    );
  });
  const statNames = m.trainingStats.features.map((s) => s.name);
  if (JSON.stringify(statNames) !== JSON.stringify(m.features)) bad('trainingStats.features', 'do not list the same columns as features');
  m.preprocessing.forEach((s, i) => {
    if (!getNodeKind(s.kind)?.apply) {
      fail('PACKAGE_UNKNOWN_STEP', F, `preprocessing[${i}].kind "${s.kind}" (node "${s.nodeId}") is not a step this Kiln can replay`, `preprocessing[${i}].kind`);
    }
    // The state must have the shape its kind declares: a bad package fails here, naming the field, not mid-prediction.
    const problem = fittedStateProblem(s);
    if (problem) bad(`preprocessing[${i}].${problem.path}`, `${problem.message} (the fitted ${s.kind} step of node "${s.nodeId}")`);
  });
}

/** Checks one member's model.json and its weight files; `budget` carries the package-wide element count. */
function checkMember(files: PackageFiles, modelPath: string, budget: { elements: number }): CheckedMember {
  const raw = parseJsonFile(files, modelPath, 'the model file');
  const parsed = modelJsonSchema.safeParse(raw);
  if (!parsed.success) schemaFail(modelPath, parsed.error);
  const mj = parsed.data;
  const dir = dirOf(modelPath);
  const weightPaths: string[][] = [];
  mj.weightsManifest.forEach((group, gi) => {
    // All sizes are checked in arithmetic on declared numbers: nothing is allocated here.
    let bytes = 0;
    group.weights.forEach((w, wi) => {
      const field = `weightsManifest[${gi}].weights[${wi}]`;
      if (w.quantization !== undefined) fail('PACKAGE_DTYPE', modelPath, `${field} ("${w.name}") is quantized, which Kiln packages do not support`, `${field}.quantization`);
      const size = WEIGHT_DTYPE_BYTES[w.dtype];
      if (size === undefined) {
        fail('PACKAGE_DTYPE', modelPath, `${field}.dtype "${w.dtype}" ("${w.name}") is not supported (expected ${Object.keys(WEIGHT_DTYPE_BYTES).join(', ')})`, `${field}.dtype`);
      }
      let elements = 1;
      for (const d of w.shape) {
        if (!Number.isInteger(d) || d < 0) fail('PACKAGE_BAD_SHAPE', modelPath, `${field}.shape ${JSON.stringify(w.shape)} ("${w.name}") has a dimension that is not a non-negative integer`, `${field}.shape`);
        if (d > PACKAGE_LIMITS.maxDim) fail('PACKAGE_BAD_SHAPE', modelPath, `${field}.shape ${JSON.stringify(w.shape)} ("${w.name}") has a dimension over ${PACKAGE_LIMITS.maxDim}`, `${field}.shape`);
        elements *= d;
        // Checked per step so the product cannot overflow into imprecise doubles unnoticed.
        if (budget.elements + elements > PACKAGE_LIMITS.maxTotalElements) {
          fail('PACKAGE_TOO_LARGE', modelPath, `${field}.shape ${JSON.stringify(w.shape)} ("${w.name}") takes the package over ${PACKAGE_LIMITS.maxTotalElements} weight elements`, `${field}.shape`);
        }
      }
      budget.elements += elements;
      bytes += elements * size;
    });
    const paths = group.paths.map((p, pi) => {
      checkPath(modelPath, `weightsManifest[${gi}].paths[${pi}]`, p);
      const full = joinPath(dir, p);
      if (!files.has(full)) fail('PACKAGE_MISSING_FILE', full, `weight file listed in ${modelPath} weightsManifest[${gi}].paths[${pi}] is missing from the package`);
      return full;
    });
    const actual = paths.reduce((s, p) => s + files.get(p)!.byteLength, 0);
    if (actual !== bytes) {
      fail(
        'PACKAGE_WEIGHTS_SIZE',
        paths.join(', ') || modelPath,
        `${actual} bytes of weights, but ${modelPath} weightsManifest[${gi}] declares ${bytes} bytes (truncated or mismatched file)`,
        `weightsManifest[${gi}]`,
      );
    }
    weightPaths.push(paths);
  });
  return { modelJson: mj, weightPaths };
}

function checkPackage(files: PackageFiles): CheckedPackage {
  for (const key of files.keys()) checkPath('package', 'file', key);
  const manifest = parseManifest(files);
  checkConsistency(manifest);
  const budget = { elements: 0 };
  const members = manifest.members.map((m) => checkMember(files, m.path, budget));
  return { manifest, members };
}

/**
 * Checks a package without loading any model: the manifest's schema and consistency, every
 * path, every model.json, weight file sizes against their declared shapes and dtypes, size
 * limits and that every preprocessing step can be replayed. Never throws.
 *
 * Errors are `KilnError`s whose one-line message names the package file and field, e.g.
 * `kiln-model.json: members[0].path "../x" escapes the package`. Codes: `PACKAGE_MISSING_FILE`,
 * `PACKAGE_BAD_JSON`, `PACKAGE_SCHEMA`, `PACKAGE_VERSION`, `PACKAGE_INCONSISTENT`,
 * `PACKAGE_UNSAFE_PATH`, `PACKAGE_UNKNOWN_STEP`, `PACKAGE_DTYPE`, `PACKAGE_BAD_SHAPE`,
 * `PACKAGE_TOO_LARGE`, `PACKAGE_WEIGHTS_SIZE`.
 */
export function validatePackage(files: PackageFiles): PackageValidation {
  const r = tryCheckPackage(files);
  return r.ok ? { ok: true, manifest: r.checked.manifest } : r;
}

function tryCheckPackage(files: PackageFiles): { ok: true; checked: CheckedPackage } | { ok: false; error: KilnError } {
  try {
    return { ok: true, checked: checkPackage(files) };
  } catch (e) {
    if (e instanceof KilnError) return { ok: false, error: e };
    const detail = e instanceof Error ? e.message : String(e);
    return { ok: false, error: new KilnError('PACKAGE_INVALID', `package: ${detail}`) };
  }
}

/** A validated package as data: the manifest and its members ready for `ModelRunner`. */
export interface ReadPackage {
  manifest: Manifest;
  members: SerializedModel[];
}

/**
 * Validates a package and returns its members as {@link SerializedModel}s.
 * @throws KilnError the error {@link validatePackage} reports.
 */
export function readPackage(files: PackageFiles): ReadPackage {
  const r = tryCheckPackage(files);
  if (!r.ok) throw r.error;
  const { manifest, members } = r.checked;
  return {
    manifest,
    members: members.map((cm, i) => {
      const entry = manifest.members[i]!;
      const parts = cm.weightPaths.flat().map((p) => files.get(p)!);
      const total = parts.reduce((s, b) => s + b.byteLength, 0);
      // tfjs reads the groups' shards back to back, in manifest order.
      const data = new Uint8Array(total);
      let o = 0;
      for (const b of parts) {
        data.set(b, o);
        o += b.byteLength;
      }
      return {
        modelTopology: cm.modelJson.modelTopology,
        weightSpecs: cm.modelJson.weightsManifest.flatMap((g) => g.weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: w.dtype }))),
        weightData: data.buffer,
        inputGroups: entry.inputGroups.map((g) => [...g]),
        intInputs: [...entry.intInputs],
        name: entry.name,
      };
    }),
  };
}
