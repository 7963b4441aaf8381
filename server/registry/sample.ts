/**
 * A realistic request record for a model package, built from what the package knows about its
 * training data: used by the serveability check (TFX InfraValidator's sample request) and by the
 * endpoint snippets, so both send something the model has actually seen the like of.
 */
import '../../lib/nodes/catalog';
import { typicalValuesFromSteps } from '../../lib/nodes/fitted';
import type { Manifest } from '../../lib/package/manifest';

type Value = number | string | boolean;

/**
 * One record with every input field of the package: numeric → a typical training value (the
 * imputation fill, the scaler's mean, or the training statistics' mean), categorical → the
 * first known category (schema, encoder vocabulary or most frequent value), boolean → false, date → the training mean or 2024-01-01.
 */
export function sampleRecord(manifest: Manifest): Record<string, Value> {
  // What the fitted steps learned, as their kinds report it (imputation fills, scaler means, vocabularies).
  const fromSteps = typicalValuesFromSteps(manifest.preprocessing);
  const stats = new Map(manifest.trainingStats.features.map((f) => [f.name, f]));
  const rec: Record<string, Value> = {};
  for (const field of manifest.inputSchema) {
    const st = stats.get(field.name);
    const known = fromSteps.get(field.name);
    switch (field.type) {
      case 'categorical': {
        const top = st?.type === 'categorical' ? st.top[0]?.value : undefined;
        rec[field.name] = field.categories?.[0] ?? (known !== undefined ? String(known) : undefined) ?? top ?? 'unknown';
        break;
      }
      case 'boolean':
        rec[field.name] = false;
        break;
      case 'date': {
        const mean = st && st.type !== 'categorical' ? st.mean : null;
        rec[field.name] = new Date(typeof mean === 'number' ? Math.round(mean) : Date.UTC(2024, 0, 1)).toISOString();
        break;
      }
      default: {
        const mean = st && st.type !== 'categorical' ? st.mean : null;
        const v = typeof known === 'number' ? known : typeof mean === 'number' ? mean : 0;
        // Rounded so snippets read like data someone would type, not float noise.
        rec[field.name] = Number(v.toPrecision(6));
      }
    }
  }
  return rec;
}
