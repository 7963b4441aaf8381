/**
 * Column names `__proto__`, `constructor` and `prototype` in the fitted steps' column-keyed
 * records (issue 12): `{}` dropped a `__proto__` key and looked `constructor` up on
 * Object.prototype (a cardinality of `function Object`).
 */
import { describe, expect, it } from 'vitest';
import { firstCategories, stepCardinality } from './fitted';
import './catalog';

describe('reserved words as column names', () => {
  it('keeps them in typical values, and finds no cardinality for a column that has none', () => {
    const first = firstCategories({ columns: [{ column: '__proto__', categories: ['x'] }, { column: 'prototype', categories: [1] }] });
    expect(Object.entries(first)).toEqual([
      ['__proto__', 'x'],
      ['prototype', 1],
    ]);
    expect(stepCardinality([])['constructor']).toBeUndefined();
  });
});
