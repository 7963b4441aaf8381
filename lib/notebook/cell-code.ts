/**
 * How a cell's analysed body becomes a function, and how a line in that function's stack maps
 * back to a line of the cell's own source. The two live together: the mapping depends on the
 * header V8 writes before the body of `new AsyncFunction(...)`.
 */
import type { CellAnalysis } from './analyze';

/** A compiled cell: takes its used names (then `__modules`), returns its value and definitions. */
export type CellFn = (...args: unknown[]) => Promise<{ value: unknown; defines: Record<string, unknown> }>;

type AsyncFn = new (...args: string[]) => CellFn;
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor as AsyncFn;

/** Lines V8 puts before the body of `new AsyncFunction(...)` (`async function anonymous(…\n) {`). */
const FN_HEADER_LINES = 2;

/** Compiles a cell; its stack frames are named `cell-<id>.js` so errors map to cell lines. */
export function compileCell(cellId: string, a: CellAnalysis): CellFn {
  return new AsyncFunction(...a.uses, '__modules', `${a.body}\n//# sourceURL=cell-${cellId}.js`);
}

/** The cell line of an error thrown by cell code, from its stack (`cell-<id>.js:LINE:COL`). */
export function errorLine(e: unknown, cellId: string, lineOffset: number): number | undefined {
  const stack = e instanceof Error ? e.stack : undefined;
  if (!stack) return undefined;
  const esc = cellId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`cell-${esc}\\.js:(\\d+):\\d+`).exec(stack);
  if (!m) return undefined;
  const line = Number(m[1]) - FN_HEADER_LINES - lineOffset;
  return line >= 1 ? line : undefined;
}
