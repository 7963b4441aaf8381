import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The engine boundary is enforced by eslint.config.mjs; these cases prove the rule bites
// (and does not over-bite) by linting snippets as if they lived at the given paths.
const eslint = new ESLint({ cwd: fileURLToPath(new URL('..', import.meta.url)) });

async function boundaryMessages(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  if (!result) throw new Error(`ESLint returned no result for ${filePath}`);
  return result.messages
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
    .map((m) => m.message);
}

describe('lib/ import boundary', () => {
  it.each([
    ["import React from 'react';\nexport const x = React;", /framework-free engine/],
    ["import type { ReactNode } from 'react';\nexport type N = ReactNode;", /framework-free engine/],
    ["import { createRoot } from 'react-dom/client';\nexport const r = createRoot;", /framework-free/],
    ["import Link from 'next/link';\nexport const l = Link;", /framework-free engine/],
    ["import '../../server/db';", /server\/, components\/ or app\//],
    ["import { db } from '@/server/db';\nexport const d = db;", /server\/, components\/ or app\//],
    ["import { Canvas } from '../../components/canvas/Canvas';\nexport const c = Canvas;", /server\//],
    ["import '../../app/page';", /server\/, components\/ or app\//],
    ["import fs from 'node:fs';\nexport const f = fs;", /Node builtins/],
    ["import { readFile } from 'fs/promises';\nexport const r = readFile;", /Node builtins/],
    ["import * as path from 'path';\nexport const p = path;", /Node builtins/],
    ["import { spawn } from 'child_process';\nexport const s = spawn;", /Node builtins/],
    ["export const load = () => import('node:os');", /Node builtins/],
    ["export { readFileSync } from 'fs';", /Node builtins/],
    ["export const fs = require('fs');", /Node builtins/],
  ])('reports %j in lib/graph/x.ts', async (code, expected) => {
    const messages = await boundaryMessages(code, 'lib/graph/x.ts');
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.join('\n')).toMatch(expected);
  });

  it('allows Node builtins in platform files named node.ts or inside a node/ folder', async () => {
    const code = "import fs from 'node:fs';\nimport { join } from 'path';\nexport const x = [fs, join];";
    expect(await boundaryMessages(code, 'lib/backend/node.ts')).toEqual([]);
    expect(await boundaryMessages(code, 'lib/data/node/read-file.ts')).toEqual([]);
  });

  it('still forbids React and server imports in platform files', async () => {
    const messages = await boundaryMessages(
      "import React from 'react';\nimport '../../server/db';\nexport const r = React;",
      'lib/backend/node.ts',
    );
    expect(messages).toHaveLength(2);
  });

  it('allows isomorphic imports: relative lib paths and npm packages', async () => {
    const code = [
      "import { z } from 'zod';",
      "import * as tf from '@tensorflow/tfjs';",
      "import type { Table } from '../data/table';",
      "import { KilnError } from '../errors';",
      'export const x = [z, tf, KilnError];',
      'export type T = Table;',
    ].join('\n');
    expect(await boundaryMessages(code, 'lib/graph/x.ts')).toEqual([]);
  });

  it('does not restrict server code, which may use Node and lib freely', async () => {
    const code = "import fs from 'node:fs';\nimport { KilnError } from '../../lib/errors';\nexport const x = [fs, KilnError];";
    expect(await boundaryMessages(code, 'server/runner/x.ts')).toEqual([]);
  });
});
