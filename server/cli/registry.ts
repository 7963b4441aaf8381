/**
 * Registry commands for CI/CD, each one command talking to a Kiln server over tRPC:
 * `kiln register`, `kiln alias set`, `kiln endpoint bind`, `kiln endpoint key`. Exit codes: 0 done,
 * 3 a gate blocked (the version failed serveability, or the alias did not move), 1 an error.
 * With `--json` each prints one JSON object on stdout, errors included (`{"error": "..."}`).
 */
import { hostname, userInfo } from 'node:os';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { TRPC_MAX_BATCH } from '../http/trpc-limits';
import { isErrorCode, KilnError, isKilnError } from '../../lib/errors';
import { getConfig } from '../config';
import { authHeaders } from './credentials';
import type { AppRouter } from '../trpc/root';
import { serverBase } from './io';

export interface IO {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** Exit code when a gate blocks (the same as `kiln run` / `kiln submit` for a failed metric gate). */
export const EXIT_GATE_BLOCKED = 3;

export interface Common {
  server: string;
  json?: boolean;
  actor?: string;
}

/** `cli:<os user>@<hostname>`: who moved the alias, as the history shows it. */
export function defaultActor(): string {
  let user = getConfig().system.user ?? 'unknown';
  try {
    user = userInfo().username || user;
  } catch {
    // no passwd entry (containers): keep the environment's name
  }
  return `cli:${user}@${hostname()}`;
}


/** A tRPC client of the server, with the stored credentials for it. */
export function client(server: string) {
  return createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${serverBase(server)}/api/trpc`, maxItems: TRPC_MAX_BATCH, headers: () => authHeaders(server) })] });
}

/** tRPC errors and network failures as one line. */
function asKilnError(e: unknown, server: string): KilnError {
  if (isKilnError(e)) return e;
  if (e instanceof TRPCClientError) {
    const cause = (e.cause as { cause?: { code?: string } } | undefined)?.cause;
    if (/fetch failed/i.test(e.message)) return new KilnError('SERVER_UNREACHABLE', `cannot reach ${server} (${cause?.code ?? e.message})`);
    const data = e.data as { kilnCode?: string } | undefined;
    return new KilnError(isErrorCode(data?.kilnCode) ? data.kilnCode : 'REQUEST_FAILED', e.message.split('\n')[0]!);
  }
  return new KilnError('REQUEST_FAILED', (e as Error)?.message ?? String(e));
}

/**
 * Runs one command body: errors become exit 1 with one line (stderr), or `{"error"}` on stdout
 * with `--json` so a pipeline parsing stdout always gets JSON.
 */
export async function guarded(o: Common, io: IO, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    const k = asKilnError(e, o.server);
    if (o.json) {
      io.out(`${JSON.stringify({ error: k.message, code: k.code })}\n`);
      return 1;
    }
    throw k;
  }
}

function parseNumberOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new KilnError('BAD_OPTION', `${name} must be a non-negative number, got "${v}"`);
  return n;
}

function parseVersion(v: string): number {
  const n = Number(v.replace(/^v/i, ''));
  if (!Number.isInteger(n) || n < 1) throw new KilnError('BAD_OPTION', `VERSION must be a version number such as 3, got "${v}"`);
  return n;
}

/** `3=90,4=10` → [{version: 3, weight: 90}, {version: 4, weight: 10}]. */
export function parseTraffic(spec: string): { version: number; weight: number }[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((part) => {
      const m = /^v?(\d+)=(\d+)$/i.exec(part);
      if (!m) throw new KilnError('BAD_OPTION', `--traffic: "${part}" must be VERSION=WEIGHT, e.g. 3=90,4=10`);
      return { version: Number(m[1]), weight: Number(m[2]) };
    });
}

export interface RegisterOptions extends Common {
  model: string;
  description?: string;
}

/** `kiln register RUN_ID --model NAME`: 0 READY, 3 FAILED (serveability), 1 error. */
export function registerCommand(runId: string, o: RegisterOptions, io: IO): Promise<number> {
  return guarded(o, io, async () => {
    const v = await client(o.server).registry.register.mutate({
      model: o.model,
      runId,
      actor: o.actor ?? defaultActor(),
      ...(o.description !== undefined ? { description: o.description } : {}),
    });
    if (o.json) io.out(`${JSON.stringify({ model: o.model, version: v.version, id: v.id, status: v.status, statusReason: v.statusReason, runId, sha256: v.sha256 })}\n`);
    else io.out(`${o.model} v${v.version} ${v.status}${v.statusReason ? ` (${v.statusReason})` : ''}\n`);
    return v.status === 'READY' ? 0 : EXIT_GATE_BLOCKED;
  });
}

export interface AliasSetOptions extends Common {
  reason?: string;
  minAbsoluteChange?: string;
  minRelativeChange?: string;
  metric?: string;
  force?: boolean;
  dryRun?: boolean;
}

/** `kiln alias set MODEL ALIAS VERSION`: 0 moved, 3 blocked by a gate, 1 error. */
export function aliasSetCommand(model: string, alias: string, versionText: string, o: AliasSetOptions, io: IO): Promise<number> {
  return guarded(o, io, async () => {
    const version = parseVersion(versionText);
    const abs = parseNumberOption('--min-absolute-change', o.minAbsoluteChange);
    const rel = parseNumberOption('--min-relative-change', o.minRelativeChange);
    const r = await client(o.server).registry.moveAlias.mutate({
      model,
      alias,
      version,
      actor: o.actor ?? defaultActor(),
      reason: o.reason ?? '',
      force: o.force === true,
      dryRun: o.dryRun === true,
      ...(abs !== undefined ? { minAbsoluteChange: abs } : {}),
      ...(rel !== undefined ? { minRelativeChange: rel } : {}),
      ...(o.metric ? { metric: o.metric } : {}),
    });
    if (o.json) io.out(`${JSON.stringify({ model, alias, ...r, ...(o.dryRun ? { dryRun: true } : {}) })}\n`);
    else {
      const what = o.dryRun ? (r.moved ? 'would move' : 'would be blocked') : r.moved ? 'moved' : 'BLOCKED';
      io.out(`${model}@${alias}: ${what} ${r.from === null ? '(none)' : `v${r.from}`} → v${r.to}\n`);
      for (const g of r.gates) io.out(`  ${g.passed ? 'pass' : g.forced ? 'FORCED' : 'FAIL'}  ${g.detail}\n`);
    }
    return r.moved ? 0 : EXIT_GATE_BLOCKED;
  });
}

export interface EndpointBindOptions extends Common {
  model: string;
  alias?: string;
  version?: string;
  traffic?: string;
}

/** `kiln endpoint bind NAME --model M (--alias A | --version N) [--traffic 3=90,4=10]`. */
export function endpointBindCommand(name: string, o: EndpointBindOptions, io: IO): Promise<number> {
  return guarded(o, io, async () => {
    if ((o.alias === undefined) === (o.version === undefined)) throw new KilnError('BAD_OPTION', 'give exactly one of --alias or --version');
    const target = o.alias !== undefined ? { alias: o.alias } : { version: parseVersion(o.version!) };
    const ep = await client(o.server).endpoints.bind.mutate({ name, model: o.model, target, traffic: o.traffic ? parseTraffic(o.traffic) : [] });
    const view = { name: ep.name, model: ep.model, target: ep.target, defaultVersion: ep.defaultVersion, traffic: ep.traffic, keys: ep.keys.filter((k) => !k.revokedAt).length };
    if (o.json) io.out(`${JSON.stringify(view)}\n`);
    else {
      const t = 'alias' in ep.target ? `alias ${ep.target.alias} (v${ep.defaultVersion ?? '?'})` : `v${ep.target.version}`;
      io.out(`endpoint ${ep.name} → ${ep.model} ${t}${ep.traffic.length ? `, traffic ${ep.traffic.map((s) => `v${s.version}=${s.weight}%`).join(' ')}` : ''}\n`);
    }
    return 0;
  });
}

export interface EndpointKeyOptions extends Common {
  name?: string;
}

/** `kiln endpoint key NAME`: prints a new API key, the only time it is shown. */
export function endpointKeyCommand(endpoint: string, o: EndpointKeyOptions, io: IO): Promise<number> {
  return guarded(o, io, async () => {
    const k = await client(o.server).endpoints.createKey.mutate({ name: endpoint, keyName: o.name ?? '' });
    if (o.json) io.out(`${JSON.stringify({ endpoint, id: k.id, prefix: k.prefix, key: k.key })}\n`);
    else {
      io.out(`${k.key}\n`);
      io.err(`new key for endpoint ${endpoint} (id ${k.id}); it is not shown again — send it as "Authorization: Bearer <key>"\n`);
    }
    return 0;
  });
}
