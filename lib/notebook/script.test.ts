import { describe, expect, it } from 'vitest';
import type { NotebookDoc } from './schema';
import { fromScript, toScript } from './script';

const doc: NotebookDoc = {
  version: 1,
  cells: [
    { id: 'a', source: 'const a = 2', manual: false, outputs: [] },
    { id: 'b', source: 'const b = a * 3\n\n// note\n', manual: true, outputs: [] },
    { id: 'c', source: '', manual: false, outputs: [] },
    { id: 'd', source: 'b\n\n', manual: false, outputs: [] },
  ],
};

const strip = (d: NotebookDoc) => d.cells.map((c) => ({ source: c.source, manual: c.manual }));

describe('toScript / fromScript', () => {
  it('writes jupytext percent markers, manual flagged', () => {
    expect(toScript(doc)).toBe('// %%\nconst a = 2\n\n// %% [manual]\nconst b = a * 3\n\n// note\n\n\n// %%\n\n\n// %%\nb\n\n\n');
  });

  it('round-trips sources (blank lines, empty cells) and manual flags', () => {
    const back = fromScript(toScript(doc));
    expect(strip(back)).toEqual(strip(doc));
    expect(back.version).toBe(1);
    expect(new Set(back.cells.map((c) => c.id)).size).toBe(4);
  });

  it('treats text before the first marker as a cell, and a file without markers as one cell', () => {
    expect(strip(fromScript('import * as m from "m"\n\n// %%\nm.x\n'))).toEqual([
      { source: 'import * as m from "m"', manual: false },
      { source: 'm.x', manual: false },
    ]);
    expect(strip(fromScript('const x = 1\nx\n'))).toEqual([{ source: 'const x = 1\nx', manual: false }]);
    expect(strip(fromScript('\n\n// %%\n1'))).toEqual([{ source: '1', manual: false }]);
  });

  it('accepts jupytext titles and CRLF line endings', () => {
    expect(strip(fromScript('// %% train [manual]\r\nfit()\r\n\r\n//%% plot\r\nshow()\r\n'))).toEqual([
      { source: 'fit()', manual: true },
      { source: 'show()', manual: false },
    ]);
  });

  it('reads an empty file as an empty notebook', () => {
    expect(fromScript('').cells).toEqual([]);
  });
});
