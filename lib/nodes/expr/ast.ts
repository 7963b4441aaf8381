/**
 * AST of Kiln's row-filter expression language (see `parse.ts` for the grammar).
 * Every node carries `pos`, the 1-based character position it starts at, so
 * errors found after parsing (unknown column, type mismatch) still point at the text.
 */
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type ArithOp = '+' | '-' | '*' | '/' | '%';

export type Literal =
  | { type: 'num'; value: number; pos: number }
  | { type: 'str'; value: string; pos: number }
  | { type: 'bool'; value: boolean; pos: number }
  | { type: 'null'; pos: number };

export type Expr =
  | Literal
  | { type: 'col'; name: string; pos: number }
  | { type: 'neg'; arg: Expr; pos: number }
  | { type: 'not'; arg: Expr; pos: number }
  | { type: 'arith'; op: ArithOp; left: Expr; right: Expr; pos: number }
  | { type: 'compare'; op: CompareOp; left: Expr; right: Expr; pos: number }
  | { type: 'logical'; op: 'and' | 'or'; left: Expr; right: Expr; pos: number }
  | { type: 'in'; arg: Expr; list: Literal[]; negated: boolean; pos: number }
  | { type: 'isnull'; arg: Expr; negated: boolean; pos: number }
  | { type: 'call'; name: string; args: Expr[]; pos: number };

/** A problem in an expression, with the 1-based character position it concerns. */
export class ExprError extends Error {
  readonly pos: number;
  /** the column the problem is about, when there is one */
  readonly column?: string;
  constructor(message: string, pos: number, column?: string) {
    super(message);
    this.name = 'ExprError';
    this.pos = pos;
    if (column !== undefined) this.column = column;
  }
}

/** Limits that keep hostile input from exhausting the stack or memory. */
export const EXPR_LIMITS = {
  /** characters in the expression text */
  maxLength: 10_000,
  /** nesting of parentheses, calls and prefix operators */
  maxDepth: 100,
  /** depth of the syntax tree, counting chained operators such as a+b+c */
  maxTreeDepth: 256,
  /** items in one `in (…)` list */
  maxListItems: 10_000,
} as const;
