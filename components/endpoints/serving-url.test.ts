import { describe, expect, it } from 'vitest';
import { fieldsOf, recordFromForm, servingBase } from './serving-url';

describe('servingBase', () => {
  it('keeps the port of the server-known URL and uses the page host for loopback URLs', () => {
    expect(servingBase('http://localhost:8613/v1/models/cars:predict', '127.0.0.1')).toBe('http://127.0.0.1:8613');
    expect(servingBase('http://localhost:8613/v1/models/cars:predict', 'studio.lan')).toBe('http://studio.lan:8613');
    expect(servingBase('https://serve.example.com/v1/models/cars:predict', 'studio.lan')).toBe('https://serve.example.com');
  });
});

describe('try-it form records', () => {
  it('types fields from the sample and parses them back, empty as null, bad numbers named', () => {
    const fields = fieldsOf({ hp: 130, origin: 'USA', turbo: false });
    expect(fields.map((f) => f.kind)).toEqual(['number', 'text', 'boolean']);
    expect(recordFromForm(fields, { hp: '150', origin: 'Japan', turbo: 'true' })).toEqual({ record: { hp: 150, origin: 'Japan', turbo: true }, error: null });
    expect(recordFromForm(fields, { hp: '', origin: 'x', turbo: 'false' }).record.hp).toBeNull();
    expect(recordFromForm(fields, { hp: 'fast', origin: 'x', turbo: 'false' }).error).toBe('hp: "fast" is not a number');
  });
});
