/**
 * A short TypeScript type for a runtime value, so the editor can declare a name another cell
 * defines with a useful type instead of `any`. Best effort and cheap: arrays are typed from their
 * first few elements, objects from at most a few dozen own keys to a limited depth. Never throws;
 * every result is a valid TypeScript type (`any` when unsure).
 */

const SAMPLE = 5;
const MAX_UNION = 4;
const MAX_KEYS = 30;
const MAX_LEN = 2000;
const OPEN_OBJECT = 'Record<string, unknown>';
const TF = "import('@tensorflow/tfjs')";
const IDENT = /^[A-Za-z_$][\w$]*$/;
const TYPED_ARRAYS = new Set([
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
]);

/** The TypeScript type of `value`, `depth` levels of objects/arrays deep at most. */
export function typeOfValue(value: unknown, depth = 3): string {
  try {
    const t = typeOf(value, depth, new Set());
    return t.length > MAX_LEN ? 'any' : t;
  } catch {
    return 'any';
  }
}

/** Types of the named values a cell run defined (names it did not define are left out). */
export function typesOfDefines(names: readonly string[], defines: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) if (Object.prototype.hasOwnProperty.call(defines, n)) out[n] = typeOfValue(defines[n]);
  return out;
}

function typeOf(v: unknown, depth: number, seen: Set<object>): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined':
      return 'undefined';
    case 'number':
    case 'string':
    case 'boolean':
    case 'bigint':
    case 'symbol':
      return typeof v;
    case 'function':
      return Object.prototype.toString.call(v) === '[object AsyncFunction]' ? '(...args: any[]) => Promise<any>' : '(...args: any[]) => any';
  }
  const o = v as Record<string, unknown>;
  if (seen.has(o)) return 'any';
  if ('shape' in o && 'dtype' in o && typeof o.dataSync === 'function') return `${TF}.Tensor`;
  if ('layers' in o && typeof o.predict === 'function') return `${TF}.LayersModel`;
  if (o instanceof Promise) return 'Promise<unknown>';
  if (typeof o.then === 'function') return 'PromiseLike<unknown>';
  if (o instanceof Date) return 'Date';
  if (o instanceof RegExp) return 'RegExp';
  if (o instanceof Map) return 'Map<unknown, unknown>';
  if (o instanceof Set) return 'Set<unknown>';
  if (o instanceof Error) return 'Error';
  if (ArrayBuffer.isView(o)) {
    const name = o.constructor?.name;
    return typeof name === 'string' && TYPED_ARRAYS.has(name) ? name : 'ArrayBufferView';
  }
  if (o instanceof ArrayBuffer) return 'ArrayBuffer';
  seen.add(o);
  try {
    return Array.isArray(o) ? arrayType(o, depth, seen) : objectType(o, depth, seen);
  } finally {
    seen.delete(o);
  }
}

function arrayType(a: unknown[], depth: number, seen: Set<object>): string {
  if (a.length === 0 || depth <= 0) return 'unknown[]';
  const types = new Set<string>();
  for (let i = 0; i < Math.min(a.length, SAMPLE); i++) types.add(typeOf(a[i], depth - 1, seen));
  if (types.size > MAX_UNION || types.has('any')) return types.size === 1 ? 'any[]' : 'unknown[]';
  const t = [...types].join(' | ');
  return /=>|\|/.test(t) ? `(${t})[]` : `${t}[]`;
}

/** Own enumerable data properties as an object type; `any` for instances with prototype methods. */
function objectType(o: Record<string, unknown>, depth: number, seen: Set<object>): string {
  const proto: unknown = Object.getPrototypeOf(o);
  if (proto !== null && proto !== Object.prototype) {
    // A class instance: its methods and getters live on the prototype, which an own-keys type would
    // miss (and flag every call to). Only a prototype with nothing but a constructor is typed.
    for (let p = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      if (Object.getOwnPropertyNames(p).some((k) => k !== 'constructor') || Object.getOwnPropertySymbols(p).length) return 'any';
    }
    if (Object.getOwnPropertyNames(o).length !== Object.keys(o).length) return 'any';
  }
  const keys = Object.keys(o);
  if (keys.length === 0 || keys.length > MAX_KEYS || depth <= 0) return OPEN_OBJECT;
  const parts: string[] = [];
  for (const k of keys) {
    const d = Object.getOwnPropertyDescriptor(o, k);
    // Getters are not called (they may be costly or have effects).
    const t = d && 'value' in d ? typeOf(d.value, depth - 1, seen) : 'any';
    parts.push(`${IDENT.test(k) ? k : JSON.stringify(k)}: ${t}`);
  }
  const t = `{ ${parts.join('; ')} }`;
  return t.length > MAX_LEN ? OPEN_OBJECT : t;
}
