import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { typeOfValue, typesOfDefines } from './value-type';

/** Syntax errors of `declare var x: <t>;` (as the editor declares it). */
function syntaxErrors(t: string): string[] {
  const r = ts.transpileModule(`declare var x: ${t};\n`, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022 } });
  return (r.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

class Plain {
  a = 1;
}
class WithMethod {
  a = 1;
  m(): number {
    return this.a;
  }
}
const fakeTensor = { shape: [2], dtype: 'float32', dataSync: () => new Float32Array(2) };
const fakeModel = { layers: [], predict: () => fakeTensor };
const cyclic: Record<string, unknown> = { n: 1 };
cyclic.self = cyclic;
const throwing = new Proxy({}, { ownKeys: () => { throw new Error('no'); }, has: () => { throw new Error('no'); } });

const CASES: [unknown, string][] = [
  [1, 'number'],
  ['s', 'string'],
  [true, 'boolean'],
  [10n, 'bigint'],
  [null, 'null'],
  [undefined, 'undefined'],
  [[1, 2, 3], 'number[]'],
  [[1, 'a', 2], '(number | string)[]'],
  [[1, 'a', true, null, undefined, 2n], 'unknown[]'],
  [[], 'unknown[]'],
  [[[1], [2]], 'number[][]'],
  [{ a: 1, b: 's' }, '{ a: number; b: string }'],
  [{ 'a-b': 1, 'q"x': 2, ok: [1] }, '{ "a-b": number; "q\\"x": number; ok: number[] }'],
  [{ histories: { a: [1, 2], b: [3] } }, '{ histories: { a: number[]; b: number[] } }'],
  [{}, 'Record<string, unknown>'],
  [Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, i])), 'Record<string, unknown>'],
  [{ a: { b: { c: { d: 1 } } } }, '{ a: { b: { c: Record<string, unknown> } } }'],
  [() => 1, '(...args: any[]) => any'],
  [async () => 1, '(...args: any[]) => Promise<any>'],
  [[() => 1], '((...args: any[]) => any)[]'],
  [Promise.resolve(1), 'Promise<unknown>'],
  [fakeTensor, "import('@tensorflow/tfjs').Tensor"],
  [[fakeTensor], "import('@tensorflow/tfjs').Tensor[]"],
  [fakeModel, "import('@tensorflow/tfjs').LayersModel"],
  [new Map([[1, 2]]), 'Map<unknown, unknown>'],
  [new Set([1]), 'Set<unknown>'],
  [new Date(0), 'Date'],
  [new Float32Array(2), 'Float32Array'],
  [new Plain(), '{ a: number }'],
  [new WithMethod(), 'any'],
  [cyclic, '{ n: number; self: any }'],
  [throwing, 'any'],
  [{ get g() { throw new Error('no'); } }, '{ g: any }'],
  [Symbol('s'), 'symbol'],
];

describe('typeOfValue', () => {
  it.each(CASES.map(([v, t], i) => [i, v, t] as const))('case %i', (_i, v, t) => {
    expect(typeOfValue(v)).toBe(t);
  });

  it('every output is valid TypeScript', () => {
    for (const [v] of CASES) expect(syntaxErrors(typeOfValue(v))).toEqual([]);
    expect(syntaxErrors('{ a: number; }x')).not.toEqual([]);
  });

  it('keeps huge values short', () => {
    const wide = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`key${i}`, Object.fromEntries(Array.from({ length: 30 }, (_, j) => [`inner${j}`, { x: 1, y: 's' }]))]));
    const t = typeOfValue(wide);
    expect(t.length).toBeLessThanOrEqual(2000);
    expect(syntaxErrors(t)).toEqual([]);
  });

  it('typesOfDefines types only defined names', () => {
    expect(typesOfDefines(['a', 'b'], { a: [1] })).toEqual({ a: 'number[]' });
  });
});
