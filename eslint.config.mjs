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
);
