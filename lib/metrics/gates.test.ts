import { describe, expect, it } from 'vitest';
import { KilnError } from '../errors';
import { evaluateGate, evaluateGates, parseGate } from './gates';

describe('parseGate', () => {
  it('parses metric, operator and threshold with or without spaces', () => {
    expect(parseGate('mape <= 0.45')).toEqual({ metric: 'mape', op: '<=', threshold: 0.45 });
    expect(parseGate('r2>=0.8')).toEqual({ metric: 'r2', op: '>=', threshold: 0.8 });
    expect(parseGate(' accuracy > .9 ')).toEqual({ metric: 'accuracy', op: '>', threshold: 0.9 });
    expect(parseGate('log_loss < 1e-1')).toEqual({ metric: 'log_loss', op: '<', threshold: 0.1 });
    expect(parseGate('r2 == -1')).toEqual({ metric: 'r2', op: '==', threshold: -1 });
  });

  it('rejects malformed expressions with BAD_GATE naming the expression', () => {
    for (const bad of ['mape', 'mape <= ', '<= 0.4', 'mape => 0.4', 'mape = 0.4', 'MAPE <= 0.4', 'mape <= abc', 'mape <= 0.4 extra', '']) {
      let err: unknown;
      try {
        parseGate(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(KilnError);
      expect((err as KilnError).code).toBe('BAD_GATE');
      expect((err as KilnError).message).toContain(`gate ${JSON.stringify(bad)}`);
    }
  });
});

describe('evaluateGate', () => {
  const metrics = { mape: 0.5, r2: 0.85, accuracy: 0.9, bad: NaN };

  it('passes and fails with the margin to the threshold', () => {
    expect(evaluateGate('r2 >= 0.8', metrics)).toEqual({
      expr: 'r2 >= 0.8',
      metric: 'r2',
      op: '>=',
      threshold: 0.8,
      value: 0.85,
      passed: true,
      margin: 0,
    });
    const g = evaluateGate('mape <= 0.45', metrics);
    expect(g.passed).toBe(false);
    expect(g.margin).toBeCloseTo(0.05, 12);
    expect(evaluateGate('accuracy > 0.9', metrics).passed).toBe(false);
    expect(evaluateGate('accuracy >= 0.9', metrics).passed).toBe(true);
    expect(evaluateGate('accuracy < 0.95', metrics).passed).toBe(true);
    expect(evaluateGate('accuracy == 0.9', metrics).passed).toBe(true);
    expect(evaluateGate('r2 == 0.8', metrics).margin).toBeCloseTo(0.05, 12);
  });

  it('fails a gate on a metric that was not computed or is NaN, with value null', () => {
    for (const expr of ['rmse < 3', 'bad > 0', 'constructor > 0']) {
      const g = evaluateGate(expr, metrics);
      expect(g.passed).toBe(false);
      expect(g.value).toBeNull();
    }
  });

  it('evaluates a list in order and throws on a malformed one', () => {
    expect(evaluateGates(['r2 >= 0.8', 'mape <= 0.45'], metrics).map((g) => g.passed)).toEqual([true, false]);
    expect(() => evaluateGates(['r2 >= 0.8', 'r2 ≥ 0.8'], metrics)).toThrow(/BAD_GATE|gate "r2 ≥ 0.8"/);
  });
});
