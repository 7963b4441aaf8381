/**
 * The serving process's base URL as this browser reaches it: the server knows its port
 * (`KILN_SERVING_URL`, carried in the snippets' predict URL); the host is the one the studio was
 * opened on, so a studio reached by another name still calls the right machine.
 */
export function servingBase(predictUrl: string, pageHostname: string | null): string {
  let u: URL;
  try {
    u = new URL(predictUrl);
  } catch {
    return predictUrl.replace(/\/v1\/models\/.*$/, '');
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]', '::1'];
  if (pageHostname && loopback.includes(u.hostname)) u.hostname = pageHostname;
  return `${u.protocol}//${u.host}`;
}

export type FieldKind = 'number' | 'boolean' | 'text';

/** A form field per record key, typed from the sample value. */
export function fieldsOf(record: Record<string, unknown>): { name: string; kind: FieldKind }[] {
  return Object.entries(record).map(([name, v]) => ({ name, kind: typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'text' }));
}

/** Form strings back to a request record: empty → null (the model imputes), numbers parsed. */
export function recordFromForm(fields: { name: string; kind: FieldKind }[], values: Record<string, string>): { record: Record<string, unknown>; error: string | null } {
  const record: Record<string, unknown> = {};
  for (const f of fields) {
    const raw = (values[f.name] ?? '').trim();
    if (raw === '') {
      record[f.name] = null;
      continue;
    }
    if (f.kind === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) return { record, error: `${f.name}: "${raw}" is not a number` };
      record[f.name] = n;
    } else if (f.kind === 'boolean') record[f.name] = raw === 'true';
    else record[f.name] = raw;
  }
  return { record, error: null };
}
