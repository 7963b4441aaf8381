import { describe, expect, it } from 'vitest';
import { KilnError } from '../errors';
import { fromIpynb, toIpynb } from './ipynb';
import { notebookSchema, type NotebookDoc } from './schema';

const doc: NotebookDoc = {
  version: 1,
  cells: [
    { id: 'c1', source: 'const a = 2', manual: false, outputs: [] },
    { id: 'c2', source: 'const b = a * 3\nb\n', manual: false, outputs: [{ type: 'text', text: '6' }] },
    { id: 'c3', source: 'rows', manual: true, outputs: [{ type: 'table', columns: ['mpg', 'name'], rows: [[18, 'chevy'], [null, 'ford']], totalRows: 398 }] },
    { id: 'c4', source: 't', manual: false, outputs: [{ type: 'tensor', shape: [2, 2], dtype: 'float32', preview: '[[1, 2], [3, 4]]', stats: { min: 1, max: 4, mean: 2.5 } }] },
    { id: 'c5', source: 'chart', manual: false, outputs: [{ type: 'chart', spec: { mark: 'point', data: { values: [{ x: 1 }] } } }] },
    { id: 'c6', source: 'm', manual: false, outputs: [{ type: 'model', name: 'mlp', layers: [{ name: 'd1', type: 'Dense', outputShape: '[null,8]', params: 40 }], totalParams: 40 }] },
    { id: 'c7', source: 'train()', manual: true, outputs: [{ type: 'progress', points: [{ epoch: 1, loss: 0.5 }, { epoch: 2, loss: 0.25 }], done: true }] },
    { id: 'c8', source: 'kiln.html(h)', manual: false, outputs: [{ type: 'html', html: '<b>hi</b>\n<i>there</i>' }] },
    { id: 'c9', source: '({ k: 1 })', manual: false, outputs: [{ type: 'json', json: '{"k":1}' }] },
    { id: 'c10', source: 'boom()', manual: false, outputs: [{ type: 'error', name: 'ReferenceError', message: 'boom is not defined', line: 1 }] },
    { id: 'c11', source: '', manual: false, outputs: [] },
  ],
};

describe('toIpynb', () => {
  const nb = toIpynb(doc, { name: 'cars-sample' }) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  it('writes nbformat 4.5 with the TypeScript kernelspec and language_info', () => {
    expect(nb.nbformat).toBe(4);
    expect(nb.nbformat_minor).toBe(5);
    expect(nb.metadata.kernelspec).toEqual({ name: 'kiln-ts', display_name: 'TypeScript (Kiln)', language: 'typescript' });
    expect(nb.metadata.language_info).toEqual({ name: 'typescript', file_extension: '.ts', mimetype: 'text/typescript' });
  });

  it('writes sources as lists of lines and counts executions', () => {
    expect(nb.cells[1].source).toEqual(['const b = a * 3\n', 'b\n']);
    expect(nb.cells[10].source).toEqual([]);
    expect(nb.cells[0].execution_count).toBeNull();
    expect(nb.cells[1].execution_count).toBe(1);
    expect(nb.cells[2].execution_count).toBe(2);
    expect(nb.cells[1].outputs[0]).toMatchObject({ output_type: 'execute_result', execution_count: 1, data: { 'text/plain': ['6'] } });
    expect(nb.cells[2].metadata.kiln).toMatchObject({ id: 'c3', manual: true });
  });

  it('maps outputs to MIME types Jupyter renders', () => {
    const data = (i: number) => nb.cells[i].outputs[0].data;
    expect(data(2)['application/json']).toEqual({ columns: ['mpg', 'name'], rows: [[18, 'chevy'], [null, 'ford']], totalRows: 398 });
    expect(data(2)['text/plain'].join('')).toContain('mpg\tname');
    expect(data(3)['text/plain'].join('')).toContain('float32 [2, 2]');
    expect(data(4)['application/vnd.vegalite.v5+json']).toEqual({ mark: 'point', data: { values: [{ x: 1 }] } });
    expect(data(5)['text/plain'].join('')).toContain('Total params: 40');
    expect(data(6)['application/json']).toMatchObject({ points: [{ epoch: 1, loss: 0.5 }, { epoch: 2, loss: 0.25 }] });
    expect(data(7)['text/html']).toEqual(['<b>hi</b>\n', '<i>there</i>']);
    expect(data(8)['application/json']).toEqual({ k: 1 });
    expect(nb.cells[9].outputs[0]).toEqual({ output_type: 'error', ename: 'ReferenceError', evalue: 'boom is not defined', traceback: ['ReferenceError: boom is not defined (line 1)'] });
  });
});

describe('fromIpynb', () => {
  it('round-trips exactly, also through JSON text', () => {
    expect(fromIpynb(toIpynb(doc))).toEqual(doc);
    expect(fromIpynb(JSON.parse(JSON.stringify(toIpynb(doc))))).toEqual(doc);
    expect(notebookSchema.parse(fromIpynb(toIpynb(doc)))).toEqual(doc);
  });

  it('reads a notebook from Jupyter: markdown as comments, raw skipped, outputs by MIME type', () => {
    const jupyter = {
      nbformat: 4, nbformat_minor: 4, metadata: {},
      cells: [
        { cell_type: 'markdown', metadata: {}, source: ['# Title\n', '\n', 'Some *prose*'] },
        { cell_type: 'raw', metadata: {}, source: 'raw stuff' },
        { cell_type: 'code', metadata: {}, execution_count: 3, source: 'print(1)', outputs: [
          { output_type: 'stream', name: 'stdout', text: ['1\n'] },
          { output_type: 'display_data', data: { 'image/png': 'iVBOR' }, metadata: {} },
          { output_type: 'execute_result', execution_count: 3, data: { 'text/html': '<p>x</p>', 'text/plain': 'x' }, metadata: {} },
          { output_type: 'error', ename: 'ValueError', evalue: 'bad', traceback: [] },
        ] },
      ],
    };
    const d = fromIpynb(jupyter);
    expect(d.cells).toHaveLength(2);
    expect(d.cells[0]!.source).toBe('// # Title\n//\n// Some *prose*');
    expect(d.cells[1]!.outputs).toEqual([
      { type: 'text', text: '1\n' },
      { type: 'html', html: '<p>x</p>' },
      { type: 'error', name: 'ValueError', message: 'bad' },
    ]);
    expect(new Set(d.cells.map((c) => c.id)).size).toBe(2);
  });

  it('keeps valid nbformat 4.5 cell ids and replaces duplicate or invalid ones', () => {
    const d = fromIpynb({ nbformat: 4, cells: [
      { cell_type: 'code', id: 'same', source: 'a' },
      { cell_type: 'code', id: 'same', source: 'b' },
      { cell_type: 'code', id: 'has space', source: 'c' },
    ] });
    expect(d.cells[0]!.id).toBe('same');
    expect(d.cells[1]!.id).not.toBe('same');
    expect(d.cells[2]!.id).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('throws a KilnError naming the problem', () => {
    const bad = (json: unknown) => { try { fromIpynb(json); } catch (e) { expect(e).toBeInstanceOf(KilnError); return (e as Error).message; } return 'no error'; };
    expect(bad([])).toBe('notebook: expected a JSON object');
    expect(bad({ nbformat: 3, cells: [] })).toBe('nbformat: expected 4, got 3');
    expect(bad({ nbformat: 4 })).toBe('cells: expected a list of cells');
    expect(bad({ nbformat: 4, cells: [{ cell_type: 'code', source: 'ok' }, 5] })).toBe('cells[1]: expected an object');
    expect(bad({ nbformat: 4, cells: [{ cell_type: 'code', source: 'a' }, { cell_type: 'code', source: 'b' }, { cell_type: 'code', source: 'c' }, { cell_type: 'code', source: 7 }] }))
      .toBe('cells[3].source: expected a string or list of strings');
    expect(bad({ nbformat: 4, cells: [{ cell_type: 'heading', source: '' }] })).toBe('cells[0].cell_type: expected "code", "markdown" or "raw", got "heading"');
    expect(bad({ nbformat: 4, cells: [{ cell_type: 'code', source: '', outputs: [{ output_type: 'weird' }] }] })).toBe('cells[0].outputs[0].output_type: unknown output type "weird"');
  });

  it('falls back to the Jupyter outputs when Kiln metadata is malformed', () => {
    const nb = toIpynb({ version: 1, cells: [{ id: 'x', source: '1', manual: false, outputs: [{ type: 'text', text: '1' }] }] }) as { cells: { metadata: { kiln: { outputs: unknown } } }[] };
    nb.cells[0]!.metadata.kiln.outputs = [{ type: 'nonsense' }];
    expect(fromIpynb(nb).cells[0]!.outputs).toEqual([{ type: 'text', text: '1' }]);
  });
});
