/**
 * The program the sandbox child runs (passed with `node -e`, so the child needs no file read
 * permission to start). It reads one request from stdin: a JSON line `{ code, timeoutMs }`, then
 * the JSON text `{ rows, config }`. It writes one JSON answer to stdout and exits:
 * `{ ok: true, logs, result }` or `{ ok: false, kind: 'error'|'syntax'|'timeout', error, line?, logs? }`.
 *
 * The user's code runs in a fresh `vm` context: its own realm (no `require`, `process`, `Buffer`,
 * `fetch`, timers), code generation from strings and WebAssembly off, no dynamic `import()`
 * callback. The outer realm never hands the context one of its own objects: the data goes in as a
 * string and is parsed by the context's own JSON, and only strings come back out, so the
 * `x.constructor.constructor('return process')` escape has nothing to climb.
 */
/**
 * Trusted driver, evaluated in the context before any user code: it keeps its own references to
 * JSON and Promise, so later tampering by the user's code only spoils that code's own result.
 */
const SETUP_SOURCE = String.raw`(function () {
  'use strict';
  const G = globalThis;
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const resolve = Promise.resolve.bind(Promise);
  const data = parse(G.__kilnData);
  delete G.__kilnData;
  for (const k of ['WebAssembly', 'SharedArrayBuffer', 'Atomics', 'eval', 'FinalizationRegistry', 'WeakRef']) delete G[k];
  const logs = [];
  const show = (v) => {
    try {
      if (typeof v === 'string') return v;
      const s = stringify(v);
      return s === undefined ? String(v) : s;
    } catch (e) {
      return String(v);
    }
  };
  const log = (...a) => {
    if (logs.length < 200) logs.push(a.map(show).join(' ').slice(0, 2000));
  };
  G.console = { log, info: log, warn: log, error: log, debug: log };
  let out = null;
  const lineOf = (e) => {
    const m = /custom-node\.js:(\d+)/.exec(String((e && e.stack) || ''));
    return m ? Number(m[1]) : undefined;
  };
  const fail = (e, prefix) => {
    let msg;
    try {
      // Errors from Node itself (e.g. a refused import()) belong to another realm: duck-type them.
      msg = e !== null && typeof e === 'object' && typeof e.message === 'string' ? String(e.name || 'Error') + ': ' + e.message : 'threw ' + show(e);
    } catch (x) {
      msg = 'threw a value that cannot be shown';
    }
    out = stringify({ ok: false, kind: 'error', error: ((prefix || '') + String(msg)).split('\n')[0].slice(0, 2000), line: lineOf(e), logs });
  };
  const ok = (v) => {
    if (v === undefined) {
      out = '{"ok":true,"logs":' + stringify(logs) + '}';
      return;
    }
    let j;
    try {
      j = stringify(v);
    } catch (e) {
      return fail(e, 'the result cannot be sent as JSON: ');
    }
    out = '{"ok":true,"logs":' + stringify(logs) + ',"result":' + (j === undefined ? 'null' : j) + '}';
  };
  G.__kilnStart = (fn) => {
    if (typeof fn !== 'function') {
      out = stringify({ ok: false, kind: 'error', error: 'the code must be a function (rows, config) => rows, got ' + (fn === null ? 'null' : typeof fn) });
      return;
    }
    let r;
    try {
      r = fn(data.rows, data.config);
    } catch (e) {
      return fail(e);
    }
    resolve(r).then(ok, (e) => fail(e));
  };
  G.__kilnTake = () => out;
})();
`;

export const CHILD_SOURCE = `'use strict';
const SETUP = ${JSON.stringify(SETUP_SOURCE)};
` + String.raw`
const vm = require('node:vm');
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const text = Buffer.concat(chunks).toString('utf8');
  chunks.length = 0;
  const nl = text.indexOf('\n');
  const meta = JSON.parse(text.slice(0, nl));
  const answer = run(meta.code, text.slice(nl + 1), meta.timeoutMs);
  process.stdout.write(answer, () => process.exit(0));
});

function lineOf(stack) {
  const m = /custom-node\.js:(\d+)/.exec(String(stack || ''));
  return m ? Number(m[1]) : undefined;
}

function run(code, data, timeoutMs) {
  const sandbox = Object.create(null);
  const context = vm.createContext(sandbox, {
    name: 'custom node',
    codeGeneration: { strings: false, wasm: false },
    microtaskMode: 'afterEvaluate',
  });
  sandbox.__kilnData = data;
  vm.runInContext(SETUP, context, { timeout: 1000 });
  let script;
  try {
    script = new vm.Script('(' + code + '\n)', { filename: 'custom-node.js' });
  } catch (e) {
    return JSON.stringify({ ok: false, kind: 'syntax', error: 'SyntaxError: ' + e.message, line: lineOf(e.stack) });
  }
  const t0 = Date.now();
  try {
    sandbox.__kilnFn = script.runInContext(context, { timeout: timeoutMs });
    // start() calls the function; with microtaskMode 'afterEvaluate' every promise job the
    // function queues also runs inside this call, under the same timeout.
    vm.runInContext('__kilnStart(__kilnFn)', context, { timeout: Math.max(1, timeoutMs - (Date.now() - t0)) });
    const out = vm.runInContext('__kilnTake()', context, { timeout: 1000 });
    if (typeof out === 'string') return out;
    return JSON.stringify({ ok: false, kind: 'error', error: 'the function returned a promise that never settled (custom code has no timers or I/O)' });
  } catch (e) {
    // Only the vm itself throws here (the driver catches what user code throws).
    if (e && e.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return JSON.stringify({ ok: false, kind: 'timeout', error: 'timed out' });
    return JSON.stringify({ ok: false, kind: 'error', error: String(e && e.message ? e.message : e) });
  }
}
`;
