import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_VARS, loadConfig, parseSetting, type EnvName } from './env';

/**
 * A value each variable must refuse, or null for free text (a path, a prefix) where no value is
 * wrong. Keyed by every variable: a new one fails the first test until it is listed here.
 */
const BAD: Record<EnvName, string | null> = {
  PORT: '70000',
  HOST: 'my host',
  KILN_ALLOWED_HOSTS: 'kiln.example.com, bad host',
  KILN_DATA_DIR: null,
  KILN_PUBLIC_URL: 'kiln.example.com',
  KILN_AUTH_SECRET: 'short',
  KILN_BOOTSTRAP_TOKEN: 'two words here are bad',
  KILN_PROJECT_CREATORS: 'everyone',
  KILN_OIDC_ISSUER: 'idp.example.com',
  KILN_OIDC_CLIENT_ID: null,
  KILN_OIDC_CLIENT_SECRET: 'has blanks in it',
  KILN_OIDC_GROUPS_CLAIM: null,
  KILN_OIDC_SCOPES: 'email profile',
  KILN_OIDC_ROLE_MAP: 'admins=superuser',
  KILN_TOKEN: 'kiln_pat_ x',
  DATABASE_URL: 'mysql://kiln:hunter2@db/kiln',
  KILN_NEXT_DIST_DIR: null,
  KILN_LEASE_SECONDS: 'abc',
  KILN_HEARTBEAT_SECONDS: '0',
  KILN_MAX_ATTEMPTS: '2.5',
  KILN_MAX_UPLOAD_BYTES: '256MiB',
  KILN_MAX_ARTIFACT_BYTES: '-1',
  KILN_MAX_UNZIPPED_BYTES: '1e9',
  KILN_MAX_ZIP_ENTRIES: '0x10',
  KILN_SERVEABILITY_BUDGET_MS: '0',
  KILN_SKEW_BLOCKS_RUNS: 'sometimes',
  KILN_MAX_COLUMNS: '0',
  KILN_MAX_CELL_BYTES: '1MiB',
  KILN_MAX_ROW_BYTES: '-5',
  KILN_MAX_ROWS: 'many',
  KILN_MAX_JSON_DEPTH: '1',
  KILN_PARSE_MEMORY_MB: '16',
  KILN_HEADERS_TIMEOUT_SECONDS: '0',
  KILN_MIN_UPLOAD_RATE: '64k',
  KILN_REQUEST_TIMEOUT_SECONDS: '1.5',
  KILN_S3_BUCKET: 'My_Bucket',
  KILN_TEMP_MAX_AGE_SECONDS: '59',
  KILN_S3_PREFIX: null,
  KILN_S3_ENDPOINT: 'minio:9000',
  KILN_S3_REGION: 'EU West',
  KILN_S3_FORCE_PATH_STYLE: 'yes',
  AWS_ENDPOINT_URL_S3: 'ftp://minio',
  AWS_ENDPOINT_URL: 'not a url',
  AWS_REGION: 'eu_west_1',
  AWS_DEFAULT_REGION: 'Frankfurt',
  KILN_RUNNER_TOKEN: 'kiln_rt_ abc',
  KILN_RUNNER_BACKEND: 'gpu',
  KILN_RUNNER_CACHE: null,
  KILN_RUNNER_CLAIM_LOG: null,
  KILN_CUSTOM_MEMORY_MB: '32',
  KILN_CUSTOM_TIMEOUT_MS: 'soon',
  KILN_SERVING_PORT: '85o1',
  KILN_SERVING_URL: 'localhost:8501',
  KILN_SERVING_TOKEN: 'two words',
  KILN_SERVING_LOG_SAMPLE: '2',
  KILN_SERVING_METRICS_TOKEN: 'two words',
  KILN_SERVING_ADMIN_PORT: '95o1',
  KILN_SERVING_ADMIN_HOST: 'not a host!',
  KILN_SERVING_MAX_INSTANCES_IN_FLIGHT: '0',
  KILN_SERVING_MAX_QUEUE_WAIT_MS: '20ms',
  KILN_SERVING_SLICE_MS: '5000',
  KILN_SERVING_DRAIN_GRACE_MS: '-1',
  KILN_SERVE_NO_REEXEC: 'please',
  KILN_ALERT_INTERVAL_SECONDS: '1m',
  KILN_SMTP_URL: 'mail.example.com:25',
  KILN_ALERT_EMAIL_FROM: null,
  VK_ICD_FILENAMES: null,
  VK_DRIVER_FILES: null,
  PATH: null,
  XDG_CONFIG_HOME: null,
  USER: null,
  USERNAME: null,
  NODE_OPTIONS: null,
};

const refusalOf = (env: Record<string, string>): ConfigError => {
  try {
    loadConfig(env);
  } catch (e) {
    return e as ConfigError;
  }
  throw new Error(`${JSON.stringify(env)} was accepted`);
};

describe('the environment schema', () => {
  it('has a bad-value case for every variable it declares', () => {
    expect(Object.keys(BAD).sort()).toEqual(Object.keys(ENV_VARS).sort());
  });

  it.each(Object.entries(BAD).filter(([, bad]) => bad !== null) as [EnvName, string][])('refuses a bad %s in one line naming it', (name, bad) => {
    const e = refusalOf({ [name]: bad });
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.code).toBe('BAD_CONFIG');
    expect(e.variable).toBe(name);
    expect(e.message).not.toContain('\n');
    const spec = ENV_VARS[name] as { expected: string; secret?: true };
    const shown = spec.secret ? ' (value hidden)' : `=${JSON.stringify(bad)}`;
    expect(e.message).toBe(`${name}${shown}: expected ${spec.expected}`);
  });

  // OIDC settings come as a set (tested below); alone, a client id is refused for the missing rest.
  const OIDC = { KILN_OIDC_ISSUER: 'https://idp.example.com', KILN_OIDC_CLIENT_ID: 'kiln', KILN_OIDC_CLIENT_SECRET: 's3cret' };
  it.each(Object.entries(BAD).filter(([, bad]) => bad === null).map(([name]) => name))('takes any text for %s', (name) => {
    expect(() => loadConfig({ ...(name.startsWith('KILN_OIDC_') ? OIDC : {}), [name]: '/some where/odd: value' })).not.toThrow();
  });

  it('turns OIDC on with issuer, client id and secret together, and refuses a partial set naming what is missing', () => {
    expect(loadConfig({}).auth.oidc).toBeNull();
    const on = loadConfig({ ...OIDC, KILN_OIDC_CLIENT_ID: 'kiln', KILN_OIDC_ROLE_MAP: 'ml-admins=admin, forecasting=demand:EDIT' }).auth.oidc;
    expect(on).toEqual({ issuer: 'https://idp.example.com', clientId: 'kiln', clientSecret: 's3cret', scopes: ['openid', 'email', 'profile'], groupsClaim: 'groups', roleMap: ['ml-admins=admin', 'forecasting=demand:EDIT'] });
    expect(loadConfig({ ...OIDC, KILN_OIDC_SCOPES: 'openid email, profile  groups' }).auth.oidc?.scopes).toEqual(['openid', 'email', 'profile', 'groups']);
    const e = refusalOf({ KILN_OIDC_CLIENT_ID: 'kiln' });
    expect(e.message).toBe('KILN_OIDC_ISSUER, KILN_OIDC_CLIENT_SECRET: required when KILN_OIDC_CLIENT_ID is set (OIDC single sign-on)');
    expect(e.variable).toBe('KILN_OIDC_ISSUER');
  });

  it('never echoes a secret', () => {
    expect(refusalOf({ DATABASE_URL: 'mysql://kiln:hunter2@db/kiln' }).message).not.toContain('hunter2');
    expect(refusalOf({ KILN_RUNNER_TOKEN: 'kiln_rt_ secret' }).message).not.toContain('secret');
  });

  it('names every bad variable in the one line', () => {
    const e = refusalOf({ PORT: 'x', KILN_SERVING_LOG_SAMPLE: '1.5', KILN_LEASE_SECONDS: '30' });
    expect(e.message).toBe('PORT="x": expected an integer from 0 to 65535; KILN_SERVING_LOG_SAMPLE="1.5": expected a number from 0 to 1');
  });

  it('refuses a log sample out of range instead of falling back to 0.01', () => {
    expect(refusalOf({ KILN_SERVING_LOG_SAMPLE: '2' }).message).toBe('KILN_SERVING_LOG_SAMPLE="2": expected a number from 0 to 1');
    expect(refusalOf({ KILN_SERVING_LOG_SAMPLE: 'often' }).variable).toBe('KILN_SERVING_LOG_SAMPLE');
    expect(loadConfig({ KILN_SERVING_LOG_SAMPLE: '0.25' }).serving.logSample).toBe(0.25);
    expect(loadConfig({ KILN_SERVING_LOG_SAMPLE: '0' }).serving.logSample).toBe(0);
    expect(loadConfig({ KILN_SERVING_ADMIN_PORT: '9464', KILN_SERVING_METRICS_TOKEN: 'm-1' }).serving).toMatchObject({ adminPort: 9464, adminHost: '127.0.0.1', metricsToken: 'm-1' });
  });

  it('reads numbers as plain digits only (no blanks, exponents, signs or hex)', () => {
    for (const s of [' 30', '30 ', '3e1', '+30', '0x1e', '30.0', 'Infinity']) expect(refusalOf({ KILN_LEASE_SECONDS: s }).variable).toBe('KILN_LEASE_SECONDS');
    expect(loadConfig({ KILN_LEASE_SECONDS: '45' }).api.leaseSeconds).toBe(45);
    expect(loadConfig({ KILN_SERVEABILITY_BUDGET_MS: '0.5' }).serveabilityBudgetMs).toBe(0.5);
  });

  it('treats an empty value as unset and gives the defaults', () => {
    const c = loadConfig({ PORT: '', KILN_LEASE_SECONDS: '', KILN_DATA_DIR: '' });
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      dataDir: '.data',
      databaseUrl: undefined,
      nextDistDir: '.next',
      api: { leaseSeconds: 30, heartbeatSeconds: 10, maxAttempts: 3, maxUploadBytes: 256 * 2 ** 20, maxArtifactBytes: 256 * 2 ** 20, maxUnzippedBytes: 2 ** 30, maxZipEntries: 1000 },
      data: { maxColumns: 10_000, maxCellBytes: 2 ** 20, maxRowBytes: 16 * 2 ** 20, maxRows: 10_000_000, maxJsonDepth: 64, parseMemoryMiB: undefined },
      // 60 s for the headers, then 256 MiB at 64 KiB/s
      http: { headersTimeoutMs: 60_000, requestTimeoutMs: (60 + 4096) * 1000 },
      serveabilityBudgetMs: 500,
      s3: null,
      runner: { token: undefined, backend: 'auto', claimLog: undefined },
      sandbox: { memoryMiB: 512, timeoutMs: 10_000 },
      serving: { port: 8501, url: undefined, token: undefined, logSample: 0.01, metricsToken: undefined, adminPort: undefined, adminHost: '127.0.0.1', noReexec: false, maxInstancesInFlight: undefined, maxQueueWaitMs: 20, sliceMs: 2, drainGraceMs: undefined },
      vulkanIcdFiles: undefined,
    });
    expect(c.runner.cacheDir).toMatch(/kiln-runner-cache$/);
  });

  it('documents the defaults it uses: setting a variable to its README default changes nothing', () => {
    const checked: string[] = [];
    for (const [name, spec] of Object.entries(ENV_VARS) as [EnvName, { default: string }][]) {
      // none, another variable's value, or a placeholder such as <tmp>
      if (spec.default === '—' || /^`[A-Z][A-Z0-9_]*`/.test(spec.default) || spec.default.includes('<')) continue;
      const mib = /^(\d+) MiB$/.exec(spec.default);
      const value = mib ? String(Number(mib[1]) * 2 ** 20) : spec.default.replace(/^`(.*)`$/, '$1');
      let parsed = false;
      try {
        parseSetting(name, value);
        parsed = true;
      } catch {
        // a described default ("`KILN_LEASE_SECONDS` / 3", "—"): nothing to compare
      }
      if (!parsed) continue;
      expect({ name, config: loadConfig({ [name]: value }) }).toEqual({ name, config: loadConfig({}) });
      checked.push(name);
    }
    expect(checked).toEqual(expect.arrayContaining(['PORT', 'HOST', 'KILN_DATA_DIR', 'KILN_LEASE_SECONDS', 'KILN_MAX_UPLOAD_BYTES', 'KILN_SERVING_LOG_SAMPLE', 'KILN_SERVE_NO_REEXEC', 'KILN_RUNNER_BACKEND']));
  });

  it('derives the heartbeat from the lease and the unzipped cap from the artifact cap', () => {
    expect(loadConfig({ KILN_LEASE_SECONDS: '3' }).api.heartbeatSeconds).toBe(1);
    expect(loadConfig({ KILN_LEASE_SECONDS: '60', KILN_HEARTBEAT_SECONDS: '5' }).api.heartbeatSeconds).toBe(5);
    expect(loadConfig({ KILN_MAX_ARTIFACT_BYTES: '1000' }).api.maxUnzippedBytes).toBe(4000);
    expect(loadConfig({ KILN_MAX_ARTIFACT_BYTES: '1000', KILN_MAX_UNZIPPED_BYTES: '1500' }).api.maxUnzippedBytes).toBe(1500);
  });

  it('derives the request timeout from the largest body at the slowest rate, unless it is set', () => {
    expect(loadConfig({ KILN_MAX_UPLOAD_BYTES: '1000000', KILN_MAX_ARTIFACT_BYTES: '500000', KILN_MIN_UPLOAD_RATE: '1000', KILN_HEADERS_TIMEOUT_SECONDS: '10' }).http).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 1_010_000 });
    expect(loadConfig({ KILN_MAX_UPLOAD_BYTES: '1000', KILN_MAX_ARTIFACT_BYTES: '500000', KILN_MIN_UPLOAD_RATE: '1000' }).http.requestTimeoutMs).toBe(560_000);
    // a request timeout shorter than the headers timeout shortens that too (Node refuses the opposite)
    expect(loadConfig({ KILN_REQUEST_TIMEOUT_SECONDS: '5' }).http).toEqual({ headersTimeoutMs: 5000, requestTimeoutMs: 5000 });
  });

  it('takes the S3 settings with the AWS SDK variables as fallbacks', () => {
    expect(loadConfig({ KILN_S3_BUCKET: 'kiln', AWS_ENDPOINT_URL: 'http://minio:9000', AWS_DEFAULT_REGION: 'eu-west-1' }).s3).toEqual({ bucket: 'kiln', endpoint: 'http://minio:9000', region: 'eu-west-1', forcePathStyle: true });
    expect(loadConfig({ KILN_S3_BUCKET: 'kiln', KILN_S3_ENDPOINT: 'https://r2.example', AWS_ENDPOINT_URL: 'http://minio:9000', KILN_S3_FORCE_PATH_STYLE: 'false' }).s3).toEqual({ bucket: 'kiln', endpoint: 'https://r2.example', forcePathStyle: false });
    expect(loadConfig({ KILN_S3_PREFIX: 'p', AWS_REGION: 'eu-west-1' }).s3).toBeNull();
    expect(loadConfig({ KILN_S3_BUCKET: 'kiln', KILN_S3_FORCE_PATH_STYLE: 'TRUE' }).s3?.forcePathStyle).toBe(true);
  });

  it('lets the serving token fall back to the runner token, and VK_DRIVER_FILES stand in for VK_ICD_FILENAMES', () => {
    expect(loadConfig({ KILN_RUNNER_TOKEN: 'rt' }).serving.token).toBe('rt');
    expect(loadConfig({ KILN_RUNNER_TOKEN: 'rt', KILN_SERVING_TOKEN: 'st' }).serving.token).toBe('st');
    expect(loadConfig({ VK_DRIVER_FILES: '/a.json' }).vulkanIcdFiles).toBe('/a.json');
    expect(loadConfig({ VK_DRIVER_FILES: '/a.json', VK_ICD_FILENAMES: '/b.json' }).vulkanIcdFiles).toBe('/b.json');
  });

  it('is frozen', () => {
    const c = loadConfig({});
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.api)).toBe(true);
    expect(() => {
      (c.api as { leaseSeconds: number }).leaseSeconds = 1;
    }).toThrow();
  });

  it('parses a flag with the same parser as its variable, naming the flag', () => {
    expect(parseSetting('PORT', '8080', '--port')).toBe(8080);
    expect(() => parseSetting('PORT', 'eighty', '--port')).toThrow('--port="eighty": expected an integer from 0 to 65535');
    expect(() => parseSetting('HOST', 'a b', '--host')).toThrow('--host="a b": expected a host name or IP address');
    for (const h of ['0.0.0.0', '::', '::1', 'localhost', 'kiln.example.com', '[::1]']) expect(parseSetting('HOST', h)).toBe(h);
  });
});
