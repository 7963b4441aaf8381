import { describe, expect, it } from 'vitest';
import { EXPR_LIMITS, ExprError, compileExpr, matchingRows, parseExpr } from './index';
import { makeTable } from '../kinds/test-utils';

const table = makeTable({
  age: [25, 40, NaN, 61, 18],
  city: ['Oslo', 'Rome', 'Oslo', null, 'Lima'],
  'Miles per Gallon': [30, 18.5, 22, 15, 40],
  flag: { type: 'boolean', values: [1, 0, 1, NaN, 0] },
  when: { type: 'date', values: [Date.UTC(2019, 0, 1), Date.UTC(2020, 5, 1), Date.UTC(2021, 0, 1), NaN, Date.UTC(2020, 0, 1)] },
});

function rows(src: string): number[] {
  return matchingRows(parseExpr(src), table);
}

function exprError(f: () => unknown): ExprError {
  try {
    f();
  } catch (e) {
    if (e instanceof ExprError) return e;
    throw new Error(`expected ExprError, got ${String(e)}`);
  }
  throw new Error('expected ExprError, nothing was thrown');
}

describe('parseExpr', () => {
  it('respects precedence: and binds tighter than or, * tighter than +', () => {
    const e = parseExpr('a or b and c');
    expect(e).toMatchObject({ type: 'logical', op: 'or', right: { type: 'logical', op: 'and' } });
    const s = parseExpr('1 + 2 * 3 > 6');
    expect(s).toMatchObject({ type: 'compare', op: '>', left: { type: 'arith', op: '+', right: { type: 'arith', op: '*' } } });
  });

  it('reads back-ticked names, strings with escapes and keywords in any case', () => {
    expect(parseExpr('`Miles per Gallon`')).toEqual({ type: 'col', name: 'Miles per Gallon', pos: 1 });
    expect(parseExpr('`a``b`')).toEqual({ type: 'col', name: 'a`b', pos: 1 });
    expect(parseExpr("'it\\'s'")).toEqual({ type: 'str', value: "it's", pos: 1 });
    expect(parseExpr('x IS NOT NULL')).toMatchObject({ type: 'isnull', negated: true });
    expect(parseExpr('x NOT IN (1, -2)')).toMatchObject({
      type: 'in',
      negated: true,
      list: [
        { type: 'num', value: 1 },
        { type: 'num', value: -2 },
      ],
    });
  });

  it('reports syntax errors with 1-based positions', () => {
    expect(exprError(() => parseExpr('age > ')).message).toBe('expected a value, found end of expression at position 7');
    expect(exprError(() => parseExpr('age > 3)')).pos).toBe(8);
    expect(exprError(() => parseExpr("city == 'Oslo")).message).toBe('unterminated string starting at position 9');
    expect(exprError(() => parseExpr('age $ 3')).message).toBe('unexpected character "$" at position 5');
    expect(exprError(() => parseExpr('(age > 3')).message).toContain('")" to close "(" at position 1');
    expect(exprError(() => parseExpr('1 < age < 5')).message).toBe('comparisons cannot be chained (use "and") at position 9');
    expect(exprError(() => parseExpr('')).message).toBe('expression is empty');
    expect(exprError(() => parseExpr('   ')).message).toBe('expression is empty');
    expect(exprError(() => parseExpr('x in 1')).message).toContain('expected "(" after "in"');
    expect(exprError(() => parseExpr('x is 3')).message).toContain('expected "null" after "is"');
    expect(exprError(() => parseExpr('3abc')).pos).toBe(2);
    expect(exprError(() => parseExpr('1e999 > x')).message).toContain('too large');
    expect(exprError(() => parseExpr('and')).message).toContain('expected a value');
  });

  it('rejects hostile input cleanly', () => {
    // far beyond the stack of a naive recursive descent parser
    const deep = '('.repeat(4000) + '1' + ')'.repeat(4000);
    expect(exprError(() => parseExpr(deep)).message).toContain('nested too deeply');
    expect(exprError(() => parseExpr('not '.repeat(2000) + 'x')).message).toContain('nested too deeply');
    expect(exprError(() => parseExpr('-'.repeat(3000) + '1')).message).toContain('nested too deeply');
    const chain = Array.from({ length: 1000 }, () => 'a').join(' + ');
    expect(exprError(() => parseExpr(chain)).message).toContain('nested too deeply');
    const long = "'" + 'x'.repeat(100_000) + "'";
    const e = exprError(() => parseExpr(long));
    expect(e.message).toBe(`expression is too long (100002 characters, at most ${EXPR_LIMITS.maxLength}) at position ${EXPR_LIMITS.maxLength + 1}`);
    expect(exprError(() => parseExpr(42 as unknown as string)).message).toBe('expression must be a string');
  });

  it('accepts nesting within the limits', () => {
    const ok = '('.repeat(50) + 'age > 1' + ')'.repeat(50);
    expect(rows(ok)).toEqual([0, 1, 3, 4]);
  });
});

describe('compileExpr / matchingRows', () => {
  it('filters with comparisons, logic and arithmetic', () => {
    expect(rows('age > 30')).toEqual([1, 3]);
    expect(rows('age >= 25 and age < 61')).toEqual([0, 1]);
    expect(rows("city == 'Oslo' or age < 20")).toEqual([0, 2, 4]);
    expect(rows('age * 2 - 10 == 40')).toEqual([0]);
    expect(rows('age / 0 > 1000')).toEqual([0, 1, 3, 4]); // +Infinity
    expect(rows('age % 2 == 1')).toEqual([0, 3]);
    expect(rows('-age < -50')).toEqual([3]);
    expect(rows('`Miles per Gallon` >= 22')).toEqual([0, 2, 4]);
    expect(rows("city < 'Oz'")).toEqual([0, 2, 4]); // code-unit order: 'Lima' < 'Oslo' < 'Oz' < 'Rome'
  });

  it('uses three-valued logic so missing values never pass by accident', () => {
    expect(rows('age != 25')).toEqual([1, 3, 4]); // row 2 (NaN) is dropped
    expect(rows('not (age > 30)')).toEqual([0, 4]);
    expect(rows('age > 30 or true')).toEqual([0, 1, 2, 3, 4]);
    expect(rows('age > 100 and false')).toEqual([]);
    expect(rows('age is null')).toEqual([2]);
    expect(rows('city is not null')).toEqual([0, 1, 2, 4]);
    expect(rows('isnull(city) or isnull(age)')).toEqual([2, 3]);
    expect(rows('notnull(age) and notnull(city)')).toEqual([0, 1, 4]);
    expect(rows('(age + 1) is null')).toEqual([2]);
  });

  it('supports in / not in, including null in the list', () => {
    expect(rows("city in ('Oslo', 'Lima')")).toEqual([0, 2, 4]);
    expect(rows("city not in ('Oslo', 'Lima')")).toEqual([1]);
    expect(rows("city in ('Rome', null)")).toEqual([1, 3]);
    expect(rows('age in (18, 61)')).toEqual([3, 4]);
  });

  it('handles boolean and date columns', () => {
    expect(rows('flag')).toEqual([0, 2]);
    expect(rows('not flag')).toEqual([1, 4]);
    expect(rows('flag == true')).toEqual([0, 2]);
    expect(rows('flag == 0')).toEqual([1, 4]);
    expect(rows('flag in (1)')).toEqual([0, 2]);
    expect(rows("when >= '2020-01-01'")).toEqual([1, 2, 4]);
    expect(rows("when in ('2019-01-01')")).toEqual([0]);
  });

  it('supports the whitelisted functions', () => {
    expect(rows("lower(city) == 'oslo'")).toEqual([0, 2]);
    expect(rows("upper(city) == 'LIMA'")).toEqual([4]);
    expect(rows('length(city) == 4')).toEqual([0, 1, 2, 4]);
    expect(rows('abs(age - 40) < 16')).toEqual([0, 1]);
    expect(compileExpr(parseExpr('age + 1'), table).evaluate(0)).toBe(26);
  });

  it('names unknown columns, including prototype names', () => {
    const e = exprError(() => rows('height > 3'));
    expect(e.column).toBe('height');
    expect(e.message).toContain('unknown column "height" at position 1');
    expect(e.message).toContain('columns: age, city, Miles per Gallon, flag, when');
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(exprError(() => rows(`${name} == 1`)).column).toBe(name);
    }
    expect(exprError(() => rows('`Miles per gallon` > 1')).message).toContain('unknown column "Miles per gallon"');
    expect(exprError(() => rows('constructor(1)')).message).toContain('unknown function "constructor"');
    expect(exprError(() => rows('__proto__(age)')).message).toContain('unknown function "__proto__"');
  });

  it('reports type errors at the operator', () => {
    expect(exprError(() => rows('city > 3')).message).toBe('cannot compare string with number at position 6');
    expect(exprError(() => rows("age + 'x' > 1")).message).toBe('"+" needs number or date, got string at position 5');
    expect(exprError(() => rows('age and flag')).message).toContain('"and" needs bool, got number');
    expect(exprError(() => rows('age + 1')).message).toBe('expression must be a condition (true or false), but gives a number value at position 1');
    expect(exprError(() => rows('age == null')).message).toContain('use "is null"');
    expect(exprError(() => rows('flag < true')).message).toContain('does not apply to true/false');
    expect(exprError(() => rows("when > 'yesterday'")).message).toContain('"yesterday" is not a date');
    expect(exprError(() => rows("city in (1, 'a')")).message).toContain('cannot compare string with number at position 10');
    expect(exprError(() => rows('abs(city) > 1')).message).toContain('abs() needs number or date, got string');
    expect(exprError(() => rows('abs(1, 2) > 1')).message).toContain('abs() takes 1 argument, got 2');
  });
});
