/**
 * Inputs and classes named `__proto__`, `constructor` or `prototype` are names like any other in
 * serving's request formats, record validation and prediction output (issue 12): records built
 * with `{}` dropped a `__proto__` field ("missing field"), and `in` found `constructor` on any
 * object.
 */
import { describe, expect, it } from 'vitest';
import type { ColumnSchema } from '../../lib/data/table';
import { recordsToTable } from '../../lib/package/records';
import { formatPredictions } from '../../lib/package/package-predictor';
import type { Manifest } from '../../lib/package/manifest';
import { tfRequestRecords, v2RequestRecords } from './protocol';

const schema: ColumnSchema[] = [
  { name: '__proto__', type: 'numeric', nullable: false },
  { name: 'constructor', type: 'categorical', nullable: false },
  { name: 'prototype', type: 'numeric', nullable: false },
];

function columns(records: unknown[]) {
  const t = recordsToTable(records, schema);
  return t.columns.map((c) => [c.name, Array.from(c.values as ArrayLike<unknown>)]);
}

describe('reserved words as input and class names', () => {
  const expected = [
    ['__proto__', [1, 4]],
    ['constructor', ['a', 'b']],
    ['prototype', [3, 6]],
  ];

  it('reads rows given as arrays, columnar inputs and V2 tensors into records with those fields', () => {
    const rows = tfRequestRecords({ instances: [[1, 'a', 3], [4, 'b', 6]] }, schema, 100);
    expect(columns(rows)).toEqual(expected);
    const cols = tfRequestRecords(JSON.parse('{"inputs": {"__proto__": [1, 4], "constructor": ["a", "b"], "prototype": [3, 6]}}'), schema, 100);
    expect(columns(cols)).toEqual(expected);
    const v2 = v2RequestRecords(
      {
        inputs: [
          { name: '__proto__', shape: [2], datatype: 'FP64', data: [1, 4] },
          { name: 'constructor', shape: [2], datatype: 'BYTES', data: ['a', 'b'] },
          { name: 'prototype', shape: [2], datatype: 'FP64', data: [3, 6] },
        ],
      },
      schema,
      100,
    );
    expect(columns(v2.records)).toEqual(expected);
    // records as JSON brings them: "__proto__" an own key
    expect(columns(JSON.parse('[{"__proto__": 1, "constructor": "a", "prototype": 3}, {"__proto__": 4, "constructor": "b", "prototype": 6}]'))).toEqual(expected);
  });

  it('refuses a record that lacks the field "constructor" instead of reading Object.prototype.constructor', () => {
    expect(() => recordsToTable(JSON.parse('[{"__proto__": 1, "prototype": 3}]'), schema)).toThrow('record 0: missing field "constructor"');
  });

  it('answers probabilities for classes named __proto__ and constructor', () => {
    const manifest = { task: 'classification', labels: ['__proto__', 'constructor'] } as unknown as Manifest;
    const [r] = formatPredictions(manifest, { n: 1, probs: new Float32Array([0.25, 0.75]) } as Parameters<typeof formatPredictions>[1]);
    expect(JSON.parse(JSON.stringify(r))).toEqual(JSON.parse('{"label": "constructor", "probabilities": {"__proto__": 0.25, "constructor": 0.75}}'));
  });
});
