/**
 * Kiln's safe row-filter expression language: parse (no eval), type-check against a table,
 * evaluate per row. See `parse.ts` for the grammar and `compile.ts` for the semantics.
 */
export { ExprError, EXPR_LIMITS } from './ast';
export type { Expr, Literal, CompareOp, ArithOp } from './ast';
export { parseExpr, tokenize } from './parse';
export { compileExpr, matchingRows } from './compile';
export type { CompiledExpr, Value, ValueType } from './compile';
