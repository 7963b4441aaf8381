/**
 * Every environment variable Kiln's server, CLI, runner and serving process read, declared once
 * (as marimo declares its config): a zod type, what a good value looks like, the default and
 * what it means. README's variable table is generated from this list (see ./readme-table.ts).
 *
 * One policy: an empty value is unset; any other value that does not parse is refused, in one
 * line naming the variable and what it expected. Nothing falls back silently.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { KilnError } from '../../lib/errors';

export type Env = Readonly<Record<string, string | undefined>>;

/** Where a variable's row goes in README's table. */
export type EnvGroup = 'server' | 'auth' | 'queue' | 'storage' | 'runner' | 'serving' | 'monitoring' | 'device' | 'system';

export interface EnvVar<T extends z.ZodType = z.ZodType> {
  /** parses a non-empty value */
  type: T;
  /** what a good value looks like: "expected <this>" */
  expected: string;
  /** the default as README shows it, `—` when there is none */
  default: string;
  /** README's "meaning" column */
  meaning: string;
  group: EnvGroup;
  /** a refusal never echoes the value (passwords in URLs, tokens) */
  secret?: true;
}

function v<T extends z.ZodType>(kind: { type: T; expected: string }, o: Omit<EnvVar<T>, 'type' | 'expected'>): EnvVar<T> {
  return { ...kind, ...o };
}

/**
 * The one number parser: plain decimal digits only (no sign, exponent, hex or blanks, which
 * `Number()` would quietly accept), within [min, max].
 */
function number(o: { min: number; max?: number; integer?: boolean; unit?: string }): { type: z.ZodType<number>; expected: string } {
  const max = o.max ?? Number.MAX_SAFE_INTEGER;
  const integer = o.integer ?? true;
  const digits = integer ? /^\d+$/ : /^(\d+\.?\d*|\.\d+)$/;
  const type = z
    .string()
    .regex(digits)
    .transform(Number)
    .pipe(integer ? z.number().int().min(o.min).max(max) : z.number().min(o.min).max(max));
  const kind = integer ? 'an integer' : 'a number';
  const range = o.max !== undefined ? `${kind} from ${o.min} to ${o.max}` : integer && o.min === 1 ? 'a positive integer' : `${kind} ≥ ${o.min}`;
  return { type, expected: o.unit ? `${range} (${o.unit})` : range };
}

/** A positive number that may have a fraction (`KILN_SERVEABILITY_BUDGET_MS`). */
function positiveNumber(unit: string): { type: z.ZodType<number>; expected: string } {
  return { type: number({ min: 0, integer: false }).type.refine((n) => n > 0), expected: `a positive number (${unit})` };
}

const port = number({ min: 0, max: 65535 });
const flag = {
  type: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(['1', '0', 'true', 'false']))
    .transform((s) => s === '1' || s === 'true'),
  expected: '1, 0, true or false',
};
const text = { type: z.string(), expected: 'text' };
const path = { type: z.string(), expected: 'a path' };
const token = { type: z.string().regex(/^\S+$/), expected: 'a token without blanks' };
const host = { type: z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/), expected: 'a host name or IP address' };
const HOST_RE = /^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/;
/** `*`, or host names / IP addresses separated by commas (`KILN_ALLOWED_HOSTS`). */
const hostList = {
  type: z
    .string()
    .transform((s) => s.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean))
    .refine((hs) => hs.length > 0 && (hs.join() === '*' || hs.every((h) => HOST_RE.test(h)))),
  expected: 'host names or IP addresses separated by commas, or *',
};
const region = { type: z.string().regex(/^[a-z0-9-]+$/), expected: 'a region name such as eu-west-1' };
// S3's bucket naming rules (MinIO and R2 follow them too).
const bucket = { type: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/), expected: 'a bucket name (3 to 63 lowercase letters, digits, dots and hyphens)' };
const url = (protocols: string[], what: string) => ({
  type: z.string().refine((s) => {
    try {
      return protocols.includes(new URL(s).protocol);
    } catch {
      return false;
    }
  }),
  expected: what,
});
const httpUrl = url(['http:', 'https:'], 'an http:// or https:// URL');

const MiB = 1024 * 1024;

/** The data folder when neither `--data-dir` nor `KILN_DATA_DIR` says otherwise. */
export const DEFAULT_DATA_DIR = '.data';
/** Where apps reach the serving process by default (TF Serving's REST port). */
export const DEFAULT_SERVING_URL = 'http://127.0.0.1:8501';
/** Latency budget of the serveability check when `KILN_SERVEABILITY_BUDGET_MS` is unset. */
export const DEFAULT_SERVEABILITY_BUDGET_MS = 500;
/** Node backends a runner may ask for. */
export const NODE_BACKENDS = ['webgpu', 'wasm', 'cpu', 'auto'] as const;

/** Every variable, in README's order. */
export const ENV_VARS = {
  // The server (server/main.ts); its flags win over these.
  PORT: v(port, { default: '3000', group: 'server', meaning: 'server port (`--port`)' }),
  HOST: v(host, { default: '`127.0.0.1`', group: 'server', meaning: 'interface the server listens on (`--host`)' }),
  KILN_ALLOWED_HOSTS: v(hostList, {
    default: 'the names and addresses the server listens on',
    group: 'server',
    meaning: 'the `Host` names the server answers (others get 403, so a DNS-rebinding page cannot reach it); `*` answers any',
  }),
  KILN_DATA_DIR: v(path, { default: `\`${DEFAULT_DATA_DIR}\``, group: 'server', meaning: 'PGlite database (`db/`) and artifacts (`artifacts/`) (`--data-dir`)' }),
  DATABASE_URL: v(url(['postgres:', 'postgresql:'], 'a postgres:// or postgresql:// URL'), {
    default: '—',
    group: 'server',
    meaning: 'use this PostgreSQL server instead of PGlite (same schema and migrations)',
    secret: true,
  }),
  KILN_NEXT_DIST_DIR: v(path, { default: '`.next`', group: 'server', meaning: "Next's build folder (a second build in the same checkout can use its own)" }),
  // Accounts, sign-in and tokens (server/auth).
  KILN_PUBLIC_URL: v(httpUrl, {
    default: 'the URL of each request',
    group: 'auth',
    meaning: 'where people reach the studio (behind a proxy: its https:// URL); sign-in links and OIDC callbacks use it, and `https://` makes session cookies `Secure`',
  }),
  KILN_AUTH_SECRET: v({ type: z.string().min(32), expected: 'at least 32 characters' }, {
    default: '—',
    group: 'auth',
    meaning: 'signs session cookies and share links; unset, one is generated at the first start and kept in the database (set it to rotate it)',
    secret: true,
  }),
  KILN_BOOTSTRAP_TOKEN: v({ type: z.string().regex(/^\S{16,256}$/), expected: 'a token of 16 to 256 characters without blanks' }, {
    default: '—',
    group: 'auth',
    meaning: "on first start (no user yet): this secret becomes the owner's personal access token (scope MANAGE), for CI and scripts, instead of printing a sign-in link",
    secret: true,
  }),
  KILN_PROJECT_CREATORS: v({ type: z.enum(['members', 'admins']), expected: 'members or admins' }, { default: '`members`', group: 'auth', meaning: 'who may create projects (the creator gets MANAGE on it)' }),
  KILN_OIDC_ISSUER: v(httpUrl, { default: '—', group: 'auth', meaning: 'OpenID Connect issuer for single sign-on (its `/.well-known/openid-configuration` is read); set with the client id and secret' }),
  KILN_OIDC_CLIENT_ID: v(text, { default: '—', group: 'auth', meaning: 'OIDC client id registered for Kiln (redirect URI: `<public URL>/api/auth/callback/oidc`; it authenticates with `client_secret_basic`)' }),
  KILN_OIDC_CLIENT_SECRET: v(token, { default: '—', group: 'auth', meaning: 'OIDC client secret', secret: true }),
  KILN_OIDC_GROUPS_CLAIM: v(text, { default: '`groups`', group: 'auth', meaning: "the ID-token / userinfo claim that lists the user's groups" }),
  KILN_OIDC_SCOPES: v(
    {
      type: z
        .string()
        .transform((s) => s.split(/[\s,]+/).filter(Boolean))
        .refine((xs) => xs.includes('openid') && xs.every((x) => /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(x))),
      expected: 'OAuth scopes separated by blanks or commas, openid among them',
    },
    { default: '`openid email profile`', group: 'auth', meaning: 'scopes Kiln asks the identity provider for; add the one that releases the groups claim where the provider needs one (e.g. `openid email profile groups`)' },
  ),
  KILN_OIDC_ROLE_MAP: v(
    {
      type: z
        .string()
        .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
        .refine((xs) => xs.length > 0 && xs.every((x) => /^[^=\s]+=(admin|member|[A-Za-z0-9_.-]+:(READ|EDIT|MANAGE))$/.test(x))),
      expected: 'group=admin, group=member or group=project:READ|EDIT|MANAGE, separated by commas',
    },
    { default: '—', group: 'auth', meaning: 'group → role mapping applied at every OIDC sign-in (e.g. `ml-admins=admin,forecasting=demand:EDIT`); users in no mapped group are members without projects' },
  ),
  KILN_TOKEN: v(token, { default: 'the token `kiln login` stored', group: 'auth', meaning: 'personal access token the `kiln` CLI sends to the server', secret: true }),
  // Queue and HTTP API limits (server/http/config.ts).
  KILN_LEASE_SECONDS: v(number({ min: 1, unit: 'seconds' }), { default: '30', group: 'queue', meaning: 'lease a runner holds on a claimed run; a run whose runner stops renewing it goes back to the queue' }),
  KILN_HEARTBEAT_SECONDS: v(number({ min: 1, unit: 'seconds' }), { default: '`KILN_LEASE_SECONDS` / 3', group: 'queue', meaning: 'how often runners renew their lease' }),
  KILN_MAX_ATTEMPTS: v(number({ min: 1 }), { default: '3', group: 'queue', meaning: 'claims of one run before it fails' }),
  KILN_MAX_UPLOAD_BYTES: v(number({ min: 1, unit: 'bytes' }), { default: '256 MiB', group: 'queue', meaning: 'largest dataset upload (413 beyond)' }),
  KILN_MAX_ARTIFACT_BYTES: v(number({ min: 1, unit: 'bytes' }), { default: '256 MiB', group: 'queue', meaning: 'largest model package zip a runner uploads (413 beyond)' }),
  KILN_MAX_UNZIPPED_BYTES: v(number({ min: 1, unit: 'bytes' }), { default: '4 × `KILN_MAX_ARTIFACT_BYTES`, at most 1 GiB', group: 'queue', meaning: 'largest unzipped size of a model package (zip bombs are refused)' }),
  KILN_MAX_ZIP_ENTRIES: v(number({ min: 1 }), { default: '1000', group: 'queue', meaning: 'most files in a model package zip' }),
  KILN_SERVEABILITY_BUDGET_MS: v(positiveNumber('milliseconds'), { default: '500', group: 'queue', meaning: 'latency budget of the serveability check at registration' }),
  KILN_SKEW_BLOCKS_RUNS: v(flag, {
    default: '0',
    group: 'queue',
    meaning: "1: a submitted run whose data skews from the model's training data (`SKEW` and other anomalies against the production version's training statistics) is refused (409) instead of queued with the anomalies reported",
  }),
  // Dataset files, checked while an upload streams in (lib/data/limits.ts): over one → 4xx naming file, row and column.
  KILN_MAX_COLUMNS: v(number({ min: 1 }), { default: '10000', group: 'queue', meaning: 'most columns in a dataset (CSV header fields, JSON record keys)' }),
  KILN_MAX_CELL_BYTES: v(number({ min: 1, unit: 'bytes' }), { default: '1 MiB', group: 'queue', meaning: 'largest single cell of a dataset (a CSV field, a JSON string)' }),
  KILN_MAX_ROW_BYTES: v(number({ min: 1, unit: 'bytes' }), { default: '16 MiB', group: 'queue', meaning: 'largest single row of a dataset (a CSV record, a JSON record)' }),
  KILN_MAX_ROWS: v(number({ min: 1 }), { default: '10000000', group: 'queue', meaning: 'most data rows in a dataset' }),
  KILN_MAX_JSON_DEPTH: v(number({ min: 2, max: 10000 }), { default: '64', group: 'queue', meaning: 'deepest `[`/`{` nesting in a JSON dataset (records are depth 2)' }),
  KILN_PARSE_MEMORY_MB: v(number({ min: 32, unit: 'MiB' }), { default: "V8's default heap", group: 'queue', meaning: 'heap of the worker thread that parses uploaded datasets; a file that needs more is refused (413), the server is unaffected' }),
  // Slow clients (server/http/server-options.ts).
  KILN_HEADERS_TIMEOUT_SECONDS: v(number({ min: 1, unit: 'seconds' }), { default: '60', group: 'queue', meaning: "time a client has to send a request's headers; then the connection is closed" }),
  KILN_MIN_UPLOAD_RATE: v(number({ min: 1, unit: 'bytes per second' }), { default: '65536', group: 'queue', meaning: 'slowest upload rate the server waits for: the request timeout is the headers timeout plus the largest upload at this rate' }),
  KILN_REQUEST_TIMEOUT_SECONDS: v(number({ min: 1, unit: 'seconds' }), {
    default: '`KILN_HEADERS_TIMEOUT_SECONDS` + the larger of `KILN_MAX_UPLOAD_BYTES` and `KILN_MAX_ARTIFACT_BYTES` ÷ `KILN_MIN_UPLOAD_RATE`',
    group: 'queue',
    meaning: 'time a client has to send a whole request (headers and body); a slower one is cut off (408). Responses, including event streams, are not limited',
  }),
  // Artifact storage (server/storage).
  KILN_S3_BUCKET: v(bucket, { default: '—', group: 'storage', meaning: 'store artifacts in this S3-compatible bucket instead of the data dir' }),
  KILN_S3_PREFIX: v(text, { default: '—', group: 'storage', meaning: 'key prefix inside the bucket' }),
  KILN_S3_ENDPOINT: v(httpUrl, { default: '`AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`, else AWS', group: 'storage', meaning: 'S3-compatible service (MinIO, R2, …)' }),
  KILN_S3_REGION: v(region, { default: '`AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1`', group: 'storage', meaning: 'bucket region' }),
  KILN_S3_FORCE_PATH_STYLE: v(flag, { default: '1 when an endpoint is set', group: 'storage', meaning: 'path-style bucket URLs (self-hosted services usually need them)' }),
  AWS_ENDPOINT_URL_S3: v(httpUrl, { default: '—', group: 'storage', meaning: "the AWS SDK's S3 endpoint, used when `KILN_S3_ENDPOINT` is unset" }),
  AWS_ENDPOINT_URL: v(httpUrl, { default: '—', group: 'storage', meaning: "the AWS SDK's endpoint, used when neither `KILN_S3_ENDPOINT` nor `AWS_ENDPOINT_URL_S3` is set" }),
  AWS_REGION: v(region, { default: '—', group: 'storage', meaning: "the AWS SDK's region, used when `KILN_S3_REGION` is unset (credentials come from the SDK's usual chain)" }),
  AWS_DEFAULT_REGION: v(region, { default: '—', group: 'storage', meaning: "the AWS SDK's region, used when neither `KILN_S3_REGION` nor `AWS_REGION` is set" }),
  KILN_TEMP_MAX_AGE_SECONDS: v(number({ min: 60, unit: 'seconds' }), {
    default: '21600 (6 h)',
    group: 'storage',
    meaning:
      'uploads in progress live in `<data dir>/tmp`; a temp file not written for this long (a process killed mid-upload left it) is removed at start and every minute, and so are S3 multipart uploads started this long ago; keep it above the longest upload',
  }),
  // Runners (kiln runner) and the custom-node sandbox.
  KILN_RUNNER_TOKEN: v(token, { default: '—', group: 'runner', meaning: 'machine token of `kiln runner` (`--token`)', secret: true }),
  KILN_RUNNER_BACKEND: v({ type: z.enum(NODE_BACKENDS), expected: NODE_BACKENDS.join(', ') }, { default: '`auto`', group: 'runner', meaning: 'default `--backend` of `kiln runner` (and so of the local runner)' }),
  KILN_RUNNER_CACHE: v(path, { default: '`<tmp>/kiln-runner-cache`', group: 'runner', meaning: "the runner's dataset cache (content-addressed, shared by the runners of a host)" }),
  KILN_RUNNER_CLAIM_LOG: v(path, { default: '—', group: 'runner', meaning: 'append one JSON line per claim (run id, attempt, attempt token) to this file, for tracing' }),
  KILN_CUSTOM_MEMORY_MB: v(number({ min: 64, unit: 'MiB' }), { default: '512', group: 'runner', meaning: 'heap limit of the sandbox process that runs a custom node\'s code' }),
  KILN_CUSTOM_TIMEOUT_MS: v(number({ min: 100, unit: 'milliseconds' }), { default: '10000', group: 'runner', meaning: 'time limit of one custom node call in the sandbox' }),
  // The serving data plane (kiln serving / kiln serve).
  KILN_SERVING_PORT: v(port, { default: '8501', group: 'serving', meaning: 'port of the local serving process the server starts with `--local-runner` (`--serving-port`)' }),
  KILN_SERVING_URL: v(httpUrl, {
    default: `\`http://localhost:<serving port>\` with \`--local-runner\`, else \`${DEFAULT_SERVING_URL}\``,
    group: 'serving',
    meaning: "the URL shown in endpoint snippets and the studio's Endpoints tab",
  }),
  KILN_SERVING_TOKEN: v(token, { default: '`KILN_RUNNER_TOKEN`', group: 'serving', meaning: 'machine token of `kiln serving` (`--token`)', secret: true }),
  KILN_SERVING_LOG_SAMPLE: v(number({ min: 0, max: 1, integer: false }), { default: '0.01', group: 'serving', meaning: 'share of serving requests logged (bounded ring buffer at `/v1/requests/recent`)' }),
  KILN_SERVING_METRICS_TOKEN: v(token, {
    default: '—',
    group: 'serving',
    meaning: 'bearer token `/metrics` and `/v1/requests/recent` need; set, the serving port answers them behind it (unset, and without `KILN_SERVING_ADMIN_PORT`, they are not served)',
    secret: true,
  }),
  KILN_SERVING_ADMIN_PORT: v(port, { default: '—', group: 'serving', meaning: 'port of a second serving listener that answers only `/metrics` and `/v1/requests/recent` (the token too, when set)' }),
  KILN_SERVING_ADMIN_HOST: v(host, { default: '`127.0.0.1`', group: 'serving', meaning: 'interface of the admin listener; loopback by default (without a token it refuses `Host` names other than `localhost` and IP addresses)' }),
  KILN_SERVING_MAX_INSTANCES_IN_FLIGHT: v(number({ min: 1 }), {
    default: '4 × `--max-instances`',
    group: 'serving',
    meaning: 'instances the serving process predicts or queues at once, each request counted from its `Content-Length` before its body is read; past it → 429 with `Retry-After`',
  }),
  KILN_SERVING_MAX_QUEUE_WAIT_MS: v(number({ min: 1, unit: 'ms' }), {
    default: '20',
    group: 'serving',
    meaning: 'longest a prediction may wait for the work ahead of it (estimated at admission from the measured cost per instance, enforced at its turn); past it → 429 with `Retry-After`',
  }),
  KILN_SERVING_SLICE_MS: v(number({ min: 1, max: 1000, unit: 'ms' }), {
    default: '2',
    group: 'serving',
    meaning: 'synchronous prediction work per event-loop turn before health, readiness, metrics and new requests are read again',
  }),
  KILN_SERVING_DRAIN_GRACE_MS: v(number({ min: 0, unit: 'ms' }), {
    default: '5000 for `kiln serving`, 0 for the local serving process of `npm start`',
    group: 'serving',
    meaning: 'on SIGTERM, how long the serving process keeps accepting (answering with `Connection: close`) after `/readyz` turned 503, so load balancers notice, before it finishes the requests in flight and exits',
  }),
  KILN_SERVE_NO_REEXEC: v(flag, { default: '0', group: 'serving', meaning: '1: `kiln serve` / `kiln serving` serve in their own process instead of re-running Node with the serving V8 flags' }),
  // Alerts (server/monitoring/alerts.ts, docs/monitoring.md).
  KILN_ALERT_INTERVAL_SECONDS: v(number({ min: 0, unit: 'seconds' }), { default: '60', group: 'monitoring', meaning: 'how often the control plane evaluates alert rules and refreshes the monitoring snapshot of `/api/monitoring/metrics`; 0 turns evaluation off' }),
  KILN_SMTP_URL: v(url(['smtp:', 'smtps:'], 'an smtp:// or smtps:// URL'), { default: '—', group: 'monitoring', meaning: 'SMTP server for alert emails (`smtp://user:password@host:587`); unset, alerts go to webhooks only', secret: true }),
  KILN_ALERT_EMAIL_FROM: v(text, { default: '`kiln@localhost`', group: 'monitoring', meaning: 'the From address of alert emails' }),
  // Devices (lib/backend/node.ts takes these as an argument).
  VK_ICD_FILENAMES: v({ ...path, expected: 'a list of paths' }, { default: '—', group: 'device', meaning: '`/usr/lib/chromium/vk_swiftshader_icd.json` lets Dawn use SwiftShader on machines without a GPU' }),
  VK_DRIVER_FILES: v({ ...path, expected: 'a list of paths' }, { default: '—', group: 'device', meaning: "the Vulkan loader's newer name for `VK_ICD_FILENAMES`" }),
  // The platform's own variables: read, not Kiln's to document.
  PATH: v(text, { default: '`/usr/bin:/bin`', group: 'system', meaning: 'where the sandbox looks for `unshare` and `prlimit`' }),
  XDG_CONFIG_HOME: v(path, { default: '`<home>/.config`', group: 'system', meaning: 'where `kiln login` keeps tokens (`kiln/credentials.json`)' }),
  USER: v(text, { default: '`USERNAME`', group: 'system', meaning: 'the CLI\'s default `--actor` when the OS has no user entry' }),
  USERNAME: v(text, { default: '—', group: 'system', meaning: 'the CLI\'s default `--actor` when the OS has no user entry (Windows)' }),
  NODE_OPTIONS: v(text, { default: '—', group: 'system', meaning: 'Node flags; `kiln serve` does not re-run itself when they hold the serving V8 flags' }),
} as const;

export type EnvName = keyof typeof ENV_VARS;

type Parsed = { [K in EnvName]: z.output<(typeof ENV_VARS)[K]['type']> | undefined };

/** The environment as one zod object: each variable optional, an empty value unset. */
export const envSchema = z.object(
  Object.fromEntries(Object.entries(ENV_VARS as Record<string, EnvVar>).map(([name, spec]): [string, z.ZodType] => [name, z.preprocess((s) => (s === '' ? undefined : s), spec.type.optional())])) as Record<EnvName, z.ZodType>,
);

/** A variable (or flag) with a bad value: its message is the one line a user sees. */
export class ConfigError extends KilnError {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super('BAD_CONFIG', message);
    this.name = 'ConfigError';
  }
}

/** `NAME="value": expected …` (the value left out for secrets). */
export function refusal(name: EnvName, raw: string | undefined, label: string = name): string {
  const spec: EnvVar = ENV_VARS[name];
  const shown = spec.secret ? ' (value hidden)' : `=${JSON.stringify(raw)}`;
  return `${label}${shown}: expected ${spec.expected}`;
}

/**
 * Parses one value as variable `name` would be parsed; for flags that stand in for a variable
 * (`--port` for `PORT`), so both go through one parser. Throws a {@link ConfigError} naming `label`.
 */
export function parseSetting<K extends EnvName>(name: K, raw: string, label: string = name): NonNullable<Parsed[K]> {
  const r = (ENV_VARS[name].type as z.ZodType).safeParse(raw);
  if (!r.success) throw new ConfigError(label, refusal(name, raw, label));
  return r.data as NonNullable<Parsed[K]>;
}

/** Every variable parsed, unset ones `undefined`; throws one {@link ConfigError} line for all bad ones. */
export function parseEnv(env: Env): Parsed {
  const r = envSchema.safeParse(env);
  if (r.success) return r.data as Parsed;
  const bad = [...new Set(r.error.issues.map((i) => String(i.path[0])))] as EnvName[];
  throw new ConfigError(bad[0]!, bad.map((name) => refusal(name, env[name])).join('; '));
}

/** Mirrors lib/data/limits.ts' `DataLimits` (server/config imports nothing from lib/data). */
export interface DataLimitSettings {
  maxColumns: number;
  maxCellBytes: number;
  maxRowBytes: number;
  maxRows: number;
  maxJsonDepth: number;
  /** heap of the dataset parse worker in MiB; undefined: V8's default */
  parseMemoryMiB: number | undefined;
}

export interface S3Settings {
  bucket: string;
  prefix?: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
}

/** Everything the server, CLI, runner and serving process are configured with, typed and frozen. */
export interface KilnConfig {
  port: number;
  host: string;
  /** `Host` names the server answers; undefined: those it listens on; `['*']`: any */
  allowedHosts: readonly string[] | undefined;
  dataDir: string;
  databaseUrl: string | undefined;
  nextDistDir: string;
  auth: {
    publicUrl: string | undefined;
    secret: string | undefined;
    bootstrapToken: string | undefined;
    projectCreators: 'members' | 'admins';
    oidc: { issuer: string; clientId: string; clientSecret: string; scopes: readonly string[]; groupsClaim: string; roleMap: readonly string[] } | null;
    /** the CLI's token from the environment */
    cliToken: string | undefined;
  };
  /** limits and timings of the HTTP API and the queue */
  api: {
    leaseSeconds: number;
    heartbeatSeconds: number;
    maxAttempts: number;
    maxUploadBytes: number;
    maxArtifactBytes: number;
    maxUnzippedBytes: number;
    maxZipEntries: number;
    /** refuse runs with training/serving skew anomalies instead of reporting them */
    skewBlocksRuns: boolean;
  };
  /** limits of a dataset file, checked while it streams in (lib/data/limits.ts) */
  data: DataLimitSettings;
  /** how long the control plane waits for a request to arrive (slowloris) */
  http: { headersTimeoutMs: number; requestTimeoutMs: number };
  serveabilityBudgetMs: number;
  /** null: artifacts in `<dataDir>/artifacts` */
  s3: S3Settings | null;
  /** temp files (and S3 multipart uploads) older than this are abandoned uploads */
  tempMaxAgeSeconds: number;
  runner: { token: string | undefined; backend: (typeof NODE_BACKENDS)[number]; cacheDir: string; claimLog: string | undefined };
  /** limits of the custom-node sandbox */
  sandbox: { memoryMiB: number; timeoutMs: number };
  serving: {
    port: number;
    /** set explicitly; unset, the server derives it (local serving) or uses {@link DEFAULT_SERVING_URL} */
    url: string | undefined;
    token: string | undefined;
    logSample: number;
    /** bearer token of `/metrics` and the request log */
    metricsToken: string | undefined;
    /** the admin listener (only `/metrics` and the request log); undefined: none */
    adminPort: number | undefined;
    adminHost: string;
    noReexec: boolean;
    /** undefined: 4 × the per-request instance cap */
    maxInstancesInFlight: number | undefined;
    maxQueueWaitMs: number;
    sliceMs: number;
    /** undefined: unset (5 s in `kiln serving`; none for the server's local serving process) */
    drainGraceMs: number | undefined;
  };
  /** alert evaluation and delivery (server/monitoring/alerts.ts) */
  alerts: { intervalSeconds: number; smtpUrl: string | undefined; emailFrom: string };
  /** `VK_ICD_FILENAMES`, else `VK_DRIVER_FILES`: the Vulkan drivers Dawn will load */
  vulkanIcdFiles: string | undefined;
  system: { path: string; user: string | undefined; nodeOptions: string; xdgConfigHome: string | undefined };
}

function deepFreeze<T>(o: T): T {
  for (const x of Object.values(o as object)) if (x && typeof x === 'object') deepFreeze(x);
  return Object.freeze(o);
}

/** OIDC is on when issuer, client id and secret are all set; some but not all is a mistake. */
function oidcSettings(e: Parsed): KilnConfig['auth']['oidc'] {
  const parts = { KILN_OIDC_ISSUER: e.KILN_OIDC_ISSUER, KILN_OIDC_CLIENT_ID: e.KILN_OIDC_CLIENT_ID, KILN_OIDC_CLIENT_SECRET: e.KILN_OIDC_CLIENT_SECRET };
  const missing = Object.entries(parts).filter(([, x]) => !x).map(([k]) => k);
  if (missing.length === 3) return null;
  if (missing.length) throw new ConfigError(missing[0]!, `${missing.join(', ')}: required when ${Object.keys(parts).filter((k) => !missing.includes(k)).join(', ')} is set (OIDC single sign-on)`);
  return { issuer: e.KILN_OIDC_ISSUER!.replace(/\/+$/, ''), clientId: e.KILN_OIDC_CLIENT_ID!, clientSecret: e.KILN_OIDC_CLIENT_SECRET!, scopes: e.KILN_OIDC_SCOPES ?? ['openid', 'email', 'profile'], groupsClaim: e.KILN_OIDC_GROUPS_CLAIM ?? 'groups', roleMap: e.KILN_OIDC_ROLE_MAP ?? [] };
}

/** Parses `env` once into the typed, frozen configuration; throws one {@link ConfigError} line. */
export function loadConfig(env: Env): KilnConfig {
  const e = parseEnv(env);
  const leaseSeconds = e.KILN_LEASE_SECONDS ?? 30;
  const maxArtifactBytes = e.KILN_MAX_ARTIFACT_BYTES ?? 256 * MiB;
  const endpoint = e.KILN_S3_ENDPOINT ?? e.AWS_ENDPOINT_URL_S3 ?? e.AWS_ENDPOINT_URL;
  const region = e.KILN_S3_REGION ?? e.AWS_REGION ?? e.AWS_DEFAULT_REGION;
  // Self-hosted S3-compatible services usually need path-style URLs; AWS itself does not.
  const forcePathStyle = e.KILN_S3_FORCE_PATH_STYLE ?? (endpoint ? true : undefined);
  const bucket = e.KILN_S3_BUCKET;
  const maxUploadBytes = e.KILN_MAX_UPLOAD_BYTES ?? 256 * MiB;
  const headersTimeoutSeconds = e.KILN_HEADERS_TIMEOUT_SECONDS ?? 60;
  // The largest body the server takes, at the slowest rate it waits for, after the headers.
  const requestTimeoutSeconds = e.KILN_REQUEST_TIMEOUT_SECONDS ?? headersTimeoutSeconds + Math.ceil(Math.max(maxUploadBytes, maxArtifactBytes) / (e.KILN_MIN_UPLOAD_RATE ?? 65_536));
  return deepFreeze({
    port: e.PORT ?? 3000,
    host: e.HOST ?? '127.0.0.1',
    allowedHosts: e.KILN_ALLOWED_HOSTS,
    dataDir: e.KILN_DATA_DIR ?? DEFAULT_DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    nextDistDir: e.KILN_NEXT_DIST_DIR ?? '.next',
    auth: {
      publicUrl: e.KILN_PUBLIC_URL?.replace(/\/+$/, ''),
      secret: e.KILN_AUTH_SECRET,
      bootstrapToken: e.KILN_BOOTSTRAP_TOKEN,
      projectCreators: e.KILN_PROJECT_CREATORS ?? 'members',
      oidc: oidcSettings(e),
      cliToken: e.KILN_TOKEN,
    },
    api: {
      leaseSeconds,
      heartbeatSeconds: e.KILN_HEARTBEAT_SECONDS ?? Math.max(1, Math.floor(leaseSeconds / 3)),
      maxAttempts: e.KILN_MAX_ATTEMPTS ?? 3,
      maxUploadBytes,
      maxArtifactBytes,
      maxUnzippedBytes: e.KILN_MAX_UNZIPPED_BYTES ?? Math.min(4 * maxArtifactBytes, 1024 * MiB),
      maxZipEntries: e.KILN_MAX_ZIP_ENTRIES ?? 1000,
      skewBlocksRuns: e.KILN_SKEW_BLOCKS_RUNS ?? false,
    },
    data: {
      maxColumns: e.KILN_MAX_COLUMNS ?? 10_000,
      maxCellBytes: e.KILN_MAX_CELL_BYTES ?? 1 * MiB,
      maxRowBytes: e.KILN_MAX_ROW_BYTES ?? 16 * MiB,
      maxRows: e.KILN_MAX_ROWS ?? 10_000_000,
      maxJsonDepth: e.KILN_MAX_JSON_DEPTH ?? 64,
      parseMemoryMiB: e.KILN_PARSE_MEMORY_MB,
    },
    // Node wants the headers timeout no longer than the request timeout.
    http: { headersTimeoutMs: Math.min(headersTimeoutSeconds, requestTimeoutSeconds) * 1000, requestTimeoutMs: requestTimeoutSeconds * 1000 },
    serveabilityBudgetMs: e.KILN_SERVEABILITY_BUDGET_MS ?? DEFAULT_SERVEABILITY_BUDGET_MS,
    s3: bucket
      ? {
          bucket,
          ...(e.KILN_S3_PREFIX ? { prefix: e.KILN_S3_PREFIX } : {}),
          ...(endpoint ? { endpoint } : {}),
          ...(region ? { region } : {}),
          ...(forcePathStyle !== undefined ? { forcePathStyle } : {}),
        }
      : null,
    tempMaxAgeSeconds: e.KILN_TEMP_MAX_AGE_SECONDS ?? 6 * 3600,
    runner: {
      token: e.KILN_RUNNER_TOKEN,
      backend: e.KILN_RUNNER_BACKEND ?? 'auto',
      cacheDir: e.KILN_RUNNER_CACHE ?? join(tmpdir(), 'kiln-runner-cache'),
      claimLog: e.KILN_RUNNER_CLAIM_LOG,
    },
    sandbox: { memoryMiB: e.KILN_CUSTOM_MEMORY_MB ?? 512, timeoutMs: e.KILN_CUSTOM_TIMEOUT_MS ?? 10_000 },
    serving: {
      port: e.KILN_SERVING_PORT ?? 8501,
      url: e.KILN_SERVING_URL?.replace(/\/+$/, ''),
      token: e.KILN_SERVING_TOKEN ?? e.KILN_RUNNER_TOKEN,
      logSample: e.KILN_SERVING_LOG_SAMPLE ?? 0.01,
      metricsToken: e.KILN_SERVING_METRICS_TOKEN,
      adminPort: e.KILN_SERVING_ADMIN_PORT,
      adminHost: e.KILN_SERVING_ADMIN_HOST ?? '127.0.0.1',
      noReexec: e.KILN_SERVE_NO_REEXEC ?? false,
      maxInstancesInFlight: e.KILN_SERVING_MAX_INSTANCES_IN_FLIGHT,
      maxQueueWaitMs: e.KILN_SERVING_MAX_QUEUE_WAIT_MS ?? 20,
      sliceMs: e.KILN_SERVING_SLICE_MS ?? 2,
      drainGraceMs: e.KILN_SERVING_DRAIN_GRACE_MS,
    },
    alerts: { intervalSeconds: e.KILN_ALERT_INTERVAL_SECONDS ?? 60, smtpUrl: e.KILN_SMTP_URL, emailFrom: e.KILN_ALERT_EMAIL_FROM ?? 'kiln@localhost' },
    vulkanIcdFiles: e.VK_ICD_FILENAMES ?? e.VK_DRIVER_FILES,
    system: { path: e.PATH ?? '/usr/bin:/bin', user: e.USER ?? e.USERNAME, nodeOptions: e.NODE_OPTIONS ?? '', xdgConfigHome: e.XDG_CONFIG_HOME },
  });
}
