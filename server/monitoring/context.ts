/**
 * What the studio's monitoring views need to know of an endpoint before reading its log: the
 * endpoint, the version it serves by default, that version's package manifest (task, target,
 * inputs, labels) and the training target's mean (the historical-average baseline).
 */
import { KilnError } from '../../lib/errors';
import type { Manifest } from '../../lib/package/manifest';
import type { Db } from '../db/client';
import type { ModelVersion } from '../db/schema';
import { getEndpoint, type EndpointView } from '../registry/endpoints';
import { getVersion } from '../registry/registry';
import type { ArtifactStore } from '../storage/types';
import { trainingReference, versionManifest, type TrainingReference } from './reference';

export interface EndpointContext {
  ep: EndpointView;
  version: ModelVersion;
  manifest: Manifest;
  /** the training reference, or null when its dataset version is gone (the manifest still is) */
  reference: TrainingReference | null;
  /** regression: the training target's mean; null for classification or when unknown */
  targetMean: number | null;
}

/**
 * The endpoint's context. @throws KilnError `ENDPOINT_NOT_FOUND`, `ENDPOINT_BAD_TARGET` (no
 * version), `NOT_FOUND` (the version's package is gone).
 */
export async function endpointContext(db: Db, store: ArtifactStore, name: string): Promise<EndpointContext> {
  const ep = await getEndpoint(db, name);
  if (!ep) throw new KilnError('ENDPOINT_NOT_FOUND', `no endpoint "${name}"`, { param: 'name' });
  if (ep.defaultVersion === null) throw new KilnError('ENDPOINT_BAD_TARGET', `endpoint "${name}" resolves to no version`, { param: 'name' });
  const version = await getVersion(db, ep.model, ep.defaultVersion);
  if (!version) throw new KilnError('ENDPOINT_BAD_TARGET', `endpoint "${name}": v${ep.defaultVersion} of "${ep.model}" is gone`, { param: 'name' });
  const reference = await trainingReference(db, store, version).catch((e: unknown) => {
    if (e instanceof KilnError && e.code === 'NOT_FOUND') return null;
    throw e;
  });
  const manifest = reference?.manifest ?? (await versionManifest(store, version));
  const stored = manifest.trainingStats.target;
  const targetMean = manifest.task !== 'regression' ? null : (reference?.target?.columns[0]?.numeric?.mean ?? (stored && stored.type !== 'categorical' ? stored.mean : null));
  return { ep, version, manifest, reference, targetMean };
}
