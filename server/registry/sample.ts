/**
 * A realistic request record for a model package, built from what the package knows about its
 * training data: used by the serveability check (TFX InfraValidator's sample request) and by the
 * endpoint snippets, so both send something the model has actually seen the like of.
 */
import type { Manifest } from '../../lib/package/manifest';

type Value = number | string | boolean;

/** Typical raw values per input field, read from fitted step states (imputation fills, scaler means). */
function valuesFromSteps(manifest: Manifest): Map<string, number | string> {
  const out = new Map<string, number | string>();
  const put = (col: unknown, v: unknown) => {
    if (typeof col !== 'string' || out.has(col)) return;
    if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string') out.set(col, v);
  };
  // Steps run in order and only the first step that reads a raw column sees it raw, so the first
  // value found per column wins.
  for (const step of manifest.preprocessing) {
    const s = step.state as { fills?: { column?: unknown; value?: unknown }[]; columns?: unknown[] } | null;
    if (!s || typeof s !== 'object') continue;
    if (Array.isArray(s.fills)) for (const f of s.fills) put(f?.column, f?.value);
    if (Array.isArray(s.columns)) {
      for (const c of s.columns as { column?: unknown; mean?: unknown; min?: unknown; max?: unknown; categories?: unknown }[]) {
        if (!c || typeof c !== 'object') continue;
        // Encoders' vocabularies (one-hot, ordinal): the first known category.
        if (Array.isArray(c.categories) && c.categories.length > 0) put(c.column, c.categories[0]);
        else if (typeof c.mean === 'number') put(c.column, c.mean);
        else if (typeof c.min === 'number' && typeof c.max === 'number') put(c.column, (c.min + c.max) / 2);
      }
    }
  }
  return out;
}

/**
 * One record with every input field of the package: numeric → a typical training value (the
 * imputation fill, the scaler's mean, or the training statistics' mean), categorical → the
 * first known category (schema, encoder vocabulary or most frequent value), boolean → false, date → the training mean or 2024-01-01.
 */
export function sampleRecord(manifest: Manifest): Record<string, Value> {
  const fromSteps = valuesFromSteps(manifest);
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
