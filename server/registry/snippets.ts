/**
 * Copy-paste client snippets for an endpoint (curl, JavaScript fetch, Python standard library),
 * built from the serving version's input schema with a real sample record, so each works as
 * pasted against the serving process (TF Serving's REST API, `KILN_SERVING_URL`).
 */
import { KilnError } from '../../lib/errors';
import { readZipManifest } from '../../lib/package/zip';
import type { Db } from '../db/client';
import type { ArtifactStore } from '../storage/types';
import { getEndpoint } from './endpoints';
import { getVersion } from './registry';
import { sampleRecord } from './sample';

export interface EndpointSnippets {
  /** the predict URL the snippets call */
  url: string;
  version: number;
  /** the record the snippets send */
  record: Record<string, unknown>;
  /** true when the endpoint has keys: the snippets read the key from $KILN_API_KEY */
  needsKey: boolean;
  curl: string;
  javascript: string;
  python: string;
}

/**
 * Reads only the manifest out of a package zip. A bad manifest (invalid JSON, wrong schema) is
 * a `KilnError` with its catalog code and status, never a bare exception answered as a 500.
 */
export const manifestFromZip = readZipManifest;

/** A JSON value as a Python literal (True/False/None; JSON string escapes are valid Python). */
export function pythonLiteral(v: unknown, indent = ''): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'None';
  if (typeof v === 'string') return JSON.stringify(v);
  const inner = `${indent}    `;
  if (Array.isArray(v)) return `[${v.map((x) => pythonLiteral(x, indent)).join(', ')}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${pythonLiteral(x, inner)},`).join('\n')}\n${indent}}`;
}

/** A string inside single quotes for a POSIX shell. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The three snippets for a predict URL and record (exported for tests). */
export function buildSnippets(url: string, record: Record<string, unknown>, needsKey: boolean): Pick<EndpointSnippets, 'curl' | 'javascript' | 'python'> {
  const body = JSON.stringify({ instances: [record] });
  const curl = [
    `curl -sS -X POST ${shellQuote(url)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    ...(needsKey ? [`  -H "Authorization: Bearer $KILN_API_KEY" \\`] : []),
    `  -d ${shellQuote(body)}`,
  ].join('\n');
  const record2 = JSON.stringify(record, null, 2).replace(/\n/g, '\n  ');
  const javascript = [
    `// Node 18+ or a browser. The answer is {"predictions": [...]}; errors are {"error": "..."}.`,
    `async function predict(records) {`,
    `  const res = await fetch(${JSON.stringify(url)}, {`,
    `    method: 'POST',`,
    needsKey
      ? `    headers: { 'Content-Type': 'application/json', Authorization: \`Bearer \${process.env.KILN_API_KEY}\` },`
      : `    headers: { 'Content-Type': 'application/json' },`,
    `    body: JSON.stringify({ instances: records }),`,
    `  });`,
    `  const body = await res.json();`,
    `  if (!res.ok) throw new Error(\`\${res.status}: \${body.error}\`);`,
    `  return body.predictions;`,
    `}`,
    ``,
    `const record = ${record2};`,
    `predict([record]).then((p) => console.log(JSON.stringify(p)), (e) => { console.error(e.message); process.exitCode = 1; });`,
  ].join('\n');
  const python = [
    `# Python 3, standard library only. The answer is {"predictions": [...]}; errors are {"error": "..."}.`,
    `import json`,
    ...(needsKey ? [`import os`] : []),
    `import urllib.request`,
    ``,
    `record = ${pythonLiteral(record)}`,
    ``,
    `req = urllib.request.Request(`,
    `    ${JSON.stringify(url)},`,
    `    data=json.dumps({"instances": [record]}).encode("utf-8"),`,
    needsKey
      ? `    headers={"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["KILN_API_KEY"]},`
      : `    headers={"Content-Type": "application/json"},`,
    `    method="POST",`,
    `)`,
    `with urllib.request.urlopen(req) as res:`,
    `    print(json.dumps(json.load(res)["predictions"]))`,
  ].join('\n');
  return { curl, javascript, python };
}

/**
 * Snippets for an endpoint: the record comes from the manifest of the version the endpoint
 * serves by default. @throws KilnError `ENDPOINT_NOT_FOUND`, `ENDPOINT_BAD_TARGET`
 */
export async function endpointSnippets(db: Db, store: ArtifactStore, name: string, servingUrl: string): Promise<EndpointSnippets> {
  const ep = await getEndpoint(db, name);
  if (!ep) throw new KilnError('ENDPOINT_NOT_FOUND', `no endpoint "${name}"`, { param: 'endpoint' });
  if (ep.defaultVersion === null) throw new KilnError('ENDPOINT_BAD_TARGET', `endpoint "${name}" resolves to no version`, { param: 'endpoint' });
  const v = await getVersion(db, ep.model, ep.defaultVersion);
  if (!v) throw new KilnError('ENDPOINT_BAD_TARGET', `endpoint "${name}": v${ep.defaultVersion} of "${ep.model}" is gone`, { param: 'endpoint' });
  const zip = await store.getBytes(v.storageKey);
  if (!zip) throw new KilnError('ENDPOINT_BAD_TARGET', `endpoint "${name}": the package of v${v.version} is missing from the artifact store`, { param: 'endpoint' });
  const record = sampleRecord(manifestFromZip(zip));
  const needsKey = ep.access === 'keys';
  const url = `${servingUrl.replace(/\/+$/, '')}/v1/models/${encodeURIComponent(name)}:predict`;
  return { url, version: v.version, record, needsKey, ...buildSnippets(url, record, needsKey) };
}
