/**
 * Test-only helpers for the serving tests: real packages built in memory (lib/package test
 * utils), a source whose config a test changes at will, and a raw HTTP client.
 */
import * as tf from '@tensorflow/tfjs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildPackage, type PackageFiles } from '../../lib/package/package';
import { makeTrained } from '../../lib/package/test-utils';
import type { ApplyReport, EndpointSpec } from './model-host';
import type { PackageSource, ServingConfig } from './sources';

/** A regression package (impute → one_hot → standard_scale → dense) named `name`. */
export async function regressionPackage(name = 'cars', members = 1): Promise<PackageFiles> {
  const trained = await makeTrained(tf, { task: 'regression' }, members);
  return buildPackage(trained, { name, kilnVersion: 'test', createdAt: '2024-05-01T00:00:00Z', lineage: { graphHash: 'g', backend: 'cpu', device: 'cpu' } });
}

/** A 3-class softmax classifier package. */
export async function classifierPackage(name = 'kinds'): Promise<PackageFiles> {
  const trained = await makeTrained(tf, { task: 'classification', labels: ['a', 'b', 'c'] });
  return buildPackage(trained, { name, kilnVersion: 'test', createdAt: '2024-05-01T00:00:00Z', lineage: { graphHash: 'g', backend: 'cpu', device: 'cpu' } });
}

/** A source whose config the test sets with `set`, applied like a control plane change. */
export class TestSource implements PackageSource {
  readonly description = 'test source';
  private apply: ((specs: EndpointSpec[]) => Promise<ApplyReport>) | undefined;

  constructor(private specs: EndpointSpec[]) {}

  async start(apply: (specs: EndpointSpec[]) => Promise<ApplyReport>): Promise<void> {
    this.apply = apply;
    await apply(this.specs);
  }

  set(specs: EndpointSpec[]): Promise<ApplyReport> {
    this.specs = specs;
    return this.apply!(specs);
  }

  stop(): void {}
}

/** One endpoint spec with in-memory versions: public and without browser origins unless `extra` says otherwise. */
export function endpoint(name: string, versions: { version: number; files: PackageFiles | (() => Promise<PackageFiles>); aliases?: string[]; key?: string }[], extra: Partial<EndpointSpec> = {}): EndpointSpec {
  return {
    name,
    model: name,
    access: 'public',
    keyHashes: [],
    corsOrigins: [],
    default: versions[versions.length - 1]!.version,
    traffic: [],
    versions: versions.map((v) => ({
      version: v.version,
      aliases: v.aliases ?? [],
      key: v.key ?? `k${v.version}`,
      load: typeof v.files === 'function' ? v.files : async () => v.files as PackageFiles,
    })),
    ...extra,
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A request with a fresh connection each time (agent: false), body as given. */
export function http(url: string, opts: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? (opts.body !== undefined ? 'POST' : 'GET'), headers: { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/**
 * A fake control plane: the config the test sets, answered at once without `after` (or when
 * `longPoll` is off), else held until the revision moves past `after` or `wait` seconds pass.
 */
export function fakeControlPlane(first: ServingConfig, zips: Map<string, Uint8Array>, longPoll = true) {
  let config = first;
  const waiters = new Set<() => void>();
  const seen: string[] = [];
  const reports: string[] = [];
  let notModified = 0;
  const etag = () => `"${config.revision}"`;
  const server: Server = createServer((req, res) => {
    seen.push(`${req.headers.authorization} ${req.url}`);
    if (req.headers.authorization !== 'Bearer machine-token') {
      res.writeHead(401).end('{}');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://cp');
    if (url.pathname === '/api/serving/config') {
      const after = url.searchParams.get('after');
      if (url.searchParams.get('replica')) reports.push(`${url.searchParams.get('replica')}@${after ?? '-'}`);
      const answer = () => {
        if (req.headers['if-none-match'] === etag()) {
          notModified++;
          res.writeHead(304, { etag: etag() }).end();
        } else res.writeHead(200, { 'content-type': 'application/json', etag: etag() }).end(JSON.stringify(config));
      };
      if (!longPoll || after === null || Number(after) !== config.revision) return answer();
      const timer = setTimeout(done, Number(url.searchParams.get('wait') ?? 25) * 1000);
      function done() {
        clearTimeout(timer);
        waiters.delete(done);
        answer();
      }
      waiters.add(done);
      return;
    }
    const m = /^\/api\/serving\/versions\/(\w+)\/package$/.exec(url.pathname);
    const zip = m ? zips.get(m[1]!) : undefined;
    if (!zip) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/zip' }).end(Buffer.from(zip));
  });
  return {
    server,
    seen,
    reports,
    get notModified() {
      return notModified;
    },
    get config() {
      return config;
    },
    set(c: ServingConfig) {
      config = c;
      for (const w of [...waiters]) w();
    },
    async listen(): Promise<string> {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close() {
      for (const w of [...waiters]) w();
      server.closeAllConnections();
      server.close();
    },
  };
}
