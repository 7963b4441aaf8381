import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The engine boundary is enforced by eslint.config.mjs; these cases prove the rule bites
// (and does not over-bite) by linting snippets as if they lived at the given paths.
const eslint = new ESLint({ cwd: fileURLToPath(new URL('..', import.meta.url)) });

const BOUNDARY_RULES = new Set([
  'no-restricted-imports',
  '@typescript-eslint/no-restricted-imports',
  'no-restricted-syntax',
  'no-restricted-globals',
  'no-restricted-properties',
]);

async function boundaryMessages(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  if (!result) throw new Error(`ESLint returned no result for ${filePath}`);
  return result.messages
    .filter((m) => m.ruleId !== null && BOUNDARY_RULES.has(m.ruleId))
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

describe('lib/ platform globals', () => {
  it.each([
    ['export const port = process.env.PORT;', /isomorphic/],
    ["export const w = window.innerWidth;", /isomorphic/],
    ["export const el = document.createElement('div');", /isomorphic/],
    ['export const gpu = navigator.gpu;', /isomorphic/],
    ["export const b = Buffer.from('x');", /isomorphic/],
    ['export const env = globalThis.process;', /isomorphic/],
    ["export const s = localStorage.getItem('k');", /isomorphic/],
  ])('reports %j in lib/exec/x.ts', async (code, expected) => {
    const messages = await boundaryMessages(code, 'lib/exec/x.ts');
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.join('\n')).toMatch(expected);
  });

  it('allows them in files named for their platform', async () => {
    expect(await boundaryMessages('export const platform = process.platform;', 'lib/backend/node.ts')).toEqual([]);
    expect(await boundaryMessages('export const gpu = navigator.gpu;\nexport const w = window;', 'lib/backend/browser.ts')).toEqual([]);
  });

  it('still keeps settings out of platform files: lib/ takes them as arguments (server/config parses the environment)', async () => {
    const messages = await boundaryMessages('export const icd = process.env.VK_ICD_FILENAMES;', 'lib/backend/node.ts');
    expect(messages.join('\n')).toMatch(/Read settings from server\/config/);
  });

  it('does not mistake a local binding or a property for the global', async () => {
    expect(await boundaryMessages('export function f(process: number) {\n  return process + 1;\n}', 'lib/exec/x.ts')).toEqual([]);
    expect(await boundaryMessages('export const f = (o: { document: string }) => o.document;', 'lib/exec/x.ts')).toEqual([]);
  });
});

describe('components/ import no server code', () => {
  it('allows only the router type', async () => {
    expect(await boundaryMessages("import type { AppRouter } from '../../server/trpc/root';\nexport type R = AppRouter;", 'components/studio/trpc.ts')).toEqual([]);
  });

  it.each([
    "import { appRouter } from '../../server/trpc/root';\nexport const r = appRouter;",
    "import { getRun } from '../../server/db/runs';\nexport const g = getRun;",
    "import type { Db } from '../../server/db/client';\nexport type D = Db;",
    "import { x } from '@/server/http/router';\nexport const y = x;",
    "import '../server';",
  ])('reports %j in components/canvas/X.tsx', async (code) => {
    const messages = await boundaryMessages(code, 'components/canvas/X.tsx');
    expect(messages.join('\n')).toMatch(/components\/ (never import server|may take only types)/);
  });
});

describe('Next bundles server code only behind server-only', () => {
  it('lets app/ reach server/ only through server/http/singleton', async () => {
    expect(await boundaryMessages("import { handleApiRequest } from '../../../server/http/singleton';\nexport const GET = handleApiRequest;", 'app/api/x/route.ts')).toEqual([]);
    const messages = await boundaryMessages("import { createApi } from '../../../server/http/router';\nexport const c = createApi;", 'app/api/x/route.ts');
    expect(messages.join('\n')).toMatch(/only through server\/http\/singleton/);
  });

  it('requires server-only in the entry Next bundles, and the real file has it', async () => {
    const without = await boundaryMessages("import { openApiRuntime } from './runtime';\nexport const o = openApiRuntime;", 'server/http/singleton.ts');
    expect(without.join('\n')).toMatch(/import 'server-only'/);
    expect(await boundaryMessages("import 'server-only';\nimport { openApiRuntime } from './runtime';\nexport const o = openApiRuntime;", 'server/http/singleton.ts')).toEqual([]);
    const [real] = await eslint.lintFiles(['server/http/singleton.ts']);
    expect(real!.messages.filter((m) => m.ruleId === 'no-restricted-syntax')).toEqual([]);
  });
});

describe('server/serving is a data plane', () => {
  it.each([
    "import { readPackageZip } from '../http/package-zip';\nexport const r = readPackageZip;",
    "import type { Db } from '../db/client';\nexport type D = Db;",
    "import { appRouter } from '../trpc/root';\nexport const a = appRouter;",
  ])('reports %j in server/serving/x.ts', async (code) => {
    const messages = await boundaryMessages(code, 'server/serving/x.ts');
    expect(messages.join('\n')).toMatch(/data plane/);
  });

  it('holds for the real serving sources (package-zip reading now lives in lib/package/zip.ts)', async () => {
    const results = await eslint.lintFiles(['server/serving/*.ts']);
    const hits = results.flatMap((r) => r.messages.filter((m) => /data plane/.test(m.message)).map((m) => `${r.filePath}: ${m.message}`));
    expect(results.length).toBeGreaterThan(5);
    expect(hits).toEqual([]);
  });

  it('allows lib/, its own folder and packages', async () => {
    const code = "import { KilnError } from '../../lib/errors';\nimport { ModelHost } from './model-host';\nimport { createServer } from 'node:http';\nexport const x = [KilnError, ModelHost, createServer];";
    expect(await boundaryMessages(code, 'server/serving/x.ts')).toEqual([]);
  });
});
