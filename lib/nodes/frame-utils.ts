import { KilnError } from '../errors';
import type { Column, ColumnType, Table } from '../data/table';
import type { Frame, FittedStep, PortValues } from './types';

/** Row indices used to fit preprocessing: the training rows (all rows when there is no split). */
export function fitRows(frame: Frame): number[] {
  const out: number[] = [];
  const s = frame.split;
  for (let i = 0; i < frame.table.nRows; i++) if (!s || s[i] === 0) out.push(i);
  return out;
}

/** Reads the `table`-typed input named `port`, or fails naming the node and port. */
export function inputFrame(inputs: PortValues, port: string, nodeId: string): Frame {
  const f = inputs[port] as Frame | undefined;
  if (!f || typeof f !== 'object' || !('table' in f)) {
    throw new KilnError('MISSING_INPUT', `node "${nodeId}": input port "${port}" has no table`, { nodeId, port });
  }
  return f;
}

/**
 * Resolves a node's column list. `requested` undefined or empty = every column of an accepted type
 * except the target. Named columns must exist and have an accepted type, else a KilnError naming
 * node, param and column.
 */
export function resolveColumns(
  frame: Frame,
  requested: string[] | undefined,
  accept: ColumnType[],
  nodeId: string,
  param = 'columns',
): Column[] {
  const t = frame.table;
  if (!requested || requested.length === 0) {
    return t.columns.filter((c) => c.name !== frame.target && accept.includes(c.type));
  }
  return requested.map((name) => {
    const c = t.columns.find((x) => x.name === name);
    if (!c) {
      throw new KilnError(
        'UNKNOWN_COLUMN',
        `node "${nodeId}" param "${param}": column "${name}" does not exist (columns: ${t.columns.map((x) => x.name).join(', ')})`,
        { nodeId, param, column: name },
      );
    }
    if (!accept.includes(c.type)) {
      throw new KilnError(
        'COLUMN_TYPE',
        `node "${nodeId}" param "${param}": column "${name}" is ${c.type}, expected ${accept.join(' or ')}`,
        { nodeId, param, column: name },
      );
    }
    return c;
  });
}

/** A new frame with a transformed table and one more fitted step. */
export function withStep(frame: Frame, table: Table, step: FittedStep | null): Frame {
  return { ...frame, table, steps: step ? [...frame.steps, step] : frame.steps };
}
