import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { columnDrift, datasetDrift, defaultDriftMethod, type DriftMethod } from './drift';
import { sketchColumn, type ColumnSketch } from './table-sketch';

// Values SciPy 1.17 computed on the same seeded samples (fixtures/make_drift_fixtures.py).
interface NumSpec { seed: number; n: number; k: number; scale: number; shift: number; quantum?: number }
interface CatSpec { seed: number; n: number; weights: number[] }
type Stat = { statistic: number | string; pValue: number | string };
interface Case {
  name: string;
  kind: 'numeric' | 'categorical';
  reference: NumSpec & CatSpec;
  current: NumSpec & CatSpec;
  ks?: Stat;
  wassersteinNorm?: number;
  jensenshannon?: number;
  chisquare?: Stat;
  chi2_contingency?: Stat;
  z?: Stat;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/drift-scipy.json', import.meta.url), 'utf8')) as { scipy: string; cases: Case[] };

/** The fixture script's Park–Miller generator: IEEE-exact steps, so both languages agree bit for bit. */
function* parkMiller(seed: number): Generator<number> {
  let s = seed % 2147483647 || 1;
  for (;;) {
    s = (s * 48271) % 2147483647;
    yield s / 2147483648;
  }
}

function numeric(spec: NumSpec): Float64Array {
  const g = parkMiller(spec.seed);
  const out = new Float64Array(spec.n);
  for (let i = 0; i < spec.n; i++) {
    let u = 0;
    for (let j = 0; j < spec.k; j++) u += g.next().value as number;
    let x = (u - spec.k / 2) * spec.scale + spec.shift;
    if (spec.quantum) x = Math.floor(x * spec.quantum) / spec.quantum;
    out[i] = x;
  }
  return out;
}

function categorical(spec: CatSpec): string[] {
  const g = parkMiller(spec.seed);
  const total = spec.weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  const cum = spec.weights.map((w) => (acc += w) / total);
  return Array.from({ length: spec.n }, () => {
    const u = g.next().value as number;
    let j = 0;
    while (j < cum.length - 1 && u >= cum[j]!) j++;
    return `c${j}`;
  });
}

/** Samples up to 25,000 values stay exact (so the asymptotic KS case is compared too); 1M do not. */
function sketches(c: Case): [ColumnSketch, ColumnSketch] {
  const maxExact = Math.max(c.reference.n, c.current.n) <= 25_000 ? 25_000 : undefined;
  const make = (spec: NumSpec & CatSpec) =>
    c.kind === 'numeric'
      ? sketchColumn({ name: 'x', type: 'numeric', values: numeric(spec) }, { maxExact })
      : sketchColumn({ name: 'x', type: 'categorical', values: categorical(spec) });
  return [make(c.reference), make(c.current)];
}

const num = (v: number | string) => (typeof v === 'number' ? v : v === 'Infinity' ? Infinity : -Infinity);

function close(got: number, want: number | string, tol: number, what: string): void {
  const w = num(want);
  if (!Number.isFinite(w)) expect(got, what).toBe(w);
  else expect(Math.abs(got - w), `${what}: got ${got}, SciPy ${w}`).toBeLessThanOrEqual(tol);
}

describe(`drift statistics agree with SciPy ${fixture.scipy}`, () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const [ref, cur] = sketches(c);
    const exact = c.kind === 'categorical' || (ref.numeric!.isExact && cur.numeric!.isExact);
    const run = (method: DriftMethod) => columnDrift(ref, cur, { method });
    if (c.ks && exact) {
      const r = run('ks');
      close(r.statistic, c.ks.statistic, 1e-12, 'KS D');
      close(r.pValue!, c.ks.pValue, 1e-6, 'KS p');
    }
    if (c.wassersteinNorm !== undefined) {
      const r = run('wasserstein');
      close(r.statistic, c.wassersteinNorm, exact ? 1e-9 : 1e-4, 'Wasserstein (normed)');
      expect(r.approximate).toBe(!exact);
    }
    if (c.jensenshannon !== undefined) close(run('jensenshannon').statistic, c.jensenshannon, exact ? 1e-9 : 1e-4, 'Jensen-Shannon');
    for (const m of ['chisquare', 'chi2_contingency', 'z'] as const) {
      const want = c[m];
      if (!want) continue;
      const r = run(m);
      close(r.statistic, want.statistic, Math.max(1e-9, 1e-9 * Math.abs(num(want.statistic))), `${m} statistic`);
      close(r.pValue!, want.pValue, 1e-6, `${m} p`);
    }
  });

  it('covers the exact and the sketch path (1M values past the exact bound)', () => {
    const big = fixture.cases.filter((c) => c.reference.n >= 1_000_000);
    expect(big.length).toBeGreaterThanOrEqual(2);
    const [ref] = sketches(big[0]!);
    expect(ref.numeric!.isExact).toBe(false);
  });
});

describe('default method and verdicts (Evidently)', () => {
  const col = (values: number[] | string[]): ColumnSketch =>
    typeof values[0] === 'string'
      ? sketchColumn({ name: 'c', type: 'categorical', values: values as string[] })
      : sketchColumn({ name: 'c', type: 'numeric', values: Float64Array.from(values as number[]) });
  const range = <T,>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

  it('chooses by reference size, type and distinct values', () => {
    expect(defaultDriftMethod(col(range(1000, (i) => i)), col(range(10, (i) => i)))).toBe('ks');
    expect(defaultDriftMethod(col(range(1001, (i) => i)), col(range(10, (i) => i)))).toBe('wasserstein');
    expect(defaultDriftMethod(col(range(500, (i) => i % 4)), col(range(10, (i) => i % 2)))).toBe('chisquare');
    expect(defaultDriftMethod(col(range(500, (i) => i % 2)), col(range(10, (i) => i % 2)))).toBe('z');
    expect(defaultDriftMethod(col(range(5000, (i) => i % 5)), col(range(10, (i) => i % 2)))).toBe('jensenshannon');
    expect(defaultDriftMethod(col(range(500, (i) => `k${i % 3}`)), col(['k0']))).toBe('chisquare');
    expect(defaultDriftMethod(col(range(500, (i) => `k${i % 2}`)), col(['k0']))).toBe('z');
    expect(defaultDriftMethod(col(range(2000, (i) => `k${i % 2}`)), col(['k0']))).toBe('jensenshannon');
  });

  it('reports method, statistic, threshold and verdict; thresholds per column; dataset share', () => {
    const ref = { rows: 2000, columns: [col(range(2000, (i) => (i % 200) / 10)), col(range(2000, (i) => `k${i % 4}`))].map((c, i) => ({ ...c, name: `f${i}` })) };
    const cur = { rows: 2000, columns: [col(range(2000, (i) => (i % 200) / 10 + 5)), col(range(2000, (i) => `k${i % 4}`))].map((c, i) => ({ ...c, name: `f${i}` })) };
    const d = datasetDrift(ref, cur);
    expect(d.columns.map((c) => [c.column, c.method, c.drifted])).toEqual([['f0', 'wasserstein', true], ['f1', 'jensenshannon', false]]);
    expect(d.columns[0]!.statistic).toBeCloseTo(5 / Math.sqrt(33.3325), 9); // shift / np.std(ref), ref uniform on 0, 0.1, …, 19.9
    expect(d.share).toBe(0.5);
    expect(d.drifted).toBe(true); // Evidently: share >= 0.5
    const relaxed = datasetDrift(ref, cur, { columns: { f0: { threshold: 1 } }, shareThreshold: 0.6 });
    expect(relaxed.columns[0]).toMatchObject({ threshold: 1, drifted: false });
    expect(relaxed.drifted).toBe(false);
  });

  it('refuses a method that does not apply, naming the column', () => {
    expect(() => columnDrift(col(['a', 'b']), col(['a']), { method: 'ks' })).toThrow(/column "c": ks needs a numeric column/);
    expect(() => columnDrift(col(['a', 'b', 'c']), col(['a']), { method: 'z' })).toThrow(/compares two values, the samples have 3/);
    expect(() => columnDrift(col([1, 2]), col(['a']))).toThrow(/reference is numeric, current is categorical/);
  });
});
