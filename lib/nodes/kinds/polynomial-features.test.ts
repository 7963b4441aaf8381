import { describe, expect, it } from 'vitest';
import { KilnError } from '../../errors';
import { columnsOf, makeFrame, makeTable, replaySteps, runKind } from './test-utils';
import { countPolynomialTerms, polynomialFeatures, termName } from './polynomial-features';

const kinds = { polynomial_features: polynomialFeatures };

function frame() {
  return makeFrame({ a: [1, 2, 3], b: [4, 5, NaN], y: [0, 1, 0] }, { target: 'y' });
}

describe('polynomial_features', () => {
  it('degree 2 in scikit-learn order, inputs kept, NaN propagates', async () => {
    const out = await runKind(polynomialFeatures, frame(), {});
    expect(columnsOf(out.table)).toEqual({
      a: [1, 2, 3],
      b: [4, 5, NaN],
      y: [0, 1, 0],
      'a^2': [1, 4, 9],
      'a*b': [4, 10, NaN],
      'b^2': [16, 25, NaN],
    });
  });

  it('degree 3, interaction only, bias', async () => {
    const f = makeFrame({ a: [2], b: [3], c: [5] });
    const out = await runKind(polynomialFeatures, f, { degree: 3, interactionOnly: true, includeBias: true });
    expect(columnsOf(out.table)).toEqual({ a: [2], b: [3], c: [5], bias: [1], 'a*b': [6], 'a*c': [10], 'b*c': [15], 'a*b*c': [30] });
    const full = await runKind(polynomialFeatures, makeFrame({ a: [2], b: [3] }), { degree: 3 });
    expect(columnsOf(full.table)).toEqual({ a: [2], b: [3], 'a^2': [4], 'a*b': [6], 'b^2': [9], 'a^3': [8], 'a^2*b': [12], 'a*b^2': [18], 'b^3': [27] });
  });

  it('counts terms without generating them', () => {
    expect(countPolynomialTerms(2, 2, false)).toBe(3);
    expect(countPolynomialTerms(3, 3, true)).toBe(4);
    expect(countPolynomialTerms(10, 4, false)).toBe(55 + 220 + 715);
    expect(termName(['x', 'y'], [0, 0, 1, 1, 1])).toBe('x^2*y^3');
  });

  it('apply reproduces run', async () => {
    const f = frame();
    const out = await runKind(polynomialFeatures, f, { degree: 3, includeBias: true });
    expect(columnsOf(replaySteps(out, f.table, kinds))).toEqual(columnsOf(out.table));
    expect(columnsOf(replaySteps(out, makeTable({ a: [-1], b: [2] }), kinds))['a^2*b']).toEqual([2]);
  });

  it('guards the number of output columns, naming node and param', async () => {
    const spec: Record<string, number[]> = {};
    for (let i = 0; i < 40; i++) spec[`c${i}`] = [i];
    const e = await runKind(polynomialFeatures, makeFrame(spec), { degree: 4 }).catch((x: unknown) => x);
    expect((e as KilnError).code).toBe('TOO_MANY_FEATURES');
    expect((e as KilnError).message).toBe(
      'node "n1" param "degree": degree 4 on 40 columns makes 135710 new columns, more than 10000; lower the degree or select fewer columns',
    );
  });

  it('fails on name clashes, bad columns and bad degree', async () => {
    const clash = makeFrame({ a: [1], 'a^2': [7] });
    const e = await runKind(polynomialFeatures, clash, { columns: ['a'] }).catch((x: unknown) => x);
    expect((e as KilnError).message).toContain('output column "a^2" already exists');
    const e2 = await runKind(polynomialFeatures, makeFrame({ s: ['x'] }), {}).catch((x: unknown) => x);
    expect((e2 as KilnError).code).toBe('NO_COLUMNS');
    expect(polynomialFeatures.params.safeParse({ degree: 5 }).success).toBe(false);
    expect(polynomialFeatures.params.safeParse({ degree: 1 }).success).toBe(false);
  });
});
