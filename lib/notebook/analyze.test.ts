import { describe, expect, it } from 'vitest';
import { analyzeCell, type CellAnalysis } from './analyze';

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<{ value: unknown; defines: Record<string, unknown> }>;

/** Runs a cell's body the way the kernel does: uses as parameters, then __modules. */
async function run(a: CellAnalysis, env: Record<string, unknown> = {}, modules: Record<string, unknown> = {}) {
  const fn = new AsyncFunction(...a.uses, '__modules', a.body);
  return fn(...a.uses.map((n) => env[n]), modules);
}

function names(src: string): { defines: string[]; uses: string[] } {
  const a = analyzeCell(src);
  expect(a.error).toBeUndefined();
  return { defines: [...a.defines].sort(), uses: [...a.uses].sort() };
}

describe('analyzeCell: defines and uses', () => {
  it('reads the acceptance chain', () => {
    expect(names('const a = 2')).toEqual({ defines: ['a'], uses: [] });
    expect(names('const b = a * 3')).toEqual({ defines: ['b'], uses: ['a'] });
    expect(names('b')).toEqual({ defines: [], uses: ['b'] });
  });

  it('defines every top-level declaration kind, including destructuring', () => {
    const src = 'const {a, b: [c], ...rest} = o\nlet [d = 1, , e] = arr\nvar f\nfunction g() {}\nclass H {}\nasync function* gen() {}';
    expect(names(src)).toEqual({ defines: ['a', 'c', 'd', 'e', 'f', 'g', 'gen', 'H', 'rest'].sort(), uses: ['arr', 'o'] });
  });

  it('does not define names declared inside functions, blocks and loops', () => {
    const src = 'function f() { const inner = 1; return inner }\n{ const blockScoped = 2 }\nfor (let i = 0; i < 3; i++) { const x = i }\nif (ok) { let y = 1 }';
    expect(names(src)).toEqual({ defines: ['f'], uses: ['ok'] });
  });

  it('hoists var out of top-level blocks (JavaScript semantics)', () => {
    expect(names('for (var k = 0; k < n; k++) {}\nif (t) { var v = 1 }')).toEqual({ defines: ['k', 'v'], uses: ['n', 't'] });
  });

  it('ignores property keys and member names', () => {
    expect(names('const r = { x: 1, y: o.z, [k]: 2 }\nr.w\nq?.p')).toEqual({ defines: ['r'], uses: ['k', 'o', 'q'] });
  });

  it('counts object shorthand and template literal holes as uses', () => {
    expect(names('const o = { a, b }\n`${c} and ${d.e}`')).toEqual({ defines: ['o'], uses: ['a', 'b', 'c', 'd'] });
  });

  it('excludes standard globals but keeps kiln and tf', () => {
    expect(names('Math.max(1, 2); JSON.stringify({}); console.log(new Map(), Promise.resolve(), fetch)\nconst t = tf.tensor([1]); kiln.data("x")')).toEqual({ defines: ['t'], uses: ['kiln', 'tf'] });
  });

  it('does not list a name the cell itself defines, even used before its declaration', () => {
    expect(names('const y = f(2)\nfunction f(x) { return x + z }')).toEqual({ defines: ['f', 'y'], uses: ['z'] });
  });
});

describe('analyzeCell: shadowing', () => {
  it('parameters, locals and default params', () => {
    expect(names('function f(a, { b }, [c], ...d) { const e = 1; return a + b + c + d + e + g }')).toEqual({ defines: ['f'], uses: ['g'] });
    expect(names('const f = (x = outer, y = x) => x + y')).toEqual({ defines: ['f'], uses: ['outer'] });
  });

  it('block bindings shadow only inside their block', () => {
    expect(names('{ const a = 1; a }\na')).toEqual({ defines: [], uses: ['a'] });
    expect(names('for (const item of items) { item }\nitem')).toEqual({ defines: [], uses: ['item', 'items'] });
  });

  it('catch bindings, class and function expression names', () => {
    expect(names('try { risky() } catch (err) { err.message }')).toEqual({ defines: [], uses: ['risky'] });
    expect(names('try {} catch ({ message }) { message }\nmessage')).toEqual({ defines: [], uses: ['message'] });
    expect(names('const A = class B { m() { return B } }\nconst f = function self() { return self }')).toEqual({ defines: ['A', 'f'], uses: [] });
  });

  it('class fields and methods read outer names; class name is visible inside', () => {
    expect(names('class C { x = base; static y = C.x; m(p) { return p + other } }')).toEqual({ defines: ['C'], uses: ['base', 'other'] });
  });

  it('nested function scopes and closures', () => {
    expect(names('function outer() { const a = 1; return () => { const b = a; return b + c } }')).toEqual({ defines: ['outer'], uses: ['c'] });
  });

  it('labels are not names', () => {
    expect(names('loop: for (const x of xs) { if (x) break loop; continue loop }')).toEqual({ defines: [], uses: ['xs'] });
  });

  it('switch cases share one block scope', () => {
    expect(names('switch (k) { case 1: let z = 1; break; default: z }')).toEqual({ defines: [], uses: ['k'] });
  });
});

describe('analyzeCell: TypeScript', () => {
  it('strips types, interfaces, generics and `as`', () => {
    const src = 'interface P { x: number }\ntype Q = P[]\nconst p: P = { x: n } as P\nfunction id<T>(v: T): T { return v }\nconst ps: Q = [p]';
    expect(names(src)).toEqual({ defines: ['id', 'p', 'ps'], uses: ['n'] });
  });

  it('enums define their name', () => {
    expect(names('enum Color { Red, Green }\nColor.Green')).toEqual({ defines: ['Color'], uses: [] });
  });

  it('optional chaining and non-null assertions', () => {
    expect(names('const v = data?.rows![0]?.value ?? fallback')).toEqual({ defines: ['v'], uses: ['data', 'fallback'] });
  });

  it('async generators and top-level await', () => {
    const a = analyzeCell('async function* epochs() { for await (const m of train()) yield m }\nconst r = await load()');
    expect(a.ok).toBe(true);
    expect(a.defines).toEqual(['epochs', 'r']);
    expect([...a.uses].sort()).toEqual(['load', 'train']);
  });
});

describe('analyzeCell: imports', () => {
  it('lists imports and defines their locals', () => {
    const a = analyzeCell('import * as tfn from "@tensorflow/tfjs"\nimport d, { a as b, c } from "m"\nimport type { T } from "types"\nconst x: T = tfn.add(b, c)');
    expect(a.imports).toEqual([
      { local: 'tfn', module: '@tensorflow/tfjs', imported: '*' },
      { local: 'd', module: 'm', imported: 'default' },
      { local: 'b', module: 'm', imported: 'a' },
      { local: 'c', module: 'm', imported: 'c' },
    ]);
    expect(a.defines).toEqual(['tfn', 'd', 'b', 'c', 'x']);
    expect(a.uses).toEqual([]);
  });

  it('rewrites imports to read __modules', async () => {
    const a = analyzeCell('import * as ns from "m"\nimport def, { two } from "m"\nns.one + def + two');
    const r = await run(a, {}, { m: { one: 1, default: 10, two: 2 } });
    expect(r.value).toBe(13);
    expect(Object.keys(r.defines)).toEqual(['ns', 'def', 'two']);
  });
});

describe('analyzeCell: body', () => {
  it('returns the last expression and the defines', async () => {
    const a = analyzeCell('const b = a * 3\nb');
    expect(a.hasValue).toBe(true);
    const r = await run(a, { a: 5 });
    expect(r).toEqual({ value: 15, defines: { b: 15 } });
  });

  it('has no value when the last statement is a declaration', async () => {
    const a = analyzeCell('const x = 1');
    expect(a.hasValue).toBe(false);
    expect((await run(a)).value).toBeUndefined();
  });

  it('handles parenthesised sequences, trailing comments and top-level await', async () => {
    expect((await run(analyzeCell('(1, 2) // last'))).value).toBe(2);
    expect((await run(analyzeCell('const v = await Promise.resolve(4)\nv * 2;'))).value).toBe(8);
  });

  it('keeps the user code on its own lines (lineOffset maps stack lines)', async () => {
    const src = 'const a: number = 1\n\ninterface X { y: string }\nthrow new Error("boom")';
    const a = analyzeCell(src);
    const lines = a.body.split('\n');
    expect(lines[3 + a.lineOffset]).toContain('throw new Error("boom")');
    await expect(run(a)).rejects.toThrow('boom');
  });

  it('keeps lines when a multi-line import is rewritten', () => {
    const a = analyzeCell('import {\n  p,\n  q,\n} from "m"\nboom()');
    expect(a.body.split('\n')[4]).toContain('boom()');
  });

  it('strips export from declarations and rejects export default', () => {
    expect(analyzeCell('export const e = 1').defines).toEqual(['e']);
    const bad = analyzeCell('export default 1');
    expect(bad.ok).toBe(false);
    expect(bad.error?.message).toMatch(/export/);
  });

  it('shows a lone string literal (parsed as a directive) as the value', async () => {
    const a = analyzeCell("'hello'");
    expect(a.hasValue).toBe(true);
    expect((await run(a)).value).toBe('hello');
  });

  it('rejects names reserved by the generated body', () => {
    expect(analyzeCell('const __value = 1').ok).toBe(false);
  });
});

describe('analyzeCell: errors', () => {
  it('reports a TypeScript syntax error with 1-based line and column', () => {
    const a = analyzeCell('const ok = 1\nlet y: = 3');
    expect(a.ok).toBe(false);
    expect(a.error).toEqual({ message: 'Unexpected token', line: 2, column: 8 });
  });

  it('reports a JavaScript syntax error in the original source position', () => {
    const a = analyzeCell('const a = 1\n\nconst b = ;');
    expect(a.ok).toBe(false);
    expect(a.error?.line).toBe(3);
    expect(a.error?.column).toBe(11);
  });

  it('rejects top-level return', () => {
    expect(analyzeCell('return 1').ok).toBe(false);
  });
});

describe('analyzeCell: kiln.graph access', () => {
  it('detects reads and mutator calls', () => {
    expect(analyzeCell('kiln.graph.nodes.length')).toMatchObject({ readsGraph: true, writesGraph: false });
    expect(analyzeCell('kiln.graph.addNode("scale", {})')).toMatchObject({ readsGraph: true, writesGraph: true });
    expect(analyzeCell('kiln["graph"].setParam("n1", "k", 3)')).toMatchObject({ readsGraph: true, writesGraph: true });
    expect(analyzeCell('kiln.data("cars")')).toMatchObject({ readsGraph: false, writesGraph: false });
  });

  it('follows aliases and destructuring', () => {
    expect(analyzeCell('const g = kiln.graph\ng.connect("a", "b")')).toMatchObject({ readsGraph: true, writesGraph: true });
    expect(analyzeCell('const { graph } = kiln\ngraph.nodes')).toMatchObject({ readsGraph: true, writesGraph: false });
    expect(analyzeCell('const { removeNode } = kiln.graph')).toMatchObject({ writesGraph: true });
  });

  it('ignores a local variable named kiln', () => {
    expect(analyzeCell('const kiln = { graph: { addNode() {} } }\nkiln.graph.addNode()')).toMatchObject({ readsGraph: false, writesGraph: false });
  });
});
