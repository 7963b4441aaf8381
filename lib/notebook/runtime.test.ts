import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { chartMarker, htmlMarker } from './display';
import { NotebookRuntime, type CellContext, type CellInput, type CellUpdate } from './runtime';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function harness() {
  const last = new Map<string, CellUpdate>();
  const history: CellUpdate[] = [];
  const rt = new NotebookRuntime({
    tf,
    builtins: (ctx: CellContext) => ({
      tf,
      kiln: {
        signal: ctx.signal,
        progress: ctx.progress,
        chart: chartMarker,
        html: htmlMarker,
        sleep: (ms: number) => new Promise((r) => setTimeout(r, ms)),
      },
    }),
    modules: (_ctx, b) => ({ '@tensorflow/tfjs': tf, kiln: { kiln: b.kiln, default: b.kiln } }),
    onUpdate: (u) => {
      last.set(u.id, u);
      history.push(u);
    },
  });
  const text = (id: string) => {
    const o = last.get(id)?.outputs.find((x) => x.type === 'text');
    return o && o.type === 'text' ? o.text : undefined;
  };
  const cells = (...src: (string | [string, boolean])[]): CellInput[] =>
    src.map((s, i) => (Array.isArray(s) ? { id: `c${i}`, source: s[0], manual: s[1] } : { id: `c${i}`, source: s, manual: false }));
  return { rt, last, history, text, cells };
}

describe('NotebookRuntime', () => {
  it('is reactive: a=2 → b=a*3 → b shows 6; changing a to 5 shows 15 without running by hand', async () => {
    const h = harness();
    await h.rt.setCells(h.cells('const a = 2', 'const b = a * 3', 'b'));
    expect(h.text('c2')).toBe('6');
    expect(h.last.get('c1')?.status).toBe('done');
    await h.rt.setCells(h.cells('const a = 5', 'const b = a * 3', 'b'));
    expect(h.text('c2')).toBe('15');
    expect(h.last.get('c2')?.status).toBe('done');
  });

  it('reports a TypeScript type for each defined value (editor hints)', async () => {
    const h = harness();
    await h.rt.setCells(h.cells('const r = { histories: { a: [1, 2] } }; const t = tf.zeros([2]); const f = () => 1'));
    expect(h.last.get('c0')?.types).toEqual({ r: '{ histories: { a: number[] } }', t: "import('@tensorflow/tfjs').Tensor", f: '(...args: any[]) => any' });
  });

  it('runs in topological order whatever the cell order', async () => {
    const h = harness();
    await h.rt.setCells(h.cells('c', 'const c = b + 1', 'const b = 10'));
    expect(h.text('c0')).toBe('11');
  });

  it('drops the result of a run superseded by a newer run of the same cell', async () => {
    const h = harness();
    const first = h.rt.setCells(h.cells('await kiln.sleep(150); const v = "old"; v'));
    await new Promise((r) => setTimeout(r, 20));
    await h.rt.setCells(h.cells('const v = "new"; v'));
    await first;
    await h.rt.idle();
    expect(h.text('c0')).toBe('new');
    expect(h.history.filter((u) => u.id === 'c0' && u.outputs.some((o) => o.type === 'text' && o.text === 'old'))).toHaveLength(0);
    expect(h.rt.value('v')).toBe('new');
  });

  it('does not auto-run a manual cell; run() runs it and its dependents', async () => {
    const h = harness();
    await h.rt.setCells(h.cells('const a = 1', ['const m = a * 100', true], 'm + 1'));
    expect(h.last.get('c1')?.status).toBe('idle');
    expect(h.last.get('c2')?.status).toBe('stale');
    await h.rt.run('c1');
    expect(h.text('c2')).toBe('101');
    await h.rt.setCells(h.cells('const a = 2', ['const m = a * 100', true], 'm + 1'));
    expect(h.last.get('c1')?.status).toBe('stale');
    expect(h.text('c2')).toBe('101');
    await h.rt.run('c1');
    expect(h.text('c2')).toBe('201');
  });

  it('shows a duplicate definition on the two defining cells only', async () => {
    const h = harness();
    await h.rt.setCells(h.cells('const x = 1', 'const x = 2', 'const y = 3', 'y * 2'));
    expect(h.last.get('c0')?.status).toBe('error');
    expect(h.last.get('c1')?.status).toBe('error');
    expect(h.last.get('c0')?.error).toMatch(/x/);
    expect(h.last.get('c2')?.status).toBe('done');
    expect(h.text('c3')).toBe('6');
  });

  it('shows a cycle on the cells of the cycle only', async () => {
    const h = harness();
    await h.rt.setCells(h.cells('const p = q + 1', 'const q = p + 1', 'const z = 7', 'z'));
    expect(h.last.get('c0')?.status).toBe('error');
    expect(h.last.get('c1')?.status).toBe('error');
    expect(h.last.get('c0')?.error).toMatch(/cycle/i);
    expect(h.text('c3')).toBe('7');
  });

  it('names a use that no cell defines', async () => {
    const h = harness();
    await h.rt.setCells(h.cells('nope + 1'));
    expect(h.last.get('c0')?.status).toBe('error');
    expect(h.last.get('c0')?.error).toBe('`nope` is not defined by any cell');
  });

  it('reports a runtime error with the cell line', async () => {
    const h = harness();
    await h.rt.setCells(h.cells('const a = 1\nconst b: number = a + 1\nthrow new Error("boom at three")\nconst c = 3'));
    const u = h.last.get('c0')!;
    expect(u.status).toBe('error');
    const err = u.outputs.find((o) => o.type === 'error');
    expect(err).toMatchObject({ type: 'error', message: 'boom at three', line: 3 });
  });

  it('reports a syntax error with its line', async () => {
    const h = harness();
    await h.rt.setCells(h.cells('const a = 1\nconst = 2'));
    const err = h.last.get('c0')!.outputs.find((o) => o.type === 'error');
    expect(err).toMatchObject({ type: 'error', name: 'SyntaxError', line: 2 });
  });

  it('disposes the tensors a cell made when it re-runs (no leak over 10 re-runs)', async () => {
    const h = harness();
    await h.rt.setCells(h.cells('const t = tf.ones([50, 4]).mul(2).add(1)', 'const s = t.sum(); s'));
    const base = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) {
      await h.rt.setCells(h.cells(`const t = tf.ones([50, 4]).mul(${i + 2}).add(1)`, 'const s = t.sum(); s'));
    }
    expect(tf.memory().numTensors).toBe(base);
    const out = h.last.get('c1')!.outputs[0];
    expect(out).toMatchObject({ type: 'tensor', shape: [], dtype: 'float32' });
    expect(out && out.type === 'tensor' ? out.stats?.max : 0).toBe(200 * 12);
  });

  it('disposes a model a cell built when it re-runs', async () => {
    const h = harness();
    const src = (u: number) => `const model = tf.sequential({ layers: [tf.layers.dense({ units: ${u}, inputShape: [3] })] }); model`;
    await h.rt.setCells(h.cells(src(4)));
    expect(h.last.get('c0')!.outputs[0]).toMatchObject({ type: 'model', totalParams: 16 });
    const base = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await h.rt.setCells(h.cells(src(4 + (i % 2))));
    await h.rt.setCells(h.cells(src(4)));
    expect(tf.memory().numTensors).toBe(base);
  });

  it('streams an async generator as progress points', async () => {
    const h = harness();
    await h.rt.setCells(h.cells('async function* train() { for (let epoch = 1; epoch <= 3; epoch++) { await kiln.sleep(5); yield { epoch, loss: 1 / epoch } } }\ntrain()'));
    const u = h.last.get('c0')!;
    expect(u.status).toBe('done');
    expect(u.outputs[0]).toEqual({ type: 'progress', points: [{ epoch: 1, loss: 1 }, { epoch: 2, loss: 0.5 }, { epoch: 3, loss: 1 / 3 }], done: true });
    const running = h.history.filter((x) => x.id === 'c0' && x.status === 'running' && x.outputs[0]?.type === 'progress');
    expect(running.length).toBeGreaterThanOrEqual(3);
  });

  it('interrupts an async loop that checks kiln.signal', async () => {
    const h = harness();
    const p = h.rt.setCells(h.cells('let n = 0\nwhile (!kiln.signal.aborted) { n++; await kiln.sleep(5) }\nn', 'const after = 1'));
    await new Promise((r) => setTimeout(r, 60));
    h.rt.interrupt();
    await p;
    expect(h.last.get('c0')?.status).toBe('error');
    expect(h.last.get('c0')?.outputs.at(-1)).toMatchObject({ type: 'error', name: 'Interrupted' });
  });

  it('renders charts and html only from markers; text stays text', async () => {
    const h = harness();
    await h.rt.setCells(h.cells('kiln.chart({ mark: "point" })', 'kiln.html("<b>x</b>")', 'const s = "<img src=x onerror=alert(1)>"; s', '[{ a: 1, b: "x" }, { a: 2 }]'));
    expect(h.last.get('c0')!.outputs[0]).toEqual({ type: 'chart', spec: { mark: 'point' } });
    expect(h.last.get('c1')!.outputs[0]).toEqual({ type: 'html', html: '<b>x</b>' });
    expect(h.last.get('c2')!.outputs[0]).toEqual({ type: 'text', text: '<img src=x onerror=alert(1)>' });
    expect(h.last.get('c3')!.outputs[0]).toEqual({ type: 'table', columns: ['a', 'b'], rows: [[1, 'x'], [2, null]], totalRows: 2 });
  });

  it('reads imports through the module map', async () => {
    const h = harness();
    await h.rt.setCells(h.cells("import * as tfm from '@tensorflow/tfjs'\nconst k = tfm.scalar(3)", "import * as tf from '@tensorflow/tfjs'\nconst u = tf.scalar(1)", 'k', "import x from 'left-pad'"));
    expect(h.last.get('c0')?.status).toBe('done');
    expect(h.last.get('c1')?.status).toBe('done');
    expect(h.last.get('c2')!.outputs[0]).toMatchObject({ type: 'tensor', preview: '3' });
    expect(h.last.get('c3')?.error).toMatch(/module "left-pad" is not available/);
  });

  it('re-runs dependents when a cell is removed, naming the missing name', async () => {
    const h = harness();
    await h.rt.setCells(h.cells('const a = 1', 'a + 1'));
    await h.rt.setCells([{ id: 'c1', source: 'a + 1', manual: false }]);
    expect(h.last.get('c1')?.error).toBe('`a` is not defined by any cell');
  });
});
