/**
 * Type-checks a filter expression against a table's columns and turns it into a plain
 * closure evaluated per row. Nothing is evaluated as code: column lookups go through a Map,
 * functions through a fixed whitelist, so names like `constructor` or `__proto__` are just
 * unknown columns.
 *
 * Semantics (SQL-like, so missing values never silently pass a filter):
 * - Missing values (NaN, null) are `null`. Arithmetic and comparisons with `null` give `null`;
 *   `and`/`or`/`not` use three-valued logic; a row is kept only when the result is `true`.
 *   Test missing values with `x is null`, `x is not null`, `isnull(x)` or `notnull(x)`.
 * - Numbers compare numerically, strings by code unit (locale independent).
 * - Boolean columns are true/false and compare with `true`/`false` or with 1/0.
 * - Date columns are epoch milliseconds; a string literal compared with a date column is parsed
 *   as a date (`date >= '2020-01-01'`).
 * - Division by zero gives ±Infinity, 0/0 gives null.
 * - Functions: isnull(x), notnull(x), abs(n), lower(s), upper(s), length(s).
 */
import type { Column, Table } from '../../data/table';
import { ExprError, type CompareOp, type Expr, type Literal } from './ast';

/** A runtime value; `null` is missing. */
export type Value = number | string | boolean | null;

/** Static type of an expression. `date` behaves as a number that string literals are parsed into. */
export type ValueType = 'number' | 'string' | 'bool' | 'date' | 'null';

export interface CompiledExpr {
  type: ValueType;
  /** evaluates the expression on row `i` of the table it was compiled against */
  evaluate(i: number): Value;
}

interface Node {
  type: ValueType;
  ev: (i: number) => Value;
  /** set for literals: lets comparisons with date columns parse strings once, at compile time */
  literal?: Literal;
}

const MAX_LISTED_COLUMNS = 20;

function columnNode(c: Column): Node {
  if (c.type === 'categorical') {
    const v = c.values;
    return { type: 'string', ev: (i) => v[i] ?? null };
  }
  const v = c.values;
  if (c.type === 'boolean') {
    return {
      type: 'bool',
      ev: (i) => {
        const x = v[i]!;
        return Number.isNaN(x) ? null : x !== 0;
      },
    };
  }
  return {
    type: c.type === 'date' ? 'date' : 'number',
    ev: (i) => {
      const x = v[i]!;
      return Number.isNaN(x) ? null : x;
    },
  };
}

function literalNode(l: Literal): Node {
  switch (l.type) {
    case 'num':
      return { type: 'number', ev: () => l.value, literal: l };
    case 'str':
      return { type: 'string', ev: () => l.value, literal: l };
    case 'bool':
      return { type: 'bool', ev: () => l.value, literal: l };
    case 'null':
      return { type: 'null', ev: () => null, literal: l };
  }
}

function isNumberLike(t: ValueType): boolean {
  return t === 'number' || t === 'date';
}

function parseDateLiteral(l: Literal & { type: 'str' }): number {
  const ms = Date.parse(l.value);
  if (Number.isNaN(ms)) {
    throw new ExprError(`"${l.value}" is not a date (try '2020-01-31') at position ${l.pos}`, l.pos);
  }
  return ms;
}

/** Brings two operands to a comparable pair of types, or fails with the operator's position. */
function unify(a: Node, b: Node, what: string, pos: number): [Node, Node] {
  // a string literal against a date column is a date written out
  if (a.type === 'date' && b.literal?.type === 'str') {
    const ms = parseDateLiteral(b.literal);
    return [a, { type: 'date', ev: () => ms }];
  }
  if (b.type === 'date' && a.literal?.type === 'str') {
    const ms = parseDateLiteral(a.literal);
    return [{ type: 'date', ev: () => ms }, b];
  }
  if (isNumberLike(a.type) && isNumberLike(b.type)) return [a, b];
  if (a.type === b.type) return [a, b];
  // booleans are stored as 0/1, so `flag == 1` is a fair thing to write
  if (a.type === 'bool' && isNumberLike(b.type)) return [boolToNumber(a), b];
  if (b.type === 'bool' && isNumberLike(a.type)) return [a, boolToNumber(b)];
  throw new ExprError(`cannot ${what} ${a.type} with ${b.type} at position ${pos}`, pos);
}

function boolToNumber(n: Node): Node {
  return {
    type: 'number',
    ev: (i) => {
      const v = n.ev(i);
      return v === null ? null : v ? 1 : 0;
    },
  };
}

function compareFn(op: CompareOp): (a: number | string | boolean, b: number | string | boolean) => boolean {
  switch (op) {
    case '==':
      return (a, b) => a === b;
    case '!=':
      return (a, b) => a !== b;
    case '<':
      return (a, b) => a < b;
    case '<=':
      return (a, b) => a <= b;
    case '>':
      return (a, b) => a > b;
    case '>=':
      return (a, b) => a >= b;
  }
}

function expectType(n: Node, accepted: ValueType[], what: string, pos: number): void {
  if (n.type === 'null') return; // null is allowed everywhere and propagates
  if (!accepted.includes(n.type)) {
    throw new ExprError(`${what} needs ${accepted.join(' or ')}, got ${n.type} at position ${pos}`, pos);
  }
}

class Compiler {
  private readonly columns = new Map<string, Column>();
  constructor(private readonly table: Table) {
    for (const c of table.columns) this.columns.set(c.name, c);
  }

  compile(e: Expr): Node {
    switch (e.type) {
      case 'num':
      case 'str':
      case 'bool':
      case 'null':
        return literalNode(e);
      case 'col': {
        const c = this.columns.get(e.name);
        if (!c) {
          const names = this.table.columns.map((x) => x.name);
          const shown = names.slice(0, MAX_LISTED_COLUMNS).join(', ') + (names.length > MAX_LISTED_COLUMNS ? ', …' : '');
          const hint = /^[A-Za-z_][A-Za-z0-9_]*$/.test(e.name) ? '' : ' (write names with spaces in back-ticks)';
          throw new ExprError(`unknown column "${e.name}" at position ${e.pos}${hint}; columns: ${shown}`, e.pos, e.name);
        }
        return columnNode(c);
      }
      case 'neg': {
        const a = this.compile(e.arg);
        expectType(a, ['number', 'date'], 'unary "-"', e.pos);
        return {
          type: 'number',
          ev: (i) => {
            const v = a.ev(i);
            return v === null ? null : -(v as number);
          },
        };
      }
      case 'not': {
        const a = this.compile(e.arg);
        expectType(a, ['bool'], '"not"', e.pos);
        return {
          type: 'bool',
          ev: (i) => {
            const v = a.ev(i);
            return v === null ? null : !v;
          },
        };
      }
      case 'arith': {
        const a = this.compile(e.left);
        const b = this.compile(e.right);
        expectType(a, ['number', 'date'], `"${e.op}"`, e.pos);
        expectType(b, ['number', 'date'], `"${e.op}"`, e.pos);
        const f = arithFn(e.op);
        return {
          type: 'number',
          ev: (i) => {
            const x = a.ev(i);
            if (x === null) return null;
            const y = b.ev(i);
            if (y === null) return null;
            const r = f(x as number, y as number);
            return Number.isNaN(r) ? null : r;
          },
        };
      }
      case 'compare': {
        const l = this.compile(e.left);
        const r = this.compile(e.right);
        if (l.type === 'null' || r.type === 'null') {
          throw new ExprError(`use "is null" or "is not null" to test for missing values at position ${e.pos}`, e.pos);
        }
        const [a, b] = unify(l, r, `compare`, e.pos);
        if (a.type === 'bool' && e.op !== '==' && e.op !== '!=') {
          throw new ExprError(`"${e.op}" does not apply to true/false values at position ${e.pos}`, e.pos);
        }
        const f = compareFn(e.op);
        return {
          type: 'bool',
          ev: (i) => {
            const x = a.ev(i);
            if (x === null) return null;
            const y = b.ev(i);
            if (y === null) return null;
            return f(x, y);
          },
        };
      }
      case 'logical': {
        const a = this.compile(e.left);
        const b = this.compile(e.right);
        expectType(a, ['bool'], `"${e.op}"`, e.pos);
        expectType(b, ['bool'], `"${e.op}"`, e.pos);
        if (e.op === 'and') {
          return {
            type: 'bool',
            ev: (i) => {
              const x = a.ev(i);
              if (x === false) return false;
              const y = b.ev(i);
              if (y === false) return false;
              return x === null || y === null ? null : true;
            },
          };
        }
        return {
          type: 'bool',
          ev: (i) => {
            const x = a.ev(i);
            if (x === true) return true;
            const y = b.ev(i);
            if (y === true) return true;
            return x === null || y === null ? null : false;
          },
        };
      }
      case 'in': {
        const a = this.compile(e.arg);
        const set = new Set<number | string | boolean>();
        let hasNull = false;
        for (const item of e.list) {
          if (item.type === 'null') {
            hasNull = true;
            continue;
          }
          const [, lit] = unify(a, literalNode(item), 'compare', item.pos);
          const v = lit.ev(0);
          if (v !== null) set.add(a.type === 'bool' && typeof v === 'number' ? v !== 0 : v);
        }
        const negated = e.negated;
        return {
          type: 'bool',
          ev: (i) => {
            const v = a.ev(i);
            if (v === null) return hasNull ? !negated : null;
            return set.has(v) !== negated;
          },
        };
      }
      case 'isnull': {
        const a = this.compile(e.arg);
        const negated = e.negated;
        return { type: 'bool', ev: (i) => (a.ev(i) === null) !== negated };
      }
      case 'call':
        return this.call(e);
    }
  }

  private call(e: Expr & { type: 'call' }): Node {
    const name = e.name.toLowerCase();
    const arity = FUNCTION_ARITY.get(name);
    if (arity === undefined) {
      throw new ExprError(
        `unknown function "${e.name}" at position ${e.pos}; functions: ${[...FUNCTION_ARITY.keys()].join(', ')}`,
        e.pos,
      );
    }
    if (e.args.length !== arity) {
      throw new ExprError(`${name}() takes ${arity} argument${arity === 1 ? '' : 's'}, got ${e.args.length} at position ${e.pos}`, e.pos);
    }
    const a = this.compile(e.args[0]!);
    switch (name) {
      case 'isnull':
        return { type: 'bool', ev: (i) => a.ev(i) === null };
      case 'notnull':
        return { type: 'bool', ev: (i) => a.ev(i) !== null };
      case 'abs':
        expectType(a, ['number', 'date'], 'abs()', e.pos);
        return { type: 'number', ev: (i) => mapNonNull(a.ev(i), (v) => Math.abs(v as number)) };
      case 'lower':
        expectType(a, ['string'], 'lower()', e.pos);
        return { type: 'string', ev: (i) => mapNonNull(a.ev(i), (v) => (v as string).toLowerCase()) };
      case 'upper':
        expectType(a, ['string'], 'upper()', e.pos);
        return { type: 'string', ev: (i) => mapNonNull(a.ev(i), (v) => (v as string).toUpperCase()) };
      default: // 'length'
        expectType(a, ['string'], 'length()', e.pos);
        return { type: 'number', ev: (i) => mapNonNull(a.ev(i), (v) => (v as string).length) };
    }
  }
}

const FUNCTION_ARITY = new Map<string, number>([
  ['isnull', 1],
  ['notnull', 1],
  ['abs', 1],
  ['lower', 1],
  ['upper', 1],
  ['length', 1],
]);

function mapNonNull(v: Value, f: (v: number | string | boolean) => Value): Value {
  return v === null ? null : f(v);
}

function arithFn(op: string): (a: number, b: number) => number {
  switch (op) {
    case '+':
      return (a, b) => a + b;
    case '-':
      return (a, b) => a - b;
    case '*':
      return (a, b) => a * b;
    case '/':
      return (a, b) => a / b;
    default:
      return (a, b) => a % b;
  }
}

/**
 * Type-checks `expr` against `table`'s columns and returns an evaluator for its rows.
 * @throws ExprError naming the position (and the column, for unknown columns).
 */
export function compileExpr(expr: Expr, table: Table): CompiledExpr {
  const n = new Compiler(table).compile(expr);
  return { type: n.type, evaluate: n.ev };
}

/**
 * Compiles a condition and returns the indices of the rows where it is `true`
 * (rows where it is false or missing are left out).
 * @throws ExprError when the expression is not a condition or does not type-check.
 */
export function matchingRows(expr: Expr, table: Table): number[] {
  const c = compileExpr(expr, table);
  if (c.type !== 'bool') {
    throw new ExprError(`expression must be a condition (true or false), but gives a ${c.type} value at position 1`, 1);
  }
  const out: number[] = [];
  for (let i = 0; i < table.nRows; i++) if (c.evaluate(i) === true) out.push(i);
  return out;
}
