/**
 * One run of a compiled cell: its body runs inside a tfjs scope, raced against its AbortSignal;
 * a returned async generator is streamed as progress points. What the run keeps (tensors made
 * during it and reachable from its values, models it built) is handed back to be owned by the
 * cell; every other tensor made in the scope is freed.
 */
import type * as tfNs from '@tensorflow/tfjs';
import type { CellFn } from './cell-code';
import { progressPoint, toOutputs } from './display';
import { nextTensorId, reachable } from './ownership';
import type { CellOutput } from './schema';

/** Why a run stopped early: the user interrupted it, or a newer run superseded it. */
export class Interrupted extends Error {
  constructor(message = 'interrupted') {
    super(message);
    this.name = 'Interrupted';
  }
}

export const SUPERSEDED = 'superseded by a newer run';

type Points = Record<string, number>[];

/** The progress points one run streamed; each push shows the growing chart while it runs. */
export class ProgressLog {
  points: Points | null = null;

  constructor(
    private readonly isCurrent: () => boolean,
    private readonly show: (outputs: CellOutput[]) => void,
  ) {}

  readonly push = (point: Record<string, number>): void => {
    if (!this.isCurrent()) return;
    this.points ??= [];
    this.points.push(point);
    this.show([{ type: 'progress', points: [...this.points], done: false }]);
  };

  /** The finished progress output, when the run streamed any. */
  final(): CellOutput[] {
    return this.points ? [{ type: 'progress', points: this.points, done: true }] : [];
  }
}

export interface ExecRequest {
  tf: typeof tfNs;
  fn: CellFn;
  args: unknown[];
  modules: Record<string, unknown>;
  signal: AbortSignal;
  progress: ProgressLog;
  /** false once a newer run of the cell started: this run's results are dropped */
  isCurrent(): boolean;
  /** the body finished: its names become visible (a streaming generator may go on) */
  publish(defines: Record<string, unknown>): void;
}

export interface ExecResult {
  outputs: CellOutput[];
  /** tensors made by this run and kept by its values */
  tensors: tfNs.Tensor[];
  /** models reachable from its values that it did not receive as inputs */
  models: tfNs.LayersModel[];
}

function isAsyncIterable(v: unknown): v is AsyncIterator<unknown> & AsyncIterable<unknown> {
  return !!v && typeof v === 'object' && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' && typeof (v as AsyncIterator<unknown>).next === 'function';
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return !!v && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';
}

/** Rejects when the signal aborts (with its reason when that is an Error). */
function abortion(signal: AbortSignal): Promise<never> {
  const p = new Promise<never>((_, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Interrupted());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  p.catch(() => {});
  return p;
}

/**
 * Runs the cell. Resolves with its outputs and what it keeps, or null when a newer run superseded
 * it; throws what the cell threw (or Interrupted). The tfjs scope is closed either way.
 */
export async function executeCell(req: ExecRequest): Promise<ExecResult | null> {
  const { tf } = req;
  const startId = nextTensorId(tf);
  const inputs = reachable(req.args);
  tf.engine().startScope();
  let scopeOpen = true;
  const endScope = (keep: tfNs.Tensor[]) => {
    if (!scopeOpen) return;
    scopeOpen = false;
    tf.engine().endScope(keep);
  };
  const aborted = abortion(req.signal);
  try {
    const result = await Promise.race([req.fn(...req.args, req.modules), aborted]);
    let value = result.value;
    if (isThenable(value)) value = await Promise.race([value, aborted]);
    if (!req.isCurrent()) return null;
    const defines = result.defines ?? {};
    req.publish(defines);
    let outputs: CellOutput[];
    if (isAsyncIterable(value)) {
      const it = value;
      const points: Points = [];
      let last: unknown;
      try {
        for (;;) {
          const step = await Promise.race([it.next(), aborted]);
          if (step.done) {
            last = step.value;
            break;
          }
          const p = progressPoint(step.value);
          if (p) {
            points.push(p);
            req.progress.push(p);
          }
        }
      } catch (e) {
        void Promise.resolve(it.return?.()).catch(() => {});
        throw e;
      }
      outputs = [{ type: 'progress', points: req.progress.points ?? points, done: true }, ...(await toOutputs(last))];
    } else {
      outputs = [...req.progress.final(), ...(await toOutputs(value))];
    }
    const kept = reachable([defines, value]);
    const owned = [...kept.tensors].filter((t) => t.id >= startId && !t.isDisposed);
    endScope(owned);
    if (!req.isCurrent()) {
      for (const t of owned) t.dispose();
      return null;
    }
    return { outputs, tensors: owned, models: [...kept.models].filter((m) => !inputs.models.has(m)) };
  } finally {
    endScope([]);
  }
}
