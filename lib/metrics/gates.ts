import { KilnError } from '../errors';
import type { GateResult } from '../nodes/types';

export type GateOp = '<' | '<=' | '>' | '>=' | '==';

export interface Gate {
  metric: string;
  op: GateOp;
  threshold: number;
}

const GATE_RE = /^\s*([a-z0-9_]+)\s*(<=|>=|==|<|>)\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*$/;

/**
 * Parses a gate such as `mape <= 0.45`, `r2>=0.8` or `accuracy > 0.9`: a metric name
 * (`[a-z0-9_]+`), one of `< <= > >= ==`, and a decimal number.
 * @throws KilnError `BAD_GATE` quoting the expression.
 */
export function parseGate(expr: string): Gate {
  const m = GATE_RE.exec(expr);
  if (!m) {
    throw new KilnError(
      'BAD_GATE',
      `gate ${JSON.stringify(expr)}: expected "<metric> <op> <number>" with op one of <, <=, >, >=, == (e.g. "mape <= 0.45")`,
      { path: expr },
    );
  }
  return { metric: m[1]!, op: m[2] as GateOp, threshold: Number(m[3]) };
}

function passes(value: number, op: GateOp, t: number): boolean {
  switch (op) {
    case '<':
      return value < t;
    case '<=':
      return value <= t;
    case '>':
      return value > t;
    case '>=':
      return value >= t;
    case '==':
      return value === t;
  }
}

/**
 * Evaluates a gate against computed metrics. A metric that was not computed, or is NaN, fails
 * the gate with `value: null` and `margin: NaN`. `margin` is how far the value is from the
 * threshold on the failing side (0 when passed; also 0 for a strict `<`/`>` failed by equality);
 * `==` compares exactly.
 * @throws KilnError `BAD_GATE` when the expression does not parse.
 */
export function evaluateGate(expr: string, metrics: Record<string, number>): GateResult {
  const { metric, op, threshold } = parseGate(expr);
  const raw = Object.prototype.hasOwnProperty.call(metrics, metric) ? metrics[metric] : undefined;
  if (typeof raw !== 'number' || Number.isNaN(raw)) {
    return { expr, metric, op, threshold, value: null, passed: false, margin: NaN };
  }
  const passed = passes(raw, op, threshold);
  let margin = 0;
  if (!passed) margin = op === '==' ? Math.abs(raw - threshold) : Math.abs(threshold - raw);
  return { expr, metric, op, threshold, value: raw, passed, margin };
}

/** {@link evaluateGate} for each expression, in order. */
export function evaluateGates(exprs: readonly string[], metrics: Record<string, number>): GateResult[] {
  return exprs.map((e) => evaluateGate(e, metrics));
}
