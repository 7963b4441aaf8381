import { describe, expect, it } from 'vitest';
import { crc32, embedGraphInPng, extractGraphFromPng } from './png';

// A 1×1 transparent PNG.
const PNG_1x1 = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='),
  (c) => c.charCodeAt(0),
);

describe('png graph chunk', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
  });

  it('round-trips UTF-8 JSON and keeps the image ending with IEND', () => {
    const json = JSON.stringify({ version: 1, name: 'Ünïcode → ok', nodes: [] });
    const out = embedGraphInPng(PNG_1x1, json);
    expect(out.length).toBeGreaterThan(PNG_1x1.length);
    expect(new TextDecoder().decode(out.subarray(out.length - 8, out.length - 4))).toBe('IEND');
    expect(extractGraphFromPng(out)).toBe(json);
    expect(extractGraphFromPng(PNG_1x1)).toBeNull();
  });

  it('replaces an earlier graph chunk instead of adding a second', () => {
    const once = embedGraphInPng(PNG_1x1, '{"a":1}');
    const twice = embedGraphInPng(once, '{"b":2}');
    expect(extractGraphFromPng(twice)).toBe('{"b":2}');
    expect(twice.length).toBe(once.length);
  });

  it('returns null for a corrupted chunk and refuses to embed into a non-PNG', () => {
    const out = embedGraphInPng(PNG_1x1, '{"version":1}');
    const bad = out.slice();
    bad[bad.length - 20] = bad[bad.length - 20]! ^ 0xff; // inside the iTXt text: CRC no longer matches
    expect(extractGraphFromPng(bad)).toBeNull();
    expect(extractGraphFromPng(out.subarray(0, out.length - 30))).toBeNull();
    expect(extractGraphFromPng(new Uint8Array([1, 2, 3]))).toBeNull();
    expect(() => embedGraphInPng(new TextEncoder().encode('hello world'), '{}')).toThrow(/not a PNG/);
    expect(() => embedGraphInPng(PNG_1x1.subarray(0, 40), '{}')).toThrow(/truncated/);
  });
});
