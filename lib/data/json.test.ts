import { describe, expect, it } from 'vitest';
import { thrownKilnError } from '../test-utils';
import { parseJsonRecords, recordsToRaw } from './json';

describe('parseJsonRecords', () => {
  it('takes the union of keys in first-seen order; absent keys are missing', () => {
    const raw = parseJsonRecords('[{"a":1,"b":"x"},{"c":true,"a":2},{"b":null,"d":{"k":1}}]', 'r.json');
    expect(raw.header).toEqual(['a', 'b', 'c', 'd']);
    expect(raw.rows).toEqual([
      [1, 'x', undefined, undefined],
      [2, undefined, true, undefined],
      [undefined, null, undefined, '{"k":1}'],
    ]);
  });

  it('rejects invalid JSON, naming the file', () => {
    const e = thrownKilnError(() => parseJsonRecords('[{"a":1},', 'bad.json'));
    expect(e.code).toBe('BAD_JSON');
    expect(e.message).toMatch(/^bad\.json: invalid JSON \(/);
    expect(e.message).not.toContain('\n');
  });

  it('rejects a non-array top level', () => {
    const e = thrownKilnError(() => parseJsonRecords('{"a":[1,2]}', 'obj.json'));
    expect(e.code).toBe('NOT_ARRAY');
    expect(e.message).toBe('obj.json: expected a JSON array of records, got an object');
  });

  it('names the record that is not an object', () => {
    const e = thrownKilnError(() => parseJsonRecords('[{"a":1},{"a":2},3]', 'mixed.json'));
    expect(e.code).toBe('BAD_RECORD');
    expect(e.message).toBe('mixed.json record [2]: expected an object, got a number');
    expect(thrownKilnError(() => recordsToRaw([{ a: 1 }, [1]], 'req')).message).toBe('req record [1]: expected an object, got an array');
    expect(thrownKilnError(() => recordsToRaw([null], 'req')).message).toBe('req record [0]: expected an object, got null');
  });

  it('rejects empty input', () => {
    expect(thrownKilnError(() => parseJsonRecords('', 'e.json')).code).toBe('EMPTY_FILE');
    expect(thrownKilnError(() => parseJsonRecords('[]', 'e.json')).code).toBe('NO_ROWS');
    expect(thrownKilnError(() => parseJsonRecords('[{},{}]', 'e.json')).code).toBe('NO_COLUMNS');
  });
});
