/**
 * The model part of a serving URL and the version it selects:
 * `NAME[/versions/N|/labels/L][/tail][:verb]` (TF Serving) and `NAME[/versions/N][/tail]`
 * (KServe V2), then the version a route holds for that selection.
 */
import { KilnError } from '../../lib/errors';
import type { LoadedVersion } from './loaded-version';
import type { Route } from './model-host';

/** One request's selection; one object per request (it replaces no other allocation). */
export interface ModelPath {
  /** URL-decoded; '' when malformed */
  name: string;
  version: string | undefined;
  label: string | undefined;
  /** what follows the selection: '', 'metadata', 'infer', … */
  tail: string;
  /** after the last ':' (`predict`); '' when none or when verbs are not parsed */
  verb: string;
}

/** A path segment, URL-decoded; undefined when malformed. */
export function decodeSegment(s: string): string | undefined {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/**
 * Splits `rest` (the path after `/v1/models/` or `/v2/models/`). `labels` and `verbs` are
 * TF Serving's; KServe V2 has neither.
 */
export function parseModelPath(rest: string, tfServing: boolean): ModelPath {
  let verb = '';
  if (tfServing) {
    const colon = rest.lastIndexOf(':');
    if (colon >= 0) {
      verb = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  const seg = rest.split('/');
  const p: ModelPath = { name: decodeSegment(seg[0]!) ?? '', version: undefined, label: undefined, tail: '', verb };
  let i = 1;
  if (seg[i] === 'versions' && seg[i + 1] !== undefined) {
    p.version = seg[i + 1];
    i += 2;
  } else if (tfServing && seg[i] === 'labels' && seg[i + 1] !== undefined) {
    p.label = decodeSegment(seg[i + 1]!) ?? '';
    i += 2;
  }
  p.tail = i >= seg.length ? '' : i === seg.length - 1 ? seg[i]! : seg.slice(i).join('/');
  return p;
}

/**
 * The version `p` names, or the one the route sends traffic to.
 * @throws KilnError `NOT_FOUND` naming what exists; `UNAVAILABLE` (503) when nothing is loaded yet
 */
export function pickVersion(route: Route, p: ModelPath): LoadedVersion {
  if (p.version !== undefined) {
    const n = /^\d+$/.test(p.version) ? Number(p.version) : NaN;
    const lv = route.versions.get(n);
    if (!lv) throw new KilnError('NOT_FOUND', `model "${route.name}" version ${p.version}: not found (available: ${[...route.versions.keys()].sort((a, b) => a - b).join(', ') || 'none'})`);
    return lv;
  }
  if (p.label !== undefined) {
    const lv = route.labels.get(p.label);
    if (!lv) throw new KilnError('NOT_FOUND', `model "${route.name}" label "${p.label}": not found (labels: ${[...route.labels.keys()].join(', ') || 'none'})`);
    return lv;
  }
  const lv = route.split ? route.split.pick() : route.default;
  if (!lv) throw new KilnError('UNAVAILABLE', `model "${route.name}": no version is available yet`);
  return lv;
}
