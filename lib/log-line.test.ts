import { describe, expect, it } from 'vitest';
import { capLogLine, cappedLog, MAX_LOG_LINE_CHARS } from './log-line';

describe('capLogLine', () => {
  it('leaves ordinary lines and stacks alone', () => {
    expect(capLogLine('kiln api: internal error')).toBe('kiln api: internal error');
    const stack = 'Error: x\n    at a (f.ts:1:1)\n    at b (f.ts:2:2)';
    expect(capLogLine(stack)).toBe(stack);
  });

  it('cuts a 100 MB line to 2 KiB, saying how much was left out', () => {
    const params = 'x'.repeat(100 * 1024 * 1024);
    const out = capLogLine(`Failed query: insert into "datasets" … params: ${params}`);
    expect(out.length).toBeLessThan(MAX_LOG_LINE_CHARS + 40);
    expect(out).toMatch(/^Failed query: insert into "datasets" … params: x+… \(\d+ more characters\)$/);
    const shown = Number(/\((\d+) more characters\)/.exec(out)![1]);
    expect(shown + MAX_LOG_LINE_CHARS).toBe(`Failed query: insert into "datasets" … params: `.length + params.length);
  });

  it('caps each line of a message and the number of lines', () => {
    const msg = ['head', 'y'.repeat(5000), ...Array.from({ length: 100 }, (_, i) => `at ${i}`)].join('\n');
    const lines = capLogLine(msg).split('\n');
    expect(lines[0]).toBe('head');
    expect(lines[1]).toMatch(/^y{2048}… \(2952 more characters\)$/);
    expect(lines).toHaveLength(41);
    expect(lines.at(-1)).toBe('… (62 more lines)');
  });

  it('cappedLog passes capped lines to its sink', () => {
    const got: string[] = [];
    cappedLog((l) => got.push(l))('z'.repeat(10_000));
    expect(got[0]!.length).toBeLessThan(2100);
  });
});
