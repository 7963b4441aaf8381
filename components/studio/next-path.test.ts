import { describe, expect, it } from 'vitest';
import { safeNext, signInPath } from './next-path';

describe('safeNext', () => {
  it('keeps a path on this origin, with its query and hash', () => {
    expect(safeNext('/projects/cars/canvas?tab=1#n3')).toBe('/projects/cars/canvas?tab=1#n3');
    expect(safeNext('/')).toBe('/');
  });

  it.each([
    ['missing', null],
    ['empty', ''],
    ['protocol-relative', '//evil.example/x'],
    ['backslash host', '/\\evil.example'],
    ['absolute URL', 'https://evil.example/'],
    ['javascript URL', 'javascript:alert(1)'],
    ['relative path', 'projects'],
    ['tab inside', '/\t/evil.example'],
    ['newline inside', '/\n/evil.example'],
  ])('turns a %s next into /', (_what, next) => {
    expect(safeNext(next)).toBe('/');
  });
});

describe('signInPath', () => {
  it('carries the page to come back to', () => {
    expect(signInPath('/projects/a b/runs')).toBe(`/login?next=${encodeURIComponent('/projects/a%20b/runs')}`);
    expect(signInPath('/')).toBe('/login');
    expect(signInPath('//evil.example')).toBe('/login');
  });
});
