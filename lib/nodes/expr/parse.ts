/**
 * Parser for Kiln's row-filter expressions. Hand-written recursive descent: the text is
 * never handed to `eval`/`Function`, and both its length and its nesting depth are capped.
 *
 * Grammar (keywords are case-insensitive; lowest precedence first):
 *
 * ```
 * expr     := or
 * or       := and ( "or" and )*
 * and      := not ( "and" not )*
 * not      := "not" not | cmp
 * cmp      := sum ( ("=="|"!="|"<"|"<="|">"|">=") sum
 *                 | "is" ["not"] "null"
 *                 | ["not"] "in" "(" literal ("," literal)* ")" )?
 * sum      := prod ( ("+"|"-") prod )*
 * prod     := unary ( ("*"|"/"|"%") unary )*
 * unary    := "-" unary | primary
 * primary  := number | string | "true" | "false" | "null"
 *           | identifier | `back-ticked column` | name "(" [expr ("," expr)*] ")" | "(" expr ")"
 * ```
 *
 * - Columns: a bare identifier (`[A-Za-z_][A-Za-z0-9_]*`) or any name in back-ticks
 *   (`` `Miles per Gallon` ``; a back-tick inside is written twice). Back-ticked names are never keywords.
 * - Strings: single or double quotes; `\\`, `\'`, `\"`, `\n`, `\t` escapes.
 * - `=` and `<>` are accepted as `==` and `!=`; `&&`, `||`, `!` as `and`, `or`, `not`.
 */
import { EXPR_LIMITS, ExprError, type ArithOp, type CompareOp, type Expr, type Literal } from './ast';

type TokenKind = 'num' | 'str' | 'ident' | 'quoted' | 'op' | 'eof';

interface Token {
  kind: TokenKind;
  /** the operator or punctuation for `op`, the name for identifiers, the decoded text for strings */
  text: string;
  num?: number;
  /** 1-based position of the first character */
  pos: number;
}

const OPERATORS = ['==', '!=', '<>', '<=', '>=', '&&', '||', '<', '>', '=', '!', '+', '-', '*', '/', '%', '(', ')', ','];

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'null', 'true', 'false']);

function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of expression';
    case 'str':
      return 'a string';
    case 'num':
      return `number ${t.text}`;
    case 'quoted':
      return `\`${t.text}\``;
    default:
      return `"${t.text}"`;
  }
}

/** Splits the text into tokens; fails on the first character that starts no token. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const ch = src[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    const pos = i + 1;
    if ((ch >= '0' && ch <= '9') || (ch === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(src.slice(i, i + 400));
      const text = m![0];
      const value = Number(text);
      if (!Number.isFinite(value)) throw new ExprError(`number ${text} is too large at position ${pos}`, pos);
      i += text.length;
      if (/[A-Za-z_]/.test(src[i] ?? '')) {
        throw new ExprError(`unexpected "${src[i]}" after number at position ${i + 1}`, i + 1);
      }
      out.push({ kind: 'num', text, num: value, pos });
      continue;
    }
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      let s = '';
      for (;;) {
        if (j >= n) throw new ExprError(`unterminated string starting at position ${pos}`, pos);
        const c = src[j]!;
        if (c === ch) break;
        if (c === '\\') {
          const e = src[j + 1];
          if (e === undefined) throw new ExprError(`unterminated string starting at position ${pos}`, pos);
          if (e === 'n') s += '\n';
          else if (e === 't') s += '\t';
          else if (e === '\\' || e === "'" || e === '"') s += e;
          else throw new ExprError(`unknown escape "\\${e}" at position ${j + 1}`, j + 1);
          j += 2;
          continue;
        }
        s += c;
        j++;
      }
      out.push({ kind: 'str', text: s, pos });
      i = j + 1;
      continue;
    }
    if (ch === '`') {
      let j = i + 1;
      let s = '';
      for (;;) {
        if (j >= n) throw new ExprError(`unterminated \`column name\` starting at position ${pos}`, pos);
        const c = src[j]!;
        if (c === '`') {
          if (src[j + 1] === '`') {
            s += '`';
            j += 2;
            continue;
          }
          break;
        }
        s += c;
        j++;
      }
      if (s.length === 0) throw new ExprError(`empty \`column name\` at position ${pos}`, pos);
      out.push({ kind: 'quoted', text: s, pos });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(src[j]!)) j++;
      out.push({ kind: 'ident', text: src.slice(i, j), pos });
      i = j;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op) {
      out.push({ kind: 'op', text: op, pos });
      i += op.length;
      continue;
    }
    throw new ExprError(`unexpected character "${ch}" at position ${pos}`, pos);
  }
  out.push({ kind: 'eof', text: '', pos: n + 1 });
  return out;
}

const COMPARE: Record<string, CompareOp> = {
  '==': '==',
  '=': '==',
  '!=': '!=',
  '<>': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(offset = 0): Token {
    return this.toks[Math.min(this.i + offset, this.toks.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  private isKeyword(t: Token, word: string): boolean {
    return t.kind === 'ident' && t.text.toLowerCase() === word;
  }

  private isOp(t: Token, ...ops: string[]): boolean {
    return t.kind === 'op' && ops.includes(t.text);
  }

  private fail(t: Token, expected?: string): never {
    const what = expected ? `expected ${expected}, found ${describeToken(t)}` : `unexpected ${describeToken(t)}`;
    throw new ExprError(`${what} at position ${t.pos}`, t.pos);
  }

  /** Guards every recursive descent so `((((…` or `not not not …` cannot overflow the stack. */
  private enter(t: Token): void {
    if (++this.depth > EXPR_LIMITS.maxDepth) {
      throw new ExprError(`expression is nested too deeply (more than ${EXPR_LIMITS.maxDepth} levels) at position ${t.pos}`, t.pos);
    }
  }

  private leave(): void {
    this.depth--;
  }

  parseAll(): Expr {
    if (this.peek().kind === 'eof') throw new ExprError('expression is empty', 1);
    const e = this.parseOr();
    const t = this.peek();
    if (t.kind !== 'eof') {
      const prev = this.toks[this.i - 1];
      if (t.kind === 'ident' && prev?.kind === 'ident') {
        // most likely a column name with a space in it
        throw new ExprError(
          `unexpected "${t.text}" at position ${t.pos}; write names with spaces in back-ticks: \`${prev.text} ${t.text}\``,
          t.pos,
        );
      }
      this.fail(t, 'an operator or the end of the expression');
    }
    return e;
  }

  private readonly depths = new WeakMap<Expr, number>();

  /**
   * Records a node's tree depth. Left-deep chains (a+b+c+…) are parsed by loops, not recursion,
   * so the tree depth is capped here too: compiling and evaluating walk the tree recursively.
   */
  private node<E extends Expr>(e: E, ...children: Expr[]): E {
    let d = 0;
    for (const c of children) d = Math.max(d, this.depths.get(c) ?? 1);
    if (d + 1 > EXPR_LIMITS.maxTreeDepth) {
      throw new ExprError(
        `expression is nested too deeply (more than ${EXPR_LIMITS.maxTreeDepth} levels of operators) at position ${e.pos}`,
        e.pos,
      );
    }
    this.depths.set(e, d + 1);
    return e;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isKeyword(this.peek(), 'or') || this.isOp(this.peek(), '||')) {
      const t = this.next();
      const right = this.parseAnd();
      left = this.node({ type: 'logical', op: 'or', left, right, pos: t.pos }, left, right);
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isKeyword(this.peek(), 'and') || this.isOp(this.peek(), '&&')) {
      const t = this.next();
      const right = this.parseNot();
      left = this.node({ type: 'logical', op: 'and', left, right, pos: t.pos }, left, right);
    }
    return left;
  }

  private parseNot(): Expr {
    const t = this.peek();
    if (this.isKeyword(t, 'not') || this.isOp(t, '!')) {
      this.next();
      this.enter(t);
      const arg = this.parseNot();
      this.leave();
      return this.node({ type: 'not', arg, pos: t.pos }, arg);
    }
    return this.parseCompare();
  }

  private parseCompare(): Expr {
    const left = this.parseSum();
    const t = this.peek();
    if (t.kind === 'op' && COMPARE[t.text] !== undefined) {
      this.next();
      const right = this.parseSum();
      const after = this.peek();
      if (after.kind === 'op' && COMPARE[after.text] !== undefined) {
        throw new ExprError(
          `comparisons cannot be chained (use "and") at position ${after.pos}`,
          after.pos,
        );
      }
      return this.node({ type: 'compare', op: COMPARE[t.text]!, left, right, pos: t.pos }, left, right);
    }
    if (this.isKeyword(t, 'is')) {
      this.next();
      let negated = false;
      if (this.isKeyword(this.peek(), 'not')) {
        this.next();
        negated = true;
      }
      const nul = this.next();
      if (!this.isKeyword(nul, 'null')) this.fail(nul, '"null" after "is"');
      return this.node({ type: 'isnull', arg: left, negated, pos: t.pos }, left);
    }
    if (this.isKeyword(t, 'in') || (this.isKeyword(t, 'not') && this.isKeyword(this.peek(1), 'in'))) {
      const negated = this.isKeyword(t, 'not');
      this.next();
      if (negated) this.next();
      return this.node({ type: 'in', arg: left, list: this.parseList(), negated, pos: t.pos }, left);
    }
    return left;
  }

  private parseList(): Literal[] {
    const open = this.next();
    if (!this.isOp(open, '(')) this.fail(open, '"(" after "in"');
    const list: Literal[] = [];
    for (;;) {
      const t = this.peek();
      list.push(this.parseLiteral());
      if (list.length > EXPR_LIMITS.maxListItems) {
        throw new ExprError(`"in" list has more than ${EXPR_LIMITS.maxListItems} items at position ${t.pos}`, t.pos);
      }
      const sep = this.next();
      if (this.isOp(sep, ')')) return list;
      if (!this.isOp(sep, ',')) this.fail(sep, '"," or ")" in the "in" list');
    }
  }

  private parseLiteral(): Literal {
    const t = this.next();
    if (t.kind === 'num') return { type: 'num', value: t.num!, pos: t.pos };
    if (t.kind === 'str') return { type: 'str', value: t.text, pos: t.pos };
    if (this.isOp(t, '-') && this.peek().kind === 'num') {
      const n = this.next();
      return { type: 'num', value: -n.num!, pos: t.pos };
    }
    if (this.isKeyword(t, 'true')) return { type: 'bool', value: true, pos: t.pos };
    if (this.isKeyword(t, 'false')) return { type: 'bool', value: false, pos: t.pos };
    if (this.isKeyword(t, 'null')) return { type: 'null', pos: t.pos };
    return this.fail(t, 'a number, string, true, false or null in the "in" list');
  }

  private parseSum(): Expr {
    let left = this.parseProd();
    while (this.isOp(this.peek(), '+', '-')) {
      const t = this.next();
      const right = this.parseProd();
      left = this.node({ type: 'arith', op: t.text as ArithOp, left, right, pos: t.pos }, left, right);
    }
    return left;
  }

  private parseProd(): Expr {
    let left = this.parseUnary();
    while (this.isOp(this.peek(), '*', '/', '%')) {
      const t = this.next();
      const right = this.parseUnary();
      left = this.node({ type: 'arith', op: t.text as ArithOp, left, right, pos: t.pos }, left, right);
    }
    return left;
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (this.isOp(t, '-')) {
      this.next();
      this.enter(t);
      const arg = this.parseUnary();
      this.leave();
      // fold "-3" into a literal so `x in (-3)` and `x == -3` look alike
      if (arg.type === 'num') return { type: 'num', value: -arg.value, pos: t.pos };
      return this.node({ type: 'neg', arg, pos: t.pos }, arg);
    }
    if (this.isOp(t, '+')) this.fail(t, 'a value');
    return this.parsePrimary();
  }

  private parsePrimary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'num':
        return { type: 'num', value: t.num!, pos: t.pos };
      case 'str':
        return { type: 'str', value: t.text, pos: t.pos };
      case 'quoted':
        return { type: 'col', name: t.text, pos: t.pos };
      case 'ident': {
        const lower = t.text.toLowerCase();
        if (lower === 'true' || lower === 'false') return { type: 'bool', value: lower === 'true', pos: t.pos };
        if (lower === 'null') return { type: 'null', pos: t.pos };
        if (KEYWORDS.has(lower)) this.fail(t, 'a value');
        if (this.isOp(this.peek(), '(')) return this.parseCall(t);
        return { type: 'col', name: t.text, pos: t.pos };
      }
      case 'op':
        if (t.text === '(') {
          this.enter(t);
          const e = this.parseOr();
          this.leave();
          const close = this.next();
          if (!this.isOp(close, ')')) this.fail(close, `")" to close "(" at position ${t.pos}`);
          return e;
        }
        return this.fail(t, 'a value');
      default:
        return this.fail(t, 'a value');
    }
  }

  private parseCall(name: Token): Expr {
    this.next(); // "("
    this.enter(name);
    const args: Expr[] = [];
    if (!this.isOp(this.peek(), ')')) {
      for (;;) {
        args.push(this.parseOr());
        const sep = this.next();
        if (this.isOp(sep, ')')) break;
        if (!this.isOp(sep, ',')) this.fail(sep, `"," or ")" in the call to ${name.text}`);
      }
    } else {
      this.next();
    }
    this.leave();
    return this.node({ type: 'call', name: name.text, args, pos: name.pos }, ...args);
  }
}

/**
 * Parses filter-expression text into an AST.
 * @throws ExprError with the 1-based position of the problem (syntax, too long, too deep).
 */
export function parseExpr(src: string): Expr {
  if (typeof src !== 'string') throw new ExprError('expression must be a string', 1);
  if (src.length > EXPR_LIMITS.maxLength) {
    throw new ExprError(
      `expression is too long (${src.length} characters, at most ${EXPR_LIMITS.maxLength}) at position ${EXPR_LIMITS.maxLength + 1}`,
      EXPR_LIMITS.maxLength + 1,
    );
  }
  return new Parser(tokenize(src)).parseAll();
}
