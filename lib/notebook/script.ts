/**
 * A notebook as a plain `.ts` file in jupytext's "percent" format: each cell starts with a
 * `// %%` line (`// %% [manual]` for manual cells) and cells are separated by one blank line.
 * Text before the first marker is a cell of its own. A source line that itself reads `// %%`
 * would split its cell on re-import; that is the format's one ambiguity.
 */
import { newCellId, NOTEBOOK_VERSION, type NotebookDoc } from './schema';

const MARKER = /^\/\/\s?%%(.*)$/;

/** The `.ts` text of a notebook (sources and manual flags; outputs are not kept). */
export function toScript(doc: NotebookDoc): string {
  return `${doc.cells.map((c) => `// %%${c.manual ? ' [manual]' : ''}\n${c.source}`).join('\n\n')}\n`;
}

/** Reads a `.ts` file with `// %%` markers. A file without markers is one cell. */
export function fromScript(text: string): NotebookDoc {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const chunks: { manual: boolean; lines: string[] }[] = [];
  let current: { manual: boolean; lines: string[] } = { manual: false, lines: [] };
  let sawMarker = false;
  const flush = (): void => {
    // toScript writes one '\n' after every cell's source (a blank separator or the final newline)
    let source = current.lines.join('\n');
    if (source.endsWith('\n')) source = source.slice(0, -1);
    if (sawMarker || source.trim() !== '') chunks.push({ ...current, lines: [source] });
  };
  for (const line of lines) {
    const m = MARKER.exec(line);
    if (!m) { current.lines.push(line); continue; }
    flush();
    sawMarker = true;
    current = { manual: /\[\s*manual\s*\]/i.test(m[1] ?? ''), lines: [] };
  }
  flush();
  const ids = new Set<string>();
  return {
    version: NOTEBOOK_VERSION,
    cells: chunks.map((c) => {
      let id = newCellId();
      while (ids.has(id)) id = newCellId();
      ids.add(id);
      return { id, source: c.lines[0] ?? '', manual: c.manual, outputs: [] };
    }),
  };
}
