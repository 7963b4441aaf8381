/**
 * The one catalog of error codes (xyflow's error table): each code a user or client can meet
 * has its HTTP status, a message template and the field it names. REST routes, tRPC and the
 * serving process answer an error through this table, so a code means the same status
 * everywhere; lib code throws these codes and never thinks about HTTP.
 *
 * Templates are the message's shape with `{name}` placeholders; {@link formatErrorMessage}
 * fills them. Most throw sites write a richer message of the same shape themselves (it names
 * the file, row or node in the caller's words); the template is the default and the reference.
 */
/** Where an error is: the file, row, column, node, param, port or JSON path it names. */
export interface ErrorLocation {
  file?: string;
  row?: number;
  column?: string;
  nodeId?: string;
  param?: string;
  port?: string;
  path?: string;
}

/** What an error names: a key of {@link ErrorLocation}, or a part of an HTTP request. */
export type ErrorField = keyof ErrorLocation | 'body' | 'query' | 'header' | 'url';

export interface ErrorSpec {
  /** the HTTP status every server answers this code with */
  readonly status: number;
  /** the message's shape, `{name}` placeholders filled by {@link formatErrorMessage} */
  readonly message: string;
  /** the field the error names, where it names one */
  readonly field?: ErrorField;
}

/** `satisfies` keeps each entry's literal type while checking every entry's shape. */
export const ERROR_CATALOG = {
  // ── Requests: shape, size, auth (REST, tRPC, serving) ──────────────────────────────────
  BAD_REQUEST: { status: 400, message: '{what}: {problem}', field: 'body' },
  BAD_JSON: { status: 400, message: '{file}: invalid JSON ({detail})', field: 'body' },
  INVALID_REQUEST: { status: 400, message: '{field}: {problem}', field: 'body' },
  INVALID_RECORD: { status: 400, message: 'record {row} field "{column}": {problem}', field: 'column' },
  UNAUTHORIZED: { status: 401, message: '{what}: missing or unknown credentials', field: 'header' },
  FORBIDDEN: { status: 403, message: '{what}: credentials not accepted', field: 'header' },
  // ── Accounts, roles and tokens (server/auth) ───────────────────────────────────────────
  SIGN_IN_REQUIRED: { status: 401, message: 'sign in, or send a token (Authorization: Bearer <token>)', field: 'header' },
  TOKEN_INVALID: { status: 401, message: 'the {kind} token is unknown, expired or revoked', field: 'header' },
  PERMISSION_DENIED: { status: 403, message: 'needs {permission} on {resource}' },
  CSRF_REQUIRED: { status: 403, message: "this request carries the session cookie but not the page's anti-forgery header (x-kiln-csrf)", field: 'header' },
  ACCOUNT_DEACTIVATED: { status: 403, message: 'the account {email} is deactivated' },
  USER_NOT_FOUND: { status: 404, message: 'no user {who}' },
  SIGN_IN_LINK_INVALID: { status: 400, message: 'this sign-in link is unknown, used or expired' },
  SHARE_LINK_INVALID: { status: 404, message: 'this share link is unknown, expired or revoked' },
  RATE_LIMITED: { status: 429, message: 'too many {what}; wait and try again' },
  LAST_ADMIN: { status: 409, message: 'the organisation needs at least one active owner or admin' },
  NOT_FOUND: { status: 404, message: 'no {what}', field: 'url' },
  METHOD_NOT_ALLOWED: { status: 405, message: '{method} is not allowed on {path}', field: 'url' },
  CONFLICT: { status: 409, message: '{what}: {problem}' },
  PAYLOAD_TOO_LARGE: { status: 413, message: '{what} is larger than the {limit}-byte limit', field: 'body' },
  TOO_MANY_INSTANCES: { status: 413, message: '{what}: {n} instances is more than the {max} allowed per request; send them in batches', field: 'body' },
  OVERLOADED: { status: 429, message: 'over the limit of {max} requests in flight; retry later' },
  TIMEOUT: { status: 503, message: 'request timed out after {ms} ms' },
  UNAVAILABLE: { status: 503, message: '{what} is not available yet' },
  INTERNAL: { status: 500, message: 'internal server error' },
  HOST_NOT_ALLOWED: { status: 403, message: 'Host "{host}" is not one this server answers to', field: 'header' },
  CROSS_ORIGIN: { status: 403, message: '{method} from origin {origin} is refused', field: 'header' },

  // ── Runner protocol and queue ──────────────────────────────────────────────────────────
  LEASE_LOST: { status: 409, message: 'run {runId}: this attempt no longer holds the run (lease expired or the run was finished by another attempt)' },
  QUEUE_BAD_LEASE: { status: 400, message: 'lease must be a positive number of milliseconds, got {value}', field: 'param' },
  RUN_BAD_OPTION: { status: 400, message: '{option} must be {expected}, got {value}', field: 'param' },
  RUN_EVENT_INVALID: { status: 400, message: 'events[{index}].{field}: {problem}', field: 'path' },
  RUN_GRAPH_NOT_FOUND: { status: 404, message: 'graph {hash} is not stored in this project' },
  RUN_DATASET_NOT_FOUND: { status: 404, message: 'dataset version {id} for input "{input}" is not stored in this project' },
  NO_DATA: { status: 400, message: 'the graph reads input dataset "{name}" but the run was submitted without it' },
  CANCELLED: { status: 409, message: '{what} cancelled' },
  RUNNER_FAILED: { status: 500, message: 'the runner failed: {detail}' },

  // ── Data files and tables ──────────────────────────────────────────────────────────────
  FILE_NOT_FOUND: { status: 404, message: '{file}: no such file', field: 'file' },
  FILE_UNREADABLE: { status: 400, message: '{file}: cannot read ({detail})', field: 'file' },
  UNSUPPORTED_FORMAT: { status: 400, message: '{file}: unsupported data file extension {ext}', field: 'file' },
  EMPTY_FILE: { status: 400, message: '{file}: the file is empty', field: 'file' },
  EMPTY_DATASET: { status: 400, message: '{file}: no rows to train on', field: 'file' },
  BAD_CSV: { status: 400, message: '{file} row {row}: {problem}', field: 'row' },
  NOT_ARRAY: { status: 400, message: '{file}: expected a JSON array of records, got {got}', field: 'file' },
  NO_ROWS: { status: 400, message: '{file}: the file has a header but no data rows', field: 'file' },
  EMPTY_COLUMN_NAME: { status: 400, message: '{file} row 1: column {index} has an empty name', field: 'column' },
  BAD_DATASET: { status: 400, message: 'dataset "{name}" has an invalid hash "{hash}"' },
  DATASET_HASH: { status: 400, message: 'dataset "{name}": downloaded content hashes to {got}, expected {expected}' },
  DATASET_DOWNLOAD: { status: 502, message: 'dataset "{name}": {problem}' },
  RAGGED_ROW: { status: 400, message: '{file} row {row}: {n} fields, expected {width}', field: 'row' },
  DUPLICATE_COLUMN: { status: 400, message: '{file}: column "{column}" appears twice', field: 'column' },
  BAD_VALUE: { status: 400, message: '{file} column "{column}": {value} is not {expected}', field: 'column' },
  BAD_RECORD: { status: 400, message: '{file} record [{row}]: expected an object, got {got}', field: 'row' },
  UNKNOWN_DATASET: { status: 404, message: 'unknown built-in dataset "{name}"', field: 'param' },
  BAD_INPUT: { status: 400, message: '{file}: expected a JSON array of records', field: 'file' },
  NOTEBOOK_FORMAT: { status: 400, message: '{file}: {problem}', field: 'path' },
  DATA_LIMIT: { status: 413, message: '{file} row {row} column {column}: {what} is over the limit of {limit}', field: 'row' },
  BAD_UTF8: { status: 400, message: '{file} row {row}: not valid UTF-8 (byte {offset})', field: 'row' },
  BAD_STORAGE_KEY: { status: 400, message: 'storage key {key} {problem}', field: 'path' },

  // ── Sketches, data schemas and drift (lib/sketch) ─────────────────────────────────────
  SKETCH_INVALID: { status: 400, message: '{what} at {path}: {problem}', field: 'path' },
  SKETCH_MISMATCH: { status: 400, message: '{what}: {problem}' },
  DATA_SCHEMA_INVALID: { status: 400, message: 'schema at {path}: {problem}', field: 'path' },
  DRIFT_METHOD: { status: 400, message: 'column "{column}": {problem}', field: 'column' },
  ALERT_RULE_INVALID: { status: 400, message: 'alert rule {rule}: {problem}', field: 'param' },
  /** serving: a record has an anomaly the endpoint's settings turn into a 400 */
  ANOMALY_REJECTED: { status: 400, message: 'instances[{index}] column "{column}": {code} (observed {value}); endpoint "{endpoint}" rejects {code}', field: 'path' },
  /** a run's data skews from the model's training data and KILN_SKEW_BLOCKS_RUNS is on */
  TRAINING_SKEW: { status: 409, message: 'run refused: {n} training/serving skew anomalies ({first})' },

  // ── Columns, params and nodes ──────────────────────────────────────────────────────────
  MISSING_COLUMN: { status: 400, message: 'column "{column}" not found (columns: {columns})', field: 'column' },
  UNKNOWN_COLUMN: { status: 400, message: 'node "{nodeId}" param "{param}": "{column}" is not a feature column', field: 'param' },
  COLUMN_TYPE: { status: 400, message: 'column "{column}" is {got}, but {what} needs {expected}', field: 'column' },
  MISSING_VALUE: { status: 400, message: 'column "{column}" row {row} is missing; add an impute node before the model', field: 'column' },
  NOT_ENCODED: { status: 400, message: 'node "{nodeId}" param "{param}": "{column}" has no encoding upstream', field: 'param' },
  NO_COLUMNS: { status: 400, message: 'node "{nodeId}" param "{param}": there are no columns to use', field: 'param' },
  NO_FEATURES: { status: 400, message: 'node "{nodeId}": no feature columns besides the target', field: 'nodeId' },
  NO_TARGET: { status: 400, message: 'node "{nodeId}": no target column; set param "target" on the dataset node', field: 'param' },
  TASK_MISMATCH: { status: 400, message: '{file}: target "{target}" is {got}; use --task {task}', field: 'param' },
  TOO_MANY_CLASSES: { status: 400, message: 'node "{nodeId}": target "{target}" has {n} classes (max {max})', field: 'nodeId' },
  ONE_CLASS: { status: 400, message: 'node "{nodeId}": target "{target}" has only one class in the training rows', field: 'nodeId' },
  NO_TRAINING_ROWS: { status: 400, message: 'no training rows left to fit the model', field: 'nodeId' },
  NO_TEST_ROWS: { status: 400, message: 'node "{nodeId}": no test rows with a value for "{target}"', field: 'nodeId' },
  PCA_ROWS: { status: 400, message: 'node "{nodeId}": PCA needs at least 2 training rows, got {n}', field: 'nodeId' },
  TARGET_COLUMN: { status: 400, message: 'node "{nodeId}" param "{param}": column "{column}" is the target; preprocessing transforms feature columns only', field: 'param' },
  DROP_TARGET: { status: 400, message: 'node "{nodeId}" param "columns": column "{column}" is the target and cannot be dropped', field: 'param' },
  FILTER_EMPTY: { status: 400, message: 'node "{nodeId}" param "expr": the condition keeps none of the {n} rows', field: 'param' },
  IMPUTE_FILL: { status: 400, message: 'node "{nodeId}" param "fillValue": "{value}" is not a number, but column "{column}" is {type}', field: 'param' },
  IMPUTE_EMPTY: { status: 400, message: 'node "{nodeId}" param "strategy": column "{column}" has no values in the training rows', field: 'param' },
  BINNING_EMPTY: { status: 400, message: 'node "{nodeId}" param "columns": column "{column}" has no values in the training rows', field: 'param' },
  SCALE_EMPTY: { status: 400, message: 'node "{nodeId}" param "columns": column "{column}" has no values in the training rows', field: 'param' },
  UNKNOWN_CATEGORY: { status: 400, message: 'column "{column}" has category "{value}" at row {row}, which was not seen in training', field: 'column' },
  TOO_MANY_CATEGORIES: { status: 400, message: 'node "{nodeId}" param "maxCategories": column "{column}" has {n} categories, more than {max}', field: 'param' },
  PCA_MISSING: { status: 400, message: 'column "{column}" has a missing value at row {row}; PCA needs complete rows', field: 'column' },
  PCA_COMPONENTS: { status: 400, message: 'node "{nodeId}" param "components": {n} components asked, but at most {max} are possible', field: 'param' },
  PCA_WHITEN: { status: 400, message: 'node "{nodeId}" param "components": component {component} has zero variance and cannot be whitened', field: 'param' },
  TOO_MANY_COLUMNS: { status: 400, message: 'node "{nodeId}" param "columns": at most {max} columns, got {n}', field: 'param' },
  TOO_MANY_FEATURES: { status: 400, message: 'node "{nodeId}" param "degree": {n} new columns, more than {max}', field: 'param' },
  SPLIT_EMPTY: { status: 400, message: 'node "{nodeId}" param "testFraction": both sides need at least one row', field: 'param' },
  SPLIT_NO_TARGET: { status: 400, message: 'node "{nodeId}" param "stratify": stratifying needs a target column, and this data has none', field: 'param' },
  SPLIT_STRATIFY: { status: 400, message: 'node "{nodeId}" param "stratify": target "{target}" has {n} distinct values; stratify needs a classification target', field: 'param' },
  SHAPE_MISMATCH: { status: 400, message: 'node "{nodeId}": {n} feature columns cannot be reshaped to {shape}', field: 'param' },
  BAD_GATE: { status: 400, message: 'gate "{expr}": expected "<metric> <op> <number>"', field: 'param' },
  CUSTOM_CODE: { status: 400, message: 'custom node "{name}": {problem}', field: 'param' },
  CUSTOM_RESULT: { status: 400, message: 'custom node "{name}": {problem}', field: 'param' },
  CUSTOM_TARGET: { status: 400, message: 'custom node "{name}": {problem}', field: 'param' },
  CUSTOM_ROWS: { status: 400, message: 'custom node "{name}": {problem}', field: 'param' },
  CUSTOM_TOO_LARGE: { status: 413, message: 'custom node "{name}": {problem}', field: 'param' },
  CUSTOM_UNAVAILABLE: { status: 503, message: 'custom node "{name}": {problem}', field: 'param' },
  CUSTOM_NOT_SERVABLE: { status: 400, message: 'custom node "{name}": serving never runs custom code', field: 'nodeId' },
  MISSING_INPUT: { status: 400, message: 'node "{nodeId}": input port "{port}" has no table', field: 'port' },
  BAD_PARAM: { status: 400, message: 'node "{nodeId}" param "{param}": {problem}', field: 'param' },
  FILTER_EXPR: { status: 400, message: 'node "{nodeId}" param "expr": {problem}', field: 'param' },
  ENSEMBLE_SIZE: { status: 400, message: 'node "{nodeId}": connect at least 2 trained models to "models" (got {n})', field: 'port' },
  ENSEMBLE_MISMATCH: { status: 400, message: 'node "{nodeId}": members were trained on different target rows', field: 'port' },
  METRIC_INPUT: { status: 400, message: '{metric}: {problem}', field: 'param' },
  NODE_FAILED: { status: 500, message: 'node "{nodeId}" ({kind}) failed: {detail}', field: 'nodeId' },
  DIVERGED: { status: 400, message: 'training diverged at epoch {epoch} (loss {loss}); lower the learning rate or scale the features', field: 'param' },
  NO_MODEL: { status: 400, message: '{file}: the graph trains no model, nothing to write to --out', field: 'file' },
  BACKEND_UNAVAILABLE: { status: 503, message: 'no tfjs backend could start: {detail}' },

  // ── Graphs (validation diagnostics carry these codes too) ─────────────────────────────
  GRAPH_INVALID: { status: 400, message: '{code} at {path}: {problem}', field: 'path' },
  GRAPH_VERSION: { status: 400, message: 'graph version {version} is not supported', field: 'path' },
  GRAPH_SHAPE: { status: 400, message: '{path}: {problem}', field: 'path' },
  GRAPH_TOO_LARGE: { status: 413, message: 'graph too large: at most {maxNodes} nodes and {maxEdges} edges', field: 'body' },
  GRAPH_CYCLE: { status: 400, message: 'the graph has a cycle through {nodes}', field: 'path' },
  DUPLICATE_ID: { status: 400, message: 'node id "{nodeId}" is used twice', field: 'nodeId' },
  DANGLING_EDGE: { status: 400, message: 'edge {path} refers to a missing node or port', field: 'path' },
  UNKNOWN_KIND: { status: 400, message: 'node "{nodeId}": unknown kind "{kind}"', field: 'nodeId' },
  UNKNOWN_PORT: { status: 400, message: 'node "{nodeId}" has no port "{port}"', field: 'port' },
  PORT_TYPE_MISMATCH: { status: 400, message: 'port "{port}" expects {expected}, got {got}', field: 'port' },
  PORT_MULTIPLE: { status: 400, message: 'port "{port}" takes one edge', field: 'port' },

  // ── Projects, notebooks, custom nodes ─────────────────────────────────────────────────
  PROJECT_NOT_FOUND: { status: 404, message: 'no project {name}' },
  PROJECT_EXISTS: { status: 409, message: 'a project named "{name}" already exists' },
  NOTEBOOK_CONFLICT: { status: 409, message: 'could not save the notebook: {n} concurrent saves in a row took the next version; try again' },
  NOTEBOOK_CORRUPT: { status: 500, message: 'notebook version {version} of "{project}" is not a valid document' },
  CUSTOM_NODE_INVALID: { status: 400, message: 'custom node "{name}": {problem}', field: 'path' },

  // ── Model packages ─────────────────────────────────────────────────────────────────────
  BAD_PACKAGE: { status: 400, message: 'model package is not a readable zip ({detail})', field: 'file' },
  PACKAGE_TOO_LARGE: { status: 413, message: 'model package unzips to more than {limit} bytes', field: 'file' },
  PACKAGE_NOT_FOUND: { status: 404, message: '{file}: not a directory', field: 'file' },
  PACKAGE_EXISTS: { status: 409, message: '{file}: exists and is not a directory', field: 'file' },
  PACKAGE_NOT_FILE: { status: 400, message: '{file}: {path} is not a regular file', field: 'path' },
  PACKAGE_SYMLINK: { status: 400, message: '{file}: {path} is a symbolic link; packages may not contain links', field: 'path' },
  PACKAGE_UNSAFE_PATH: { status: 400, message: 'package: file {path} {problem}', field: 'path' },
  PACKAGE_READ: { status: 500, message: '{file}: {path} changed while it was read', field: 'path' },
  PACKAGE_INVALID: { status: 400, message: 'package: {problem}', field: 'path' },
  PACKAGE_INCONSISTENT: { status: 400, message: '{path}: {problem}', field: 'path' },
  PACKAGE_SCHEMA: { status: 400, message: '{file}: {path} {problem}', field: 'path' },
  PACKAGE_MISSING_FILE: { status: 400, message: '{file}: missing', field: 'file' },
  PACKAGE_DTYPE: { status: 400, message: '{file}: {path} has an unsupported dtype', field: 'path' },
  PACKAGE_BAD_SHAPE: { status: 400, message: '{file}: {path} has a bad shape', field: 'path' },
  PACKAGE_WEIGHTS_SIZE: { status: 400, message: '{file}: the weights are {got} bytes, the model needs {expected}', field: 'file' },
  PACKAGE_BAD_JSON: { status: 400, message: '{file}: invalid JSON ({detail})', field: 'file' },
  PACKAGE_VERSION: { status: 400, message: '{file}: package format version {version} is not supported', field: 'path' },
  PACKAGE_UNKNOWN_STEP: { status: 400, message: '{file}: unknown preprocessing step "{kind}"', field: 'path' },
  PACKAGE_CHECKSUM: { status: 400, message: '{url}: sha256 {got} does not match the registry\'s {expected}', field: 'file' },
  PACKAGE_MODEL_LOAD: { status: 400, message: '{file}: tfjs could not load the model ({detail})', field: 'file' },
  PACKAGE_BUILD: { status: 500, message: 'package: {problem}' },
  UNKNOWN_STEP: { status: 400, message: 'preprocessing step "{kind}" (node "{nodeId}") cannot be replayed: unknown kind', field: 'nodeId' },

  // ── Registry and endpoints ─────────────────────────────────────────────────────────────
  REGISTRY_BAD_NAME: { status: 400, message: '{what} "{name}" must be 1 to 64 characters of a-z 0-9 _ . - starting with a letter or digit', field: 'param' },
  REGISTRY_BAD_ALIAS: { status: 400, message: 'alias "{alias}" must be 1 to 64 characters of a-z 0-9 _ - starting with a letter', field: 'param' },
  REGISTRY_BAD_OPTION: { status: 400, message: '{option} must be a non-negative number, got {value}', field: 'param' },
  REGISTRY_MODEL_EXISTS: { status: 409, message: 'model "{name}" already exists' },
  REGISTRY_MODEL_NOT_FOUND: { status: 404, message: 'no registered model "{name}"' },
  REGISTRY_VERSION_NOT_FOUND: { status: 404, message: 'model "{name}" has no version {version}' },
  REGISTRY_RUN_NOT_FOUND: { status: 404, message: 'no run {runId}' },
  REGISTRY_RUN_NOT_SUCCEEDED: { status: 409, message: 'run {runId} is {status}; only a succeeded run can be registered' },
  REGISTRY_NO_PACKAGE: { status: 409, message: 'run {runId} has no model package artifact' },
  VERSION_FAILED: { status: 409, message: 'model version {id} failed its serveability check: {reason}' },
  ENDPOINT_NOT_FOUND: { status: 404, message: 'no endpoint "{name}"' },
  ENDPOINT_BAD_TARGET: { status: 400, message: 'model "{model}" has no alias "{alias}"', field: 'param' },
  ENDPOINT_BAD_TRAFFIC: { status: 400, message: 'traffic[{index}].{field}: {problem}', field: 'path' },
  ENDPOINT_KEY_AMBIGUOUS: { status: 409, message: 'prefix {prefix} matches {n} keys of "{name}"; give the key id', field: 'param' },
  ENDPOINT_BAD_ORIGIN: { status: 400, message: 'corsOrigins[{index}]: "{origin}" is not scheme://host[:port]', field: 'path' },
  ENDPOINT_CLOSED: { status: 401, message: 'endpoint "{name}" accepts API keys only and has no live key', field: 'header' },
  CORS_NOT_ALLOWED: { status: 403, message: 'origin {origin} may not call endpoint "{name}" from a browser', field: 'header' },

  // ── Serving process and clients (CLI, runner) ─────────────────────────────────────────
  SERVE_LISTEN: { status: 500, message: 'cannot listen on {host}:{port} ({detail})' },
  SERVE_LOAD: { status: 500, message: '{file}: {detail}', field: 'file' },
  SERVING_CONFIG: { status: 502, message: 'cannot reach {url} ({detail})' },
  SERVING_AUTH: { status: 401, message: '{url} refused the token ({status})', field: 'header' },
  WARMUP_FAILED: { status: 500, message: 'version {version}: the warm-up prediction failed ({detail})' },
  SERVER_UNREACHABLE: { status: 502, message: 'cannot reach {url} ({detail})' },
  REQUEST_FAILED: { status: 502, message: '{url}: {status} {detail}' },
  UPLOAD_FAILED: { status: 502, message: '{file}: upload failed ({status}: {detail})', field: 'file' },
  SUBMIT_FAILED: { status: 502, message: 'submit failed ({status}: {detail})' },
  BAD_OPTION: { status: 400, message: '{option} must be {expected}, got {value}', field: 'param' },
  // A setting (environment variable or its flag) the operator gave a bad value: the process stops at start.
  BAD_CONFIG: { status: 500, message: '{variable}="{value}": expected {expected}', field: 'param' },
  // A second process on a PGlite data directory (server/db/data-dir-lock): it stops at start.
  DATA_DIR_LOCKED: { status: 503, message: 'data directory {dir} is in use by pid {pid}', field: 'path' },
} as const satisfies Record<string, ErrorSpec>;

/** Every code a Kiln error can carry. A code not in the catalog is a type error. */
export type ErrorCode = keyof typeof ERROR_CATALOG;

/** Whether `code` is a catalog code (for codes that arrive as strings, e.g. in a server's answer). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CATALOG, code);
}

/** The catalog entry of `code`. */
export function errorSpec(code: ErrorCode): ErrorSpec {
  return ERROR_CATALOG[code];
}

/** The HTTP status for `code`; 500 for a string that is not a catalog code. */
export function errorStatus(code: string): number {
  return isErrorCode(code) ? ERROR_CATALOG[code].status : 500;
}

/**
 * The template of `code` with `{name}` placeholders filled from `params`; a placeholder with no
 * value stays visible as `{name}` so a missing argument shows in the message instead of hiding.
 */
export function formatErrorMessage(code: ErrorCode, params: Record<string, string | number> = {}): string {
  return ERROR_CATALOG[code].message.replace(/\{(\w+)\}/g, (m, name: string) => (Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : m));
}
