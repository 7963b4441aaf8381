// ESLint flat config. The rule that matters most here is the engine boundary: lib/ is the
// isomorphic engine that the browser, the CLI and the runner import unchanged, so it may not
// reach into UI frameworks, server code or Node builtins (DESIGN.md, "What may import what").
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nextCoreWebVitals from 'eslint-config-next/core-web-vitals';
import globals from 'globals';

const LIB_SOURCES = ['lib/**/*.{ts,tsx,mts,cts,js,mjs}'];
// Platform-specific files: `lib/backend/node.ts`, or anything inside a folder named `node/`.
const LIB_NODE_FILES = ['lib/**/node.{ts,mts,js,mjs}', 'lib/**/node/**'];
// Browser-specific files (`lib/backend/browser.ts`): DOM globals allowed, Node builtins not.
const LIB_BROWSER_FILES = ['lib/**/browser.{ts,tsx,mts,js,mjs}', 'lib/**/browser/**'];
// Tests only ever run under Vitest in Node (fixtures are read from disk); they never ship.
const LIB_TESTS = ['lib/**/*.test.ts'];
const UI_SOURCES = ['app/**/*.{ts,tsx,js,jsx}', 'components/**/*.{ts,tsx,js,jsx}'];

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Top-level builtin names (`fs`, `path`, `child_process` …); subpaths like `fs/promises` are
// caught by the `(/|$)` suffix, and the `node:` scheme is forbidden outright.
const BUILTIN_NAMES = [
  ...new Set(builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.split('/')[0])),
].map(escapeRe);
const BUILTIN_RE = `^(?:node:.*|(?:${BUILTIN_NAMES.join('|')})(?:/.*)?)$`;

/** Restrictions that hold for every file in lib/, platform-specific or not. */
const layeringPatterns = [
  {
    regex: '^(?:react|react-dom|next)(?:/.*)?$|^@next/',
    message: 'lib/ is the framework-free engine: UI code belongs in components/ or app/.',
  },
  {
    // lib has no folders named server/components/app, so any such segment leaves lib.
    regex: '^(?:\\.{1,2}/)+(?:.*/)?(?:server|components|app)(?:/.*)?$|^(?:@/)?(?:server|components|app)(?:/.*)?$',
    message: 'lib/ may not import server/, components/ or app/: they depend on lib, not the reverse.',
  },
  {
    regex: '^@/',
    message: 'Use relative imports inside lib/ so the CLI and runner resolve them without path aliases.',
  },
];

// Globals of one platform: `process` and friends only exist in Node, `window` and friends only in
// a browser page. lib/ code outside platform files must run in both (and in workers).
const PLATFORM_GLOBALS = ['process', 'Buffer', '__dirname', '__filename', 'window', 'document', 'navigator', 'location', 'localStorage', 'sessionStorage'];
const platformGlobalsMessage =
  'lib/ is isomorphic: Node or DOM globals belong in a platform file (node.ts, browser.ts, or a node/ or browser/ folder); pass the value in instead.';

// Paths into server/ from anywhere: `../../server/x`, `@/server/x`.
const SERVER_PREFIX = '^(?:(?:\\.{1,2}/)+(?:.*/)?|@/)server';
/** server/ or anything under it except `except` (`trpc/root`, `http/singleton`). */
const serverPathExcept = (except) => `${SERVER_PREFIX}(?:/(?!${escapeRe(except)}$).*)?$`;

// What Next bundles from server/: app/ reaches server/ only through these files, and each one
// imports `server-only`, so a client component that imports one fails the build. They are
// never loaded by the CLI, the runner or Vitest, where `server-only` would throw (it is a no-op
// only under the react-server condition that Next sets).
const NEXT_SERVER_ENTRIES = ['server/http/singleton.ts'];

// components/ reach server/ for one thing only: the tRPC router's type.
const componentsServerPatterns = [
  {
    regex: serverPathExcept('trpc/root'),
    message: 'components/ never import server/: call it through the tRPC client (only `import type { AppRouter }` from server/trpc/root).',
  },
  {
    regex: `${SERVER_PREFIX}/trpc/root$`,
    allowTypeImports: true,
    message: 'components/ may take only types from server/trpc/root (`import type { AppRouter }`).',
  },
];

// The notebook kernel worker runs user code and holds no credentials: it never calls the control
// plane itself; each Kiln call is a message the page performs (components/notebook/kernel/page-api.ts).
// kernel-imports.test.ts checks the whole import graph; this names the mistake where it is made.
const KERNEL_WORKER_FILES = ['kernel.worker.ts', 'kernel-rpc.ts', 'kiln-api.ts', 'kiln-data.ts', 'graph-ops.ts', 'protocol.ts'].map((f) => `components/notebook/kernel/${f}`);
const kernelWorkerMessage = 'The notebook kernel worker makes no request to /api: send the call to the page (KernelApi, kernel/protocol.ts) and serve it in kernel/page-api.ts.';

// The canvas's run worker runs the project's custom-node code: like the kernel, it asks the page
// for each dataset file (components/run/worker-data.ts → page-data.ts). exec-imports.test.ts
// checks its whole import graph; this names the mistake where it is made.
const EXEC_WORKER_FILES = ['exec.worker.ts', 'worker-data.ts', 'protocol.ts'].map((f) => `components/run/${f}`);
const execWorkerMessage = 'The run worker makes no request to /api: ask the page for the file (a `data` message, run/worker-data.ts) and serve it in run/page-data.ts.';

// Every page-side call to Kiln's /api carries the anti-forgery header (components/studio/api-fetch.ts).
const apiFetchMessage = "Call Kiln's /api with apiFetch (components/studio/api-fetch.ts), which sends the page's anti-forgery header; a fetch elsewhere needs an eslint-disable comment saying why.";

const builtinPattern = {
  regex: BUILTIN_RE,
  message:
    'Node builtins are only allowed in platform files of lib/ (a file named node.ts or a folder named node/); keep the rest isomorphic.',
};

// no-restricted-imports does not see `import('fs')` or `require('fs')`; catch those too.
const dynamicBuiltinSyntax = [
  {
    selector: `ImportExpression[source.value=/${BUILTIN_RE.replaceAll('/', '\\x2F')}/]`,
    message: builtinPattern.message,
  },
  {
    selector: `CallExpression[callee.name="require"] > Literal[value=/${BUILTIN_RE.replaceAll('/', '\\x2F')}/]`,
    message: builtinPattern.message,
  },
];

export default tseslint.config(
  {
    ignores: [
      '.next/**',
      '.next-*/**',
      '.tmp-*/**',
      'node_modules/**',
      '.data/**',
      'drizzle/meta/**',
      'dist/**',
      'out/**',
      'public/**',
      'test-results/**',
      'playwright-report/**',
      'next-env.d.ts',
      '**/*.tsbuildinfo',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_`-prefixed names mark deliberately unused parameters (e.g. a node's unused ctx).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  // Next's React/hooks/a11y/core-web-vitals rules, only where React lives.
  ...nextCoreWebVitals.map((c) =>
    c.ignores && Object.keys(c).length === 1 ? c : { ...c, files: UI_SOURCES },
  ),
  {
    files: UI_SOURCES,
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
  {
    files: LIB_SOURCES,
    ignores: [...LIB_NODE_FILES, ...LIB_TESTS],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...layeringPatterns, builtinPattern] }],
      'no-restricted-syntax': ['error', ...dynamicBuiltinSyntax],
    },
  },
  {
    files: [...LIB_NODE_FILES, ...LIB_TESTS],
    rules: {
      'no-restricted-imports': ['error', { patterns: layeringPatterns }],
    },
  },
  // Settings are parsed once by server/config, the one zod schema of the environment; lib/ takes
  // them as arguments. Tests and the test harness set up their own child processes' environment.
  {
    files: ['server/**/*.ts', 'lib/**/*.ts'],
    ignores: ['server/config/**', '**/*.test.ts', 'server/runner/harness.ts', 'server/db/testing.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read settings from server/config (getConfig, or loadConfig in tests); lib/ takes them as arguments.' },
      ],
    },
  },
  {
    files: LIB_SOURCES,
    ignores: [...LIB_NODE_FILES, ...LIB_BROWSER_FILES, ...LIB_TESTS],
    rules: {
      'no-restricted-globals': ['error', ...PLATFORM_GLOBALS.map((name) => ({ name, message: platformGlobalsMessage }))],
      'no-restricted-properties': [
        'error',
        ...PLATFORM_GLOBALS.flatMap((property) => [
          { object: 'globalThis', property, message: platformGlobalsMessage },
          { object: 'self', property, message: platformGlobalsMessage },
        ]),
      ],
    },
  },
  // components/ talk to the server through the tRPC client only; the one thing they take from
  // server/ is the router's type (erased at build time, so no server code reaches the bundle).
  {
    files: ['components/**/*.{ts,tsx,js,jsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: componentsServerPatterns }],
    },
  },
  {
    files: UI_SOURCES,
    ignores: ['components/studio/api-fetch.ts', '**/*.test.ts', 'components/testing/**'],
    rules: {
      'no-restricted-globals': ['error', { name: 'fetch', message: apiFetchMessage }],
    },
  },
  {
    files: EXEC_WORKER_FILES,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            ...componentsServerPatterns,
            { regex: '(?:^|/)studio/(?:trpc|api-fetch)$|^@trpc/client$', allowTypeImports: true, message: execWorkerMessage },
            { regex: '(?:^|/)run/(?:fetch-data|inputs|page-data)$|^\\./(?:fetch-data|inputs|page-data)$', message: execWorkerMessage },
          ],
        },
      ],
      'no-restricted-globals': ['error', ...['fetch', 'XMLHttpRequest', 'EventSource', 'WebSocket', 'importScripts'].map((name) => ({ name, message: execWorkerMessage }))],
    },
  },
  {
    files: KERNEL_WORKER_FILES,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            ...componentsServerPatterns,
            { regex: '(?:^|/)studio/trpc$|^@trpc/client$', allowTypeImports: true, message: kernelWorkerMessage },
            { regex: '(?:^|/)run/(?:fetch-data|inputs)$|(?:^|/)kernel/page-api$|^\\./page-api$', message: kernelWorkerMessage },
          ],
        },
      ],
      'no-restricted-globals': ['error', ...['fetch', 'XMLHttpRequest', 'EventSource', 'WebSocket', 'importScripts'].map((name) => ({ name, message: kernelWorkerMessage }))],
    },
  },
  {
    files: ['app/**/*.{ts,tsx,js,jsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: serverPathExcept('http/singleton'),
              message: 'app/ reaches server/ only through server/http/singleton, which imports server-only (see NEXT_SERVER_ENTRIES in eslint.config.mjs).',
            },
          ],
        },
      ],
    },
  },
  {
    files: NEXT_SERVER_ENTRIES,
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'Program:not(:has(ImportDeclaration[source.value="server-only"]))',
          message: "A server module that Next bundles must `import 'server-only'`, so a client component importing it fails the build.",
        },
      ],
    },
  },
  // The serving process is a data plane (DESIGN.md): it may use lib/ and its own folder, never
  // the control plane's server/ code (http, db, trpc, registry …). Tests may borrow harnesses.
  {
    files: ['server/serving/**/*.{ts,mts,js,mjs}'],
    ignores: ['server/serving/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!\\.\\./lib/)|^(?:\\.{1,2}/)+(?:.*/)?server/(?!serving/)|^@/server/(?!serving/)',
              message: 'server/serving is the data plane: import lib/ or server/serving only, not control-plane code from server/ (http, db, trpc, registry …).',
            },
          ],
        },
      ],
    },
  },
);
