import { describe, expect, it } from 'vitest';
import { KilnError } from '../../errors';
import { columnsOf, makeFrame, makeTable, replaySteps, runKind } from './test-utils';
import { pca, symmetricEigen, type PcaState } from './pca';

const kinds = { pca };

const X = [
  [2.5, 2.4, 1.0],
  [0.5, 0.7, 2.0],
  [2.2, 2.9, 0.5],
  [1.9, 2.2, 1.5],
  [3.1, 3.0, 0.2],
  [2.3, 2.7, 1.1],
  [2.0, 1.6, 1.9],
  [1.0, 1.1, 2.2],
  [1.5, 1.6, 1.4],
  [1.1, 0.9, 2.6],
];

// References from numpy (eigh of the n−1 covariance, sign: largest |entry| positive; an SVD
// of the centred data with scikit-learn's svd_flip(u_based_decision=False) agrees to 1e-15).
const REF = {
  components: [
    [0.5621772125857065, 0.6256200675370126, -0.5408847499646752],
    [0.7037093396255506, -0.01829328213963033, 0.7102524348091539],
    [-0.4344536188975032, 0.7799133842443939, 0.4505387509452647],
  ],
  explainedVariance: [1.7829442821409285, 0.09545918327776909, 0.030707645692413243],
  ratio: [0.9339133127265953, 0.0500019002153371, 0.0160847870580677],
  proj: [
    [0.9324453997617309, 0.1640846647771832],
    [-1.7963478901872787, -0.5019830000273926],
    [1.347044644736863, -0.411300995584874],
    [0.19957268372056705, 0.10064393483435577],
    [2.077831567807103, 0.00713235142141222],
    [0.953607502509226, 0.08888005569109927],
    [-0.3359355355289399, 0.46609181200435057],
    [-1.3731882068725554, -0.015395156108638572],
    [-0.3465817668394556, -0.24088907521300165],
    [-1.6584483991072574, 0.3427354082055042],
  ],
  white: [
    [0.6983200715052269, 0.531079009946848],
    [-1.3453074973015997, -1.624726082883568],
    [1.0088186534822836, -1.331223279286865],
    [0.14946248949466498, 0.3257457443787716],
    [1.556114158939116, 0.023084680927497096],
    [0.7141686360513203, 0.287670587891608],
    [-0.25158634194737967, 1.5085600985304473],
    [-1.0283978955319126, -0.04982820469698069],
    [-0.25955943829373973, -0.7796653742435666],
    [-1.2420328363979778, 1.1093028194358032],
  ],
  // the extra test row [10, -5, 3], projected with the training fit
  testRow: [-0.5625835055487146, 6.997779869420384],
};

// ten training rows plus one extreme test row that must not influence the fit
function frame() {
  return makeFrame(
    {
      id: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'],
      x1: [...X.map((r) => r[0]!), 10],
      x2: [...X.map((r) => r[1]!), -5],
      x3: [...X.map((r) => r[2]!), 3],
      y: [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1],
    },
    { target: 'y', split: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] },
  );
}

function expectClose(actual: number[], expected: number[], digits = 12): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));
}

describe('symmetricEigen', () => {
  it('diagonalises a symmetric matrix: A v = λ v, sorted descending, deterministic signs', () => {
    const A = [
      [4, 1, -2, 2],
      [1, 2, 0, 1],
      [-2, 0, 3, -2],
      [2, 1, -2, -1],
    ];
    const { values, vectors } = symmetricEigen(A);
    for (let k = 0; k < 4; k++) {
      const v = vectors[k]!;
      const Av = A.map((row) => row.reduce((s, a, j) => s + a * v[j]!, 0));
      expectClose(Av, v.map((x) => x * values[k]!), 10);
      const big = v.reduce((b, x, i) => (Math.abs(x) > Math.abs(v[b]!) ? i : b), 0);
      expect(v[big]!).toBeGreaterThan(0);
    }
    // numpy.linalg.eigvalsh, descending
    expectClose(values, [6.844621107234966, 2.2685314064312423, 1.0843644637732177, -2.197516977439427], 10);
    expect(symmetricEigen([[5]])).toEqual({ values: [5], vectors: [[1]] });
  });
});

describe('pca', () => {
  it('matches numpy on the training rows and projects the test row with the training fit', async () => {
    const out = await runKind(pca, frame(), { components: 2 });
    expect(out.table.columns.map((c) => c.name)).toEqual(['id', 'pc1', 'pc2', 'y']);
    const s = out.steps[0]!.state as PcaState;
    s.components.forEach((c, k) => expectClose(c, REF.components[k]!, 12));
    expectClose(s.explainedVariance, REF.explainedVariance.slice(0, 2), 12);
    expectClose(s.explainedVarianceRatio, REF.ratio.slice(0, 2), 12);
    const cols = columnsOf(out.table);
    expectClose(cols.pc1 as number[], [...REF.proj.map((r) => r[0]!), REF.testRow[0]!], 12);
    expectClose(cols.pc2 as number[], [...REF.proj.map((r) => r[1]!), REF.testRow[1]!], 12);
  });

  it('whitens to unit variance', async () => {
    const out = await runKind(pca, frame(), { components: 2, whiten: true });
    const cols = columnsOf(out.table);
    expectClose((cols.pc1 as number[]).slice(0, 10), REF.white.map((r) => r[0]!), 12);
    expectClose((cols.pc2 as number[]).slice(0, 10), REF.white.map((r) => r[1]!), 12);
  });

  it('apply reproduces run exactly', async () => {
    const f = frame();
    const out = await runKind(pca, f, { components: 3, whiten: true });
    expect(columnsOf(replaySteps(out, f.table, kinds))).toEqual(columnsOf(out.table));
    const served = replaySteps(out, makeTable({ x3: [3], x2: [-5], x1: [10] }), kinds);
    expect(served.columns.map((c) => c.name)).toEqual(['pc1', 'pc2', 'pc3']);
  });

  it('tells the user to impute first, naming the column', async () => {
    const f = frame();
    (f.table.columns[2]!.values as Float64Array)[3] = NaN;
    const e = await runKind(pca, f, {}).catch((x: unknown) => x);
    expect((e as KilnError).code).toBe('PCA_MISSING');
    expect((e as KilnError).message).toBe(
      'node "n1" param "columns": column "x2" has a missing value at row 4; PCA needs complete rows, add an impute node before it',
    );
    const out = await runKind(pca, frame(), {});
    expect(() => replaySteps(out, makeTable({ x1: [1], x2: [NaN], x3: [1] }), kinds)).toThrow('column "x2" has a missing value at row 1');
  });

  it('rejects more components than columns, naming the param', async () => {
    const e = await runKind(pca, frame(), { components: 4 }).catch((x: unknown) => x);
    expect((e as KilnError).where).toEqual({ nodeId: 'n1', param: 'components' });
    expect((e as KilnError).message).toContain('4 components asked, but at most 3 are possible');
    expect(pca.params.safeParse({ components: 0 }).success).toBe(false);
  });

  it('refuses to whiten a zero-variance component', async () => {
    const f = makeFrame({ a: [1, 2, 3], b: [2, 4, 6] }); // rank 1
    const e = await runKind(pca, f, { components: 2, whiten: true }).catch((x: unknown) => x);
    expect((e as KilnError).code).toBe('PCA_WHITEN');
  });
});
