'use client';
/** Import and export of notebooks: `.ipynb` (nbformat 4) and `.ts` with `// %%` cell markers. */
import { fromIpynb, toIpynb } from '../../lib/notebook/ipynb';
import { notebookSchema, type NotebookDoc } from '../../lib/notebook/schema';
import { fromScript, toScript } from '../../lib/notebook/script';
import { downloadBlob } from '../studio/download';

const MAX_IMPORT_BYTES = 20 * 1024 * 1024;

/** Reads an imported file into a document, or throws one line naming the file and the problem. */
export async function importFile(file: File): Promise<NotebookDoc> {
  if (file.size > MAX_IMPORT_BYTES) throw new Error(`${file.name}: ${(file.size / 1e6).toFixed(1)} MB is over the ${MAX_IMPORT_BYTES / 1e6} MB import limit`);
  const text = await file.text();
  const lower = file.name.toLowerCase();
  let doc: NotebookDoc;
  try {
    if (lower.endsWith('.ipynb') || lower.endsWith('.json')) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new Error(`not JSON (${(e as Error).message})`);
      }
      doc = fromIpynb(json);
    } else if (lower.endsWith('.ts') || lower.endsWith('.js') || lower.endsWith('.mts')) {
      doc = fromScript(text);
    } else {
      throw new Error('expected a .ipynb notebook or a .ts file with // %% cell markers');
    }
  } catch (e) {
    throw new Error(`${file.name}: ${(e as Error).message}`);
  }
  const parsed = notebookSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file.name}: ${issue.path.join('.')}: ${issue.message}`);
  }
  if (parsed.data.cells.length === 0) throw new Error(`${file.name}: the notebook has no code cells`);
  return parsed.data;
}

function baseName(projectName: string): string {
  return projectName.replace(/[^A-Za-z0-9._-]+/g, '-') || 'notebook';
}

export function exportIpynb(projectName: string, doc: NotebookDoc): void {
  downloadBlob(`${baseName(projectName)}.ipynb`, new Blob([`${JSON.stringify(toIpynb(doc, { name: projectName }), null, 1)}\n`], { type: 'application/x-ipynb+json' }));
}

export function exportScript(projectName: string, doc: NotebookDoc): void {
  downloadBlob(`${baseName(projectName)}.ts`, new Blob([toScript(doc)], { type: 'text/typescript' }));
}
