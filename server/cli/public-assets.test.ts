import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// public/ is part of the product's top level: what is static in it is tracked, and what
// `public-assets.mjs` generates beside it (copied from node_modules at build time) is ignored.
const root = fileURLToPath(new URL('../..', import.meta.url));
const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });

describe('public/', () => {
  it('tracks its static files, so a fresh clone has them', () => {
    const tracked = git('ls-files', 'public').split('\n').filter(Boolean);
    expect(tracked).toEqual(expect.arrayContaining(['public/favicon.svg', 'public/robots.txt']));
  });

  it('ignores every folder the build generates into it, and nothing that is tracked', () => {
    const script = readFileSync(new URL('./public-assets.mjs', import.meta.url), 'utf8');
    const generated = [...new Set([...script.matchAll(/join\(root, '(public\/[\w-]+)/g)].map((m) => m[1]!))];
    expect(generated.sort()).toEqual(['public/notebook', 'public/tfjs']);
    for (const dir of generated) {
      expect(git('check-ignore', '--no-index', `${dir}/x`).trim(), dir).toBe(`${dir}/x`);
    }
    const ignoredTracked = git('ls-files', '--cached', '--ignored', '--exclude-standard', 'public').trim();
    expect(ignoredTracked).toBe('');
  });
});
