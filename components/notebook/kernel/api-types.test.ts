/**
 * The notebook API's declarations (KILN_API_DTS, what Monaco shows cell authors) are checked by
 * the TypeScript compiler against the implementation (makeKiln in ./kiln-api.ts): the object a
 * cell gets must be assignable to `Kiln.Api`, and every member it has must be declared. A
 * declaration that drifts from the code (a renamed method, a changed return type, a member
 * added without its declaration) fails here.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { KILN_API_DTS } from './api-types';

const REPO = join(import.meta.dirname, '../../..');
const DIR = join(import.meta.dirname);
const DTS = join(DIR, '__kiln-api.virtual.d.ts');
const CHECK = join(DIR, '__kiln-api.check.virtual.ts');

/** Type-level assertions: each line fails to compile when declaration and implementation drift. */
const CHECK_SOURCE = `
import type { Kiln as Impl } from './kiln-api';
import type { KilnData } from './kiln-data';

type NoExtra<T extends PropertyKey> = [T] extends [never] ? true : { undeclared: T };
type Ok<T extends true> = T;

// The implementation provides everything the declarations promise, with compatible types.
export const api: Kiln.Api = null as unknown as Impl;
export const graph: Kiln.GraphApi = null as unknown as Impl['graph'];
export const data: Kiln.Data = null as unknown as KilnData;
export const run: Kiln.RunResult = null as unknown as Awaited<ReturnType<Impl['run']>>;
export const submitted: Kiln.SubmittedRun = null as unknown as Awaited<ReturnType<Impl['submit']>>;

// Everything the implementation offers a cell is declared (so the editor can complete it).
export type Checks = [
  Ok<NoExtra<Exclude<keyof Impl, keyof Kiln.Api>>>,
  Ok<NoExtra<Exclude<keyof Impl['graph'], keyof Kiln.GraphApi>>>,
  Ok<NoExtra<Exclude<keyof Awaited<ReturnType<Impl['run']>>, keyof Kiln.RunResult>>>,
  Ok<NoExtra<Exclude<keyof Awaited<ReturnType<Impl['submit']>>, keyof Kiln.SubmittedRun>>>,
  Ok<NoExtra<Exclude<'name' | 'columns' | 'schema' | 'records' | 'length' | 'totalRows' | 'toTensors', keyof Kiln.Data>>>,
];
`;

const parsed = new Map<string, ts.SourceFile | undefined>();

function diagnostics(dts: string, check = CHECK_SOURCE): string[] {
  const { config } = ts.readConfigFile(join(REPO, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, REPO);
  const opts: ts.CompilerOptions = { ...options, noEmit: true, incremental: false, tsBuildInfoFile: undefined, plugins: [] };
  const host = ts.createCompilerHost(opts, true);
  const virtual = new Map([
    [DTS, dts],
    [CHECK, check],
  ]);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, ...rest) => {
    if (virtual.has(f)) return ts.createSourceFile(f, virtual.get(f)!, lang, true);
    // Parsed once for all the programs this file makes (the repo and tfjs typings are large).
    let sf = parsed.get(f);
    if (!sf) parsed.set(f, (sf = getSourceFile.call(host, f, lang, ...rest)));
    return sf;
  };
  const program = ts.createProgram({ rootNames: [DTS, CHECK], options: opts, host });
  return [DTS, CHECK].flatMap((f) =>
    [...program.getSyntacticDiagnostics(program.getSourceFile(f)), ...program.getSemanticDiagnostics(program.getSourceFile(f))].map(
      (d) => `${d.file ? `${d.file.fileName.slice(DIR.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    ),
  );
}

describe('the notebook API declarations (KILN_API_DTS)', () => {
  it('agree with the implementation, checked by the TypeScript compiler', () => {
    expect(diagnostics(KILN_API_DTS)).toEqual([]);
  }, 120_000);

  it('would catch a declaration that drifts', () => {
    // A method renamed in the declarations only, and a member the declarations forget.
    const renamed = KILN_API_DTS.replace('removeNode(id: string): void;', 'deleteNode(id: string): void;');
    const forgotten = KILN_API_DTS.replace(/\n\s*html\(html: string\): Html;/, '');
    expect(renamed).not.toBe(KILN_API_DTS);
    expect(forgotten).not.toBe(KILN_API_DTS);
    expect(diagnostics(renamed).join('\n')).toMatch(/deleteNode/);
    expect(diagnostics(forgotten).join('\n')).toMatch(/undeclared.*html|html.*undeclared/s);
  }, 120_000);
});
