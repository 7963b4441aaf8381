import { describe, expect, it } from 'vitest';
import { analyzeCell } from './analyze';
import { buildCellGraph } from './topology';

/** Cells from sources, ids c1, c2, … */
function graphOf(...sources: string[]) {
  return buildCellGraph(sources.map((s, i) => {
    const a = analyzeCell(s);
    return { id: `c${i + 1}`, defines: a.defines, uses: a.uses };
  }));
}

describe('buildCellGraph', () => {
  it('links uses to their definers and orders a chain', () => {
    const g = graphOf('const a = 2', 'const b = a * 3', 'b');
    expect(g.errors.size).toBe(0);
    expect(g.definedBy).toEqual(new Map([['a', 'c1'], ['b', 'c2']]));
    expect(g.dependents('c1')).toEqual(['c2']);
    expect(g.dependents('c2')).toEqual(['c3']);
    expect(g.order(['c1'])).toEqual(['c1', 'c2', 'c3']);
    expect(g.order(['c2'])).toEqual(['c2', 'c3']);
    expect(g.order(['c3'])).toEqual(['c3']);
  });

  it('orders by dependency even when cells are written out of order', () => {
    const g = graphOf('c + 1', 'const c = b * 2', 'const b = a + 1', 'const a = 1');
    expect(g.order(['c4'])).toEqual(['c4', 'c3', 'c2', 'c1']);
    expect(g.order(['c1', 'c2', 'c3', 'c4'])).toEqual(['c4', 'c3', 'c2', 'c1']);
  });

  it('is stable by cell position among independent cells (diamond)', () => {
    const g = graphOf('const a = 1', 'const x = a', 'const y = a', 'x + y', 'a');
    expect(g.order(['c1'])).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    expect(g.dependents('c1')).toEqual(['c2', 'c3', 'c5']);
  });

  it('runs each cell once even when reached by several paths or listed twice', () => {
    const g = graphOf('const a = 1', 'const b = a', 'a + b');
    expect(g.order(['c1', 'c2', 'c1'])).toEqual(['c1', 'c2', 'c3']);
  });

  it('marks a name defined in two cells on both cells only', () => {
    const g = graphOf('const x = 1', 'const y = 2', 'const x = 3', 'x + 1', 'y + 1');
    expect(g.errors.get('c1')).toBe('`x` is also defined in cell 3');
    expect(g.errors.get('c3')).toBe('`x` is also defined in cell 1');
    expect(g.errors.has('c2')).toBe(false);
    expect(g.errors.has('c4')).toBe(false);
    expect(g.definedBy.has('x')).toBe(false);
    expect(g.definedBy.get('y')).toBe('c2');
    // the reader of the duplicated name is not scheduled; unrelated cells are
    expect(g.order(['c1', 'c2', 'c3', 'c4', 'c5'])).toEqual(['c2', 'c5']);
  });

  it('names every other definer when a name is defined three times', () => {
    const g = graphOf('let n = 1', 'var n', 'function n() {}');
    expect(g.errors.get('c2')).toBe('`n` is also defined in cells 1, 3');
  });

  it('marks every cell on a cycle, not the cells beside it', () => {
    const g = graphOf('const a = b + 1', 'const b = a + 1', 'const c = 5', 'a + c');
    expect(g.errors.get('c1')).toMatch(/^cycle: cell 1 uses `b` from cell 2; cell 2 uses `a` from cell 1$/);
    expect(g.errors.get('c2')).toMatch(/^cycle: /);
    expect(g.errors.has('c3')).toBe(false);
    expect(g.errors.has('c4')).toBe(false);
    expect(g.order(['c1', 'c2', 'c3'])).toEqual(['c3']);
  });

  it('finds longer cycles and leaves the cells that only feed them alone', () => {
    const g = graphOf('const s = 0', 'const p = r + s', 'const q = p', 'const r = q');
    expect([...g.errors.keys()].sort()).toEqual(['c2', 'c3', 'c4']);
    expect(g.errors.get('c2')).toBe('cycle: cell 2 uses `r` from cell 4; cell 4 uses `q` from cell 3; cell 3 uses `p` from cell 2');
    expect(g.order(['c1'])).toEqual(['c1']);
  });

  it('blocks everything downstream of an error, transitively', () => {
    const g = graphOf('const x = 1', 'const x = 2', 'const y = x', 'const z = y', 'z');
    expect(g.order(['c3'])).toEqual([]);
    expect(g.errors.has('c4')).toBe(false); // not an error itself, just not scheduled
  });

  it('clears the error once the duplicate is removed', () => {
    const g = graphOf('const x = 1', 'const y = 2', 'x');
    expect(g.errors.size).toBe(0);
    expect(g.order(['c1'])).toEqual(['c1', 'c3']);
  });

  it('ignores unknown ids, uses of undefined names and self-use', () => {
    const g = buildCellGraph([
      { id: 'a', defines: ['v'], uses: ['v', 'missing'] },
      { id: 'b', defines: [], uses: ['v'] },
    ]);
    expect(g.errors.size).toBe(0);
    expect(g.order(['nope', 'a'])).toEqual(['a', 'b']);
    expect(g.dependents('nope')).toEqual([]);
  });

  it('handles a 1000-cell chain', () => {
    const cells = Array.from({ length: 1000 }, (_, i) => ({ id: `k${i}`, defines: [`v${i}`], uses: i ? [`v${i - 1}`] : [] }));
    const g = buildCellGraph(cells);
    const order = g.order(['k0']);
    expect(order).toHaveLength(1000);
    expect(order[999]).toBe('k999');
  });
});
