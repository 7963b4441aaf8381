/**
 * Versioned params: each kind declares the version of its params schema and the steps that bring
 * older params up to it, so a graph saved before a kind changed still opens (tldraw's per-shape
 * migrations). A node records `paramsVersion` only above 1, so graphs written before versions
 * existed read as version 1 and keep their hash.
 */
import type { AnyNodeKind } from './registry';

/** The version of `kind`'s params schema that this code writes. */
export function currentParamsVersion(kind: Pick<AnyNodeKind, 'paramsVersion'>): number {
  return kind.paramsVersion ?? 1;
}

export type ParamsUpgrade =
  | { ok: true; params: Record<string, unknown>; version: number; migratedFrom?: number }
  | { ok: false; code: 'PARAMS_VERSION' | 'PARAMS_MIGRATION'; message: string };

/**
 * Brings params written for `version` of `kind` to its current version, or says why it cannot:
 * a version newer than this code knows, a missing step, or a step that failed. Never throws.
 */
export function upgradeParams(kind: AnyNodeKind, params: Record<string, unknown>, version = 1): ParamsUpgrade {
  const current = currentParamsVersion(kind);
  if (!Number.isInteger(version) || version < 1) {
    return { ok: false, code: 'PARAMS_VERSION', message: `params version must be a positive integer, got ${String(version)}` };
  }
  if (version > current) {
    return {
      ok: false,
      code: 'PARAMS_VERSION',
      message: `params are version ${version}, newer than this Kiln's ${kind.kind} (version ${current}); upgrade Kiln to open this node`,
    };
  }
  let p = params;
  for (let v = version; v < current; v++) {
    const step = kind.migrations?.find((m) => m.from === v);
    if (!step) return { ok: false, code: 'PARAMS_MIGRATION', message: `no migration of ${kind.kind} params from version ${v}` };
    try {
      p = step.up(structuredClone(p));
    } catch (e) {
      return { ok: false, code: 'PARAMS_MIGRATION', message: `upgrading ${kind.kind} params from version ${v} failed: ${(e as Error)?.message ?? String(e)}` };
    }
  }
  return version === current ? { ok: true, params: p, version } : { ok: true, params: p, version: current, migratedFrom: version };
}

/** The `paramsVersion` a node of this kind carries: absent at version 1, so old graphs keep their bytes and hash. */
export function paramsVersionField(kind: Pick<AnyNodeKind, 'paramsVersion'>): { paramsVersion?: number } {
  const v = currentParamsVersion(kind);
  return v > 1 ? { paramsVersion: v } : {};
}
