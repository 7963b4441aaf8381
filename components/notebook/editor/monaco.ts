'use client';
/**
 * Monaco, self-hosted: the editor and its workers are bundled by Next (no CDN), loaded only when
 * the notebook opens. TypeScript is set up once: compiler options, the `kiln` API and tfjs types,
 * and a declaration of every cell's top-level names so a name defined in another cell is known.
 */
import { KILN_API_DTS } from '../kernel/api-types';

export type Monaco = typeof import('monaco-editor');

let loading: Promise<Monaco> | null = null;

declare global {
  interface Window {
    MonacoEnvironment?: { getWorker(workerId: string, label: string): Worker };
  }
}

/** Globals the kernel provides, in case the kiln declarations do not declare `tf` themselves. */
const TF_GLOBAL_DTS = `import type * as __tf from '@tensorflow/tfjs';\ndeclare global { const tf: typeof __tf; }\nexport {};\n`;

async function setUp(): Promise<Monaco> {
  self.MonacoEnvironment = {
    getWorker(_workerId: string, label: string) {
      if (label === 'typescript' || label === 'javascript') {
        return new Worker(new URL('monaco-editor/language/typescript/ts.worker.js', import.meta.url), { type: 'module', name: 'monaco-ts' });
      }
      return new Worker(new URL('monaco-editor/editor/editor.worker.js', import.meta.url), { type: 'module', name: 'monaco-editor' });
    },
  };
  const monaco = await import('monaco-editor');
  const ts = monaco.typescript;
  ts.typescriptDefaults.setCompilerOptions({
    target: ts.ScriptTarget.ES2020 + 2, // ES2022 (the enum stops at ES2020; TypeScript's value is 9)
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.NodeJs,
    lib: ['es2022', 'dom', 'dom.iterable'],
    strict: true,
    allowNonTsExtensions: true,
    // Every cell is a module of its own: top-level await works and cells do not collide.
    moduleDetection: 3,
    noEmit: true,
    skipLibCheck: true,
  });
  ts.typescriptDefaults.setDiagnosticsOptions({
    noSemanticValidation: false,
    noSyntaxValidation: false,
    // 1375/1378: top-level await in a module is fine here; 2451: cells re-declare in their own scope.
    diagnosticCodesToIgnore: [1375, 1378, 80005, 80006, 6133],
  });
  ts.typescriptDefaults.setEagerModelSync(true);
  const hasTfGlobal = /declare\s+(const|var|let)\s+tf\b|\bconst\s+tf\s*:/.test(KILN_API_DTS);
  ts.typescriptDefaults.addExtraLib(KILN_API_DTS, 'file:///kiln/kiln-api.d.ts');
  if (!hasTfGlobal) ts.typescriptDefaults.addExtraLib(TF_GLOBAL_DTS, 'file:///kiln/tf-global.d.ts');
  // The tfjs declarations (≈1.5 MB) arrive after the editor is usable; completion for tf.*
  // starts once they are in.
  // A static file from public/ (not the API): no session or anti-forgery header needed.
  // eslint-disable-next-line no-restricted-globals
  void fetch('/notebook/tfjs-types.json')
    .then((r) => (r.ok ? (r.json() as Promise<Record<string, string>>) : Promise.reject(new Error(`HTTP ${r.status}`))))
    .then((files) => {
      // addExtraLib replaces a file of the same path; change events are batched by Monaco.
      for (const [filePath, content] of Object.entries(files)) ts.typescriptDefaults.addExtraLib(content, filePath);
    })
    .catch((e: unknown) => {
      console.warn(`notebook: tfjs types not loaded (${(e as Error).message}); tf.* is typed as any`);
    });
  return monaco;
}

/** Loads Monaco once (later calls share the promise). */
export function loadMonaco(): Promise<Monaco> {
  loading ??= setUp().catch((e: unknown) => {
    loading = null;
    throw e;
  });
  return loading;
}

const CELL_NAMES_PATH = 'file:///kiln/cell-names.d.ts';
let cellNamesDts = '';

/** `[name, type]` per name some cell defines, sorted; the type is null when none was reported. */
export function definedNameTypes(runtimes: Iterable<{ defines: string[]; types?: Record<string, string> }>): [string, string | null][] {
  const types = new Map<string, string | null>();
  for (const r of runtimes) for (const n of r.defines) if (!types.get(n)) types.set(n, r.types?.[n] ?? null);
  return [...types].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Declares every name some cell defines, with the type of its value in the kernel when known
 * (`any` otherwise), so other cells may use it without a squiggle and with completion.
 */
export function declareCellNames(monaco: Monaco, names: Iterable<readonly [string, string | null]>): void {
  const valid = [...names].filter(([n]) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'kiln' && n !== 'tf');
  const text = `${valid.map(([n, t]) => `declare var ${n}: ${t && !/[\r\n]/.test(t) ? t : 'any'};`).join('\n')}\n`;
  if (text === cellNamesDts) return;
  cellNamesDts = text;
  // A cell's own `const x` lives in its module scope and shadows this global declaration.
  monaco.typescript.typescriptDefaults.addExtraLib(text, CELL_NAMES_PATH);
}
