/**
 * Static analysis of one notebook cell: which top-level names it defines, which free names it
 * uses (its dependencies), its imports, and the JS body the kernel runs. TypeScript is stripped
 * with sucrase (line numbers kept), parsed with acorn, and scoped by our own walk so shadowing
 * by parameters, block bindings, catch clauses and class/function names is exact.
 */
import { parse, type Node as AcornNode } from 'acorn';
import { transform } from 'sucrase';

/** The result of analysing a cell (Contract A). */
export interface CellAnalysis {
  ok: boolean;
  /** top-level names the cell declares (const/let/var incl. destructuring, function, class, imports) */
  defines: string[];
  /** free names read and not defined by the cell, minus {@link STANDARD_GLOBALS} */
  uses: string[];
  imports: { local: string; module: string; imported: string }[];
  /** 1-based line and column in the cell's own source */
  error?: { message: string; line: number; column: number };
  /** body of an async function with parameters (...uses, '__modules'); returns { value, defines } */
  body: string;
  hasValue: boolean;
  readsGraph: boolean;
  writesGraph: boolean;
  /** source line = body line − lineOffset (0: the prologue shares the first line) */
  lineOffset: number;
}

/**
 * Names a cell may read without them counting as dependencies: standard JavaScript globals and
 * the Web APIs every worker has. `fetch` is deliberately here: the kernel passes each `use` as a
 * function parameter, so listing `fetch` as a use would shadow the real one with `undefined`.
 */
export const STANDARD_GLOBALS: ReadonlySet<string> = new Set([
  'globalThis', 'undefined', 'NaN', 'Infinity', 'arguments', 'eval',
  'Math', 'JSON', 'Number', 'String', 'Boolean', 'Array', 'Object', 'Function', 'Date', 'RegExp',
  'Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError',
  'AggregateError', 'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry',
  'Promise', 'Symbol', 'BigInt', 'Intl', 'Reflect', 'Proxy', 'Atomics', 'Iterator',
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
  'parseInt', 'parseFloat', 'isNaN', 'isFinite',
  'encodeURI', 'decodeURI', 'encodeURIComponent', 'decodeURIComponent',
  'console', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask',
  'structuredClone', 'performance', 'TextEncoder', 'TextDecoder', 'URL', 'URLSearchParams',
  'AbortController', 'AbortSignal', 'fetch', 'Request', 'Response', 'Headers', 'Blob',
  'atob', 'btoa', 'crypto', 'self', 'navigator',
]);

/** `kiln.graph` methods that change the graph. */
export const GRAPH_MUTATORS: ReadonlySet<string> = new Set([
  'addNode', 'removeNode', 'connect', 'disconnect', 'setParam', 'setParams',
]);

/** Names the generated body reserves; a cell may not declare them. */
const RESERVED = new Set(['__value', '__modules']);

type N = AcornNode & Record<string, unknown>;
const SKIP_KEYS = new Set(['type', 'start', 'end', 'loc', 'range', 'raw']);

class Scope {
  readonly names = new Set<string>();
  constructor(readonly parent: Scope | null, readonly isFunction: boolean) {}
  fn(): Scope {
    return this.isFunction || !this.parent ? this : this.parent.fn();
  }
  has(name: string): boolean {
    return this.names.has(name) || (this.parent?.has(name) ?? false);
  }
}

function children(node: N): N[] {
  const out: N[] = [];
  for (const key of Object.keys(node)) {
    if (SKIP_KEYS.has(key)) continue;
    const v = node[key];
    if (Array.isArray(v)) for (const c of v) { if (c && typeof c === 'object' && 'type' in c) out.push(c as N); }
    else if (v && typeof v === 'object' && 'type' in v) out.push(v as N);
  }
  return out;
}

/** Identifiers a binding pattern declares. */
function patternNames(p: N | null | undefined, out: string[] = []): string[] {
  if (!p) return out;
  switch (p.type) {
    case 'Identifier': out.push(p.name as string); break;
    case 'ObjectPattern':
      for (const prop of p.properties as N[]) patternNames((prop.type === 'RestElement' ? prop.argument : prop.value) as N, out);
      break;
    case 'ArrayPattern': for (const el of p.elements as (N | null)[]) patternNames(el, out); break;
    case 'RestElement': patternNames(p.argument as N, out); break;
    case 'AssignmentPattern': patternNames(p.left as N, out); break;
  }
  return out;
}

/** Walks a program, recording declarations per scope and references with the scope they occur in. */
class ScopeWalker {
  readonly root = new Scope(null, true);
  readonly refs: { name: string; scope: Scope }[] = [];

  /** Declarations are hoisted into their scope before its statements are walked. */
  private hoist(stmts: N[], scope: Scope): void {
    for (const s of stmts) {
      const d = (s.type === 'ExportNamedDeclaration' || s.type === 'ExportDefaultDeclaration') ? (s.declaration as N | null) : s;
      if (!d) continue;
      if ((d.type === 'FunctionDeclaration' || d.type === 'ClassDeclaration') && d.id) scope.names.add((d.id as N).name as string);
      if (d.type === 'VariableDeclaration' && d.kind !== 'var') for (const decl of d.declarations as N[]) patternNames(decl.id as N, [])
        .forEach((n) => scope.names.add(n));
      if (d.type === 'ImportDeclaration') for (const sp of d.specifiers as N[]) scope.names.add((sp.local as N).name as string);
    }
  }

  /** `var` declarations anywhere in a function body (not in nested functions) belong to it. */
  private hoistVars(node: N, scope: Scope): void {
    for (const c of children(node)) {
      if (c.type === 'FunctionDeclaration' || c.type === 'FunctionExpression' || c.type === 'ArrowFunctionExpression') continue;
      if (c.type === 'VariableDeclaration' && c.kind === 'var') for (const d of c.declarations as N[]) patternNames(d.id as N).forEach((n) => scope.names.add(n));
      this.hoistVars(c, scope);
    }
  }

  program(p: N): void {
    this.hoist(p.body as N[], this.root);
    this.hoistVars(p, this.root);
    for (const s of p.body as N[]) this.visit(s, p, this.root);
  }

  /** Walks a binding pattern: only default values and computed keys are references. */
  private pattern(p: N | null | undefined, scope: Scope): void {
    if (!p) return;
    switch (p.type) {
      case 'Identifier': return;
      case 'ObjectPattern':
        for (const prop of p.properties as N[]) {
          if (prop.type === 'RestElement') this.pattern(prop.argument as N, scope);
          else { if (prop.computed) this.visit(prop.key as N, prop, scope); this.pattern(prop.value as N, scope); }
        }
        return;
      case 'ArrayPattern': for (const el of p.elements as (N | null)[]) this.pattern(el, scope); return;
      case 'RestElement': this.pattern(p.argument as N, scope); return;
      case 'AssignmentPattern': this.pattern(p.left as N, scope); this.visit(p.right as N, p, scope); return;
      default: this.visit(p, null, scope); // member expression targets (for-in/of over `o.x`)
    }
  }

  private func(node: N, scope: Scope): void {
    const fs = new Scope(scope, true);
    if (node.type === 'FunctionExpression' && node.id) fs.names.add((node.id as N).name as string);
    for (const param of node.params as N[]) patternNames(param).forEach((n) => fs.names.add(n));
    for (const param of node.params as N[]) this.pattern(param, fs);
    const body = node.body as N;
    if (body.type === 'BlockStatement') {
      this.hoist(body.body as N[], fs);
      this.hoistVars(body, fs);
      for (const s of body.body as N[]) this.visit(s, body, fs);
    } else this.visit(body, node, fs);
  }

  private block(node: N, scope: Scope, stmts: N[]): Scope {
    const bs = new Scope(scope, false);
    this.hoist(stmts, bs);
    return bs;
  }

  visit(node: N, parent: N | null, scope: Scope): void {
    switch (node.type) {
      case 'Identifier':
        this.refs.push({ name: node.name as string, scope });
        return;
      case 'FunctionDeclaration': case 'FunctionExpression': case 'ArrowFunctionExpression':
        this.func(node, scope); return;
      case 'ClassDeclaration': case 'ClassExpression': {
        const cs = new Scope(scope, false);
        if (node.id) cs.names.add((node.id as N).name as string);
        if (node.superClass) this.visit(node.superClass as N, node, cs);
        this.visit(node.body as N, node, cs);
        return;
      }
      case 'MethodDefinition': case 'PropertyDefinition': case 'Property':
        if (node.computed) this.visit(node.key as N, node, scope);
        if (node.value) this.visit(node.value as N, node, scope); // shorthand `{a}`: value is the reference
        return;
      case 'StaticBlock': {
        const ss = new Scope(scope, true);
        this.hoist(node.body as N[], ss); this.hoistVars(node, ss);
        for (const s of node.body as N[]) this.visit(s, node, ss);
        return;
      }
      case 'VariableDeclaration':
        for (const d of node.declarations as N[]) { this.pattern(d.id as N, scope); if (d.init) this.visit(d.init as N, d, scope); }
        return;
      case 'BlockStatement': case 'StaticBlockStatement': {
        const bs = this.block(node, scope, node.body as N[]);
        for (const s of node.body as N[]) this.visit(s, node, bs);
        return;
      }
      case 'SwitchStatement': {
        this.visit(node.discriminant as N, node, scope);
        const stmts = (node.cases as N[]).flatMap((c) => c.consequent as N[]);
        const bs = this.block(node, scope, stmts);
        for (const c of node.cases as N[]) { if (c.test) this.visit(c.test as N, c, bs); for (const s of c.consequent as N[]) this.visit(s, c, bs); }
        return;
      }
      case 'ForStatement': case 'ForInStatement': case 'ForOfStatement': {
        const head = (node.init ?? node.left) as N | null;
        const bs = this.block(node, scope, head ? [head] : []);
        for (const c of children(node)) {
          if (c === head && head.type !== 'VariableDeclaration') this.pattern(head, bs);
          else this.visit(c, node, bs);
        }
        return;
      }
      case 'CatchClause': {
        const cs = new Scope(scope, false);
        patternNames(node.param as N | null).forEach((n) => cs.names.add(n));
        this.pattern(node.param as N | null, cs);
        this.visit(node.body as N, node, cs);
        return;
      }
      case 'MemberExpression':
        this.visit(node.object as N, node, scope);
        if (node.computed) this.visit(node.property as N, node, scope);
        return;
      case 'LabeledStatement': this.visit(node.body as N, node, scope); return;
      case 'BreakStatement': case 'ContinueStatement': case 'MetaProperty': case 'ImportDeclaration': return;
      case 'ExportSpecifier': this.visit(node.local as N, node, scope); return;
      default:
        for (const c of children(node)) this.visit(c, node, scope);
    }
  }
}

function emptyAnalysis(): CellAnalysis {
  return { ok: false, defines: [], uses: [], imports: [], body: '', hasValue: false, readsGraph: false, writesGraph: false, lineOffset: 0 };
}

function failure(message: string, line: number, column: number): CellAnalysis {
  return { ...emptyAnalysis(), error: { message, line, column } };
}

/** Line and 1-based column of an offset in `text`. */
function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/** Is `node` the expression `kiln.graph` (or `kiln['graph']`), with `kiln` not shadowed? */
function isKilnGraph(node: N | undefined, kilnFree: boolean): boolean {
  if (!kilnFree || !node || node.type !== 'MemberExpression') return false;
  const obj = node.object as N;
  const prop = node.property as N;
  const name = node.computed ? (prop.type === 'Literal' ? prop.value : undefined) : prop.name;
  return obj.type === 'Identifier' && obj.name === 'kiln' && name === 'graph';
}

function propName(node: N): string | undefined {
  const prop = node.property as N;
  if (!node.computed) return prop.name as string;
  return prop.type === 'Literal' && typeof prop.value === 'string' ? prop.value : undefined;
}

/**
 * Finds reads of `kiln.graph` and calls of its mutators, also through a local alias
 * (`const g = kiln.graph; g.addNode(…)`) or destructuring (`const { graph } = kiln`,
 * `const { addNode } = kiln.graph`).
 */
function graphAccess(program: N, kilnFree: boolean): { reads: boolean; writes: boolean } {
  if (!kilnFree) return { reads: false, writes: false };
  const aliases = new Set<string>();
  let reads = false;
  let writes = false;
  const scan = (node: N): void => {
    if (node.type === 'VariableDeclarator' && node.init) {
      const id = node.id as N;
      const init = node.init as N;
      if (isKilnGraph(init, true)) {
        reads = true;
        if (id.type === 'Identifier') aliases.add(id.name as string);
        if (id.type === 'ObjectPattern') for (const p of id.properties as N[]) {
          const key = p.key as N | undefined;
          if (key && !p.computed && GRAPH_MUTATORS.has(key.name as string)) writes = true;
        }
      } else if (init.type === 'Identifier' && init.name === 'kiln' && id.type === 'ObjectPattern') {
        for (const p of id.properties as N[]) {
          const key = p.key as N | undefined;
          if (key && !p.computed && key.name === 'graph') {
            reads = true;
            const v = p.value as N;
            if (v.type === 'Identifier') aliases.add(v.name as string);
          }
        }
      }
    }
    if (node.type === 'MemberExpression' && isKilnGraph(node, true)) reads = true;
    for (const c of children(node)) scan(c);
  };
  scan(program);
  const scanCalls = (node: N): void => {
    if (node.type === 'CallExpression' && (node.callee as N).type === 'MemberExpression') {
      const callee = node.callee as N;
      const obj = callee.object as N;
      const target = isKilnGraph(obj, true) || (obj.type === 'Identifier' && aliases.has(obj.name as string));
      if (target && GRAPH_MUTATORS.has(propName(callee) ?? '')) writes = true;
    }
    for (const c of children(node)) scanCalls(c);
  };
  scanCalls(program);
  return { reads, writes };
}

/** Replaces [start, end) by `text`, padded with the newlines it removed so later lines keep their numbers. */
interface Edit { start: number; end: number; text: string }

function applyEdits(code: string, edits: Edit[]): string {
  let out = code;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) {
    const removedLines = code.slice(e.start, e.end).split('\n').length - 1;
    const addedLines = e.text.split('\n').length - 1;
    out = out.slice(0, e.start) + e.text + '\n'.repeat(Math.max(0, removedLines - addedLines)) + out.slice(e.end);
  }
  return out;
}

/** Analyses one cell's TypeScript source (Contract A). Never throws: a syntax error is `ok: false`. */
export function analyzeCell(source: string): CellAnalysis {
  let js: string;
  try {
    js = transform(source, { transforms: ['typescript'], disableESTransforms: true, keepUnusedImports: true }).code;
  } catch (e) {
    const err = e as Error & { loc?: { line: number; column: number } };
    const message = String(err.message ?? e).replace(/\s*\(\d+:\d+\)$/, '');
    return failure(message, err.loc?.line ?? 1, err.loc?.column ?? 1);
  }
  let program: N;
  try {
    program = parse(js, { ecmaVersion: 'latest', sourceType: 'module', allowAwaitOutsideFunction: true, allowReturnOutsideFunction: false }) as unknown as N;
  } catch (e) {
    const err = e as Error & { loc?: { line: number; column: number } };
    const message = String(err.message ?? e).replace(/\s*\(\d+:\d+\)$/, '');
    return failure(message, err.loc?.line ?? 1, (err.loc?.column ?? 0) + 1);
  }

  const walker = new ScopeWalker();
  walker.program(program);
  const defines = [...walker.root.names];
  const reserved = defines.find((n) => RESERVED.has(n));
  if (reserved) return failure(`\`${reserved}\` is reserved by the notebook; use another name`, 1, 1);

  const uses: string[] = [];
  for (const { name, scope } of walker.refs) {
    if (scope.has(name) || STANDARD_GLOBALS.has(name) || RESERVED.has(name) || uses.includes(name)) continue;
    uses.push(name);
  }

  const imports: CellAnalysis['imports'] = [];
  const edits: Edit[] = [];
  const stmts = program.body as N[];
  for (const s of stmts) {
    if (s.type === 'ImportDeclaration') {
      const mod = (s.source as N).value as string;
      const ref = `__modules[${JSON.stringify(mod)}]`;
      const parts: string[] = [];
      for (const sp of s.specifiers as N[]) {
        const local = (sp.local as N).name as string;
        const imported = sp.type === 'ImportNamespaceSpecifier' ? '*' : sp.type === 'ImportDefaultSpecifier' ? 'default'
          : ((sp.imported as N).name ?? (sp.imported as N).value) as string;
        imports.push({ local, module: mod, imported });
        parts.push(`${local} = ${imported === '*' ? ref : `${ref}[${JSON.stringify(imported)}]`}`);
      }
      edits.push({ start: s.start, end: s.end, text: parts.length ? `const ${parts.join(', ')};` : `void ${ref};` });
    } else if (s.type === 'ExportNamedDeclaration' || s.type === 'ExportDefaultDeclaration' || s.type === 'ExportAllDeclaration') {
      const decl = s.declaration as N | null | undefined;
      if (s.type !== 'ExportNamedDeclaration' || !decl) {
        const p = position(js, s.start);
        return failure('export is not needed in a notebook: every top-level declaration is shared with other cells', p.line, p.column);
      }
      edits.push({ start: s.start, end: decl.start, text: '' });
    }
  }
  const last = stmts.at(-1);
  // a lone string literal parses as a directive; it is still the cell's value (but 'use strict' is not)
  const hasValue = last?.type === 'ExpressionStatement' && last.directive !== 'use strict';
  if (hasValue && last) {
    // at the statement, not the expression: `(a, b)` parses to an expression inside the parens
    const end = js[last.end - 1] === ';' ? last.end - 1 : last.end;
    edits.push({ start: last.start, end: last.start, text: ';__value = (' });
    edits.push({ start: end, end, text: ')' });
  }
  const ordered = [...edits].sort((a, b) => a.start - b.start);
  const body = `let __value; ${applyEdits(js, ordered)}\nreturn { value: __value, defines: { ${defines.join(', ')} } };`;

  const { reads, writes } = graphAccess(program, uses.includes('kiln'));
  return { ok: true, defines, uses, imports, body, hasValue, readsGraph: reads, writesGraph: writes, lineOffset: 0 };
}
