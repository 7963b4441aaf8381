/**
 * The `custom` node kind: a project's own table → table transform, written as a JS function
 * `(rows, config) => rows`. The executor never evaluates the code itself: the host passes
 * `ctx.runCustom` (the browser runs it in the run's Web Worker, the server runner in a short-lived
 * sandboxed process), so the same graph runs everywhere its host allows user code.
 */
import { z } from 'zod';
import { KilnError, isKilnError, type ErrorCode } from '../../errors';
import { recordsToRaw } from '../../data/json';
import { buildColumn, inferColumnType } from '../../data/infer';
import type { Column, ColumnType, Table } from '../../data/table';
import { CUSTOM_KIND, customConfigSchema } from '../custom-def';
import { inputFrame, withStep } from '../frame-utils';
import { defineNode } from '../registry';
import type { NodeContext, RunCustom } from '../types';

export const customParams = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,40}$/).describe('the custom node kind this node was made from'),
  label: z.string().min(1).max(80).describe('display name'),
  code: z.string().min(1).max(100_000).describe('JS source of a function (rows, config) => rows'),
  config: customConfigSchema.default({}).describe('values passed to the function as `config`'),
  preservesRows: z
    .boolean()
    .optional()
    .describe('the function keeps every row, in order (it only changes columns): checked on every run, and the node then counts as row-preserving'),
});
export type CustomParams = z.infer<typeof customParams>;

/** Most rows a custom node takes: records travel as JSON to wherever the code runs. */
export const CUSTOM_MAX_ROWS = 1_000_000;

/** `custom node "clean" (drop_outliers)`: how every message of this kind starts. */
export function customNodeRef(nodeId: string, name?: string): string {
  return `custom node "${nodeId}"${name ? ` (${name})` : ''}`;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/;

/** A table's rows as plain records: missing = null, booleans true/false, dates ISO strings. */
export function tableToRecords(t: Table): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = new Array(t.nRows);
  for (let i = 0; i < t.nRows; i++) {
    const r: Record<string, unknown> = {};
    for (const c of t.columns) {
      let v: unknown;
      if (c.type === 'categorical') v = c.values[i] ?? null;
      else {
        const x = c.values[i]!;
        if (Number.isNaN(x)) v = null;
        else if (c.type === 'boolean') v = x !== 0;
        else if (c.type === 'date') {
          const iso = new Date(x).toISOString();
          v = ISO_DATE.test(iso) ? iso.slice(0, 10) : iso;
        } else v = x;
      }
      // a column named __proto__ must stay a field, not become the record's prototype
      if (c.name === '__proto__') Object.defineProperty(r, c.name, { value: v, enumerable: true, writable: true, configurable: true });
      else r[c.name] = v;
    }
    out[i] = r;
  }
  return out;
}

/**
 * Records the code returned → a table. Columns the input had keep their type when every value
 * still parses as it (so a categorical "1"/"2" column stays categorical); others are inferred.
 */
export function recordsToTable(records: readonly unknown[], inputTypes: Map<string, ColumnType>, label: string): Table {
  const raw = recordsToRaw(records, label);
  const columns: Column[] = raw.header.map((name, j) => {
    const was = inputTypes.get(name);
    if (was) {
      try {
        return buildColumn(raw, j, was);
      } catch {
        // the code changed what the column holds: infer again below
      }
    }
    return buildColumn(raw, j, inferColumnType(raw, j));
  });
  return { columns, nRows: raw.rows.length };
}

/**
 * A `runCustom` that evaluates the code in the current realm with `new Function`: for hosts where
 * the code is the user's own and already runs off the main thread, i.e. the browser's run worker
 * and the notebook kernel. No isolation beyond that worker: servers use the sandbox process.
 * An abort rejects at once (a synchronous loop can only be stopped by terminating the worker).
 */
export const runCustomInline: RunCustom = async (req) => {
  const aborted = () => req.signal.reason ?? new KilnError('CANCELLED', 'run cancelled');
  if (req.signal.aborted) throw aborted();
  let fn: unknown;
  try {
    fn = new Function(`"use strict";\nreturn (${req.code}\n);`)();
  } catch (e) {
    throw new Error(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  }
  if (typeof fn !== 'function') throw new Error(`the code must be a function (rows, config) => rows, got ${fn === null ? 'null' : typeof fn}`);
  const work = Promise.resolve().then(() => (fn as (rows: unknown, config: unknown) => unknown)(req.rows, req.config));
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    onAbort = () => reject(aborted());
    req.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const out = await Promise.race([work, stop]);
    // Structured data only, as from the sandbox: drops functions, class instances' methods, cycles fail.
    const json = JSON.stringify(out);
    return json === undefined ? undefined : (JSON.parse(json) as unknown);
  } catch (e) {
    if (req.signal.aborted) throw aborted();
    if (e instanceof Error) throw new Error(`${e.name}: ${e.message}`);
    throw new Error(`threw ${String(e)}`);
  } finally {
    if (onAbort) req.signal.removeEventListener('abort', onAbort);
  }
};

function fail(ctx: NodeContext, name: string, code: ErrorCode, message: string): never {
  throw new KilnError(code, `${customNodeRef(ctx.nodeId, name)}: ${message}`, { nodeId: ctx.nodeId, param: 'code' });
}

function describeResult(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined (did the function forget to return?)';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

export const custom = defineNode({
  kind: CUSTOM_KIND,
  label: 'Custom',
  category: 'preprocess',
  description:
    "Runs this project's own JS function (rows, config) => rows on the table: in the browser's run worker, and on the " +
    'server runner in an isolated process with CPU time and memory limits. With a train/test split the function must ' +
    'keep every row, in order. Serving never runs user code, so a model trained after a custom node cannot be ' +
    'registered as serveable.',
  params: customParams,
  example: { name: 'cap_hp', label: 'Cap horsepower', code: '(rows, config) => rows.map((r) => ({ ...r, hp: Math.min(r.hp, config.max) }))', config: { max: 200 }, preservesRows: true },
  // What the code does to rows is the definition's to declare; the run holds it to it.
  preservesRows: (p) => p.preservesRows === true,
  // The state names the node; what the code reads is unknowable, so serving would need every column.
  fitted: { schema: z.object({ nodeId: z.string(), name: z.string(), label: z.string() }), reads: () => null },
  // Made from a project's definition (the palette lists those), not dragged out bare.
  inPalette: false,
  inputs: [{ name: 'data', type: 'table' }],
  outputs: [{ name: 'data', type: 'table' }],
  async run(inputs, params, ctx) {
    const frame = inputFrame(inputs, 'data', ctx.nodeId);
    if (!ctx.runCustom) fail(ctx, params.name, 'CUSTOM_UNAVAILABLE', 'this environment cannot run custom code');
    if (frame.table.nRows > CUSTOM_MAX_ROWS) {
      fail(ctx, params.name, 'CUSTOM_TOO_LARGE', `the table has ${frame.table.nRows} rows, more than the ${CUSTOM_MAX_ROWS} a custom node takes`);
    }
    let result: unknown;
    try {
      result = await ctx.runCustom({
        code: params.code,
        rows: tableToRecords(frame.table), config: { ...params.config },
        nodeId: ctx.nodeId,
        signal: ctx.signal,
        log: (line) => ctx.log(`console: ${line}`),
      });
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      if (isKilnError(e) && e.code === 'CANCELLED') throw e;
      const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 500);
      fail(ctx, params.name, 'CUSTOM_CODE', msg);
    }
    if (!Array.isArray(result)) fail(ctx, params.name, 'CUSTOM_RESULT', `the function must return an array of records, got ${describeResult(result)}`);
    if (result.length === 0) fail(ctx, params.name, 'CUSTOM_RESULT', 'the function returned no rows');
    if (params.preservesRows && result.length !== frame.table.nRows) {
      fail(ctx, params.name, 'CUSTOM_ROWS', `the function returned ${result.length} rows for ${frame.table.nRows}; its definition declares that it keeps every row, in order`);
    }
    if (frame.split && result.length !== frame.table.nRows) {
      fail(
        ctx,
        params.name,
        'CUSTOM_ROWS',
        `the function returned ${result.length} rows for ${frame.table.nRows}; after a train/test split it must keep every row, in order (filter before the split)`,
      );
    }
    const types = new Map(frame.table.columns.map((c) => [c.name, c.type]));
    let table: Table;
    try {
      table = recordsToTable(result, types, `${customNodeRef(ctx.nodeId, params.name)} output`);
    } catch (e) {
      // recordsToRaw / buildColumn messages already start with the label naming the node
      if (isKilnError(e)) throw new KilnError(e.code, e.message, { ...e.where, nodeId: ctx.nodeId });
      throw e;
    }
    if (frame.target !== undefined && !table.columns.some((c) => c.name === frame.target)) {
      fail(ctx, params.name, 'CUSTOM_TARGET', `the output has no target column "${frame.target}"; keep it in every record`);
    }
    if (table.nRows !== frame.table.nRows) ctx.log(`${table.nRows} of ${frame.table.nRows} rows out`);
    return { data: withStep(frame, table, { kind: CUSTOM_KIND, nodeId: ctx.nodeId, state: { nodeId: ctx.nodeId, name: params.name, label: params.label } }) };
  },
  apply(state) {
    // Reached when serving (or a test-data evaluation) replays the steps: user code never runs there.
    const s = (state ?? {}) as { nodeId?: unknown; name?: unknown };
    const nodeId = typeof s.nodeId === 'string' ? s.nodeId : undefined;
    const name = typeof s.name === 'string' ? s.name : undefined;
    throw new KilnError(
      'CUSTOM_NOT_SERVABLE',
      `${customNodeRef(nodeId ?? '?', name)}: serving never runs custom code, so a model trained after a custom node cannot be served; move the transform before the data reaches Kiln, or use built-in nodes`,
      nodeId ? { nodeId } : {},
    );
  },
});
