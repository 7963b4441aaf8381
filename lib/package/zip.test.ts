import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { errorAnswer } from '../errors';
import { thrownKilnError } from '../test-utils';
import { MANIFEST_FILE } from './manifest';
import { readPackageZip, readZipManifest } from './zip';

const enc = (s: string) => new TextEncoder().encode(s);
const LIMITS = { maxUnzippedBytes: 1 << 20, maxZipEntries: 100 };

describe('readZipManifest', () => {
  it('turns a manifest that is not JSON into a 400 naming the file, not a bare SyntaxError', () => {
    const e = thrownKilnError(() => readZipManifest(zipSync({ [MANIFEST_FILE]: enc('{"formatVersion": 1,') })));
    expect(e.code).toBe('PACKAGE_BAD_JSON');
    expect(e.message).toMatch(new RegExp(`^${MANIFEST_FILE}: invalid JSON`));
    expect(errorAnswer(e).status).toBe(400);
  });

  it('reports a missing manifest, a wrong schema and an unreadable zip with their codes', () => {
    expect(thrownKilnError(() => readZipManifest(zipSync({ 'other.json': enc('{}') }))).code).toBe('PACKAGE_MISSING_FILE');
    expect(thrownKilnError(() => readZipManifest(zipSync({ [MANIFEST_FILE]: enc('[]') }))).code).toBe('PACKAGE_SCHEMA');
    expect(thrownKilnError(() => readZipManifest(zipSync({ [MANIFEST_FILE]: enc('{"formatVersion": 1}') }))).code).toBe('PACKAGE_SCHEMA');
    const bad = thrownKilnError(() => readZipManifest(enc('not a zip')));
    expect(bad.code).toBe('BAD_PACKAGE');
    expect(bad.status).toBe(400);
  });
});

describe('readPackageZip', () => {
  it('refuses caps with PACKAGE_TOO_LARGE (413) before inflating', () => {
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 5; i++) files[`f${i}.bin`] = new Uint8Array(10);
    const e = thrownKilnError(() => readPackageZip(zipSync(files), { maxUnzippedBytes: 1 << 20, maxZipEntries: 3 }));
    expect(e.code).toBe('PACKAGE_TOO_LARGE');
    expect(e.status).toBe(413);
  });

  it('names the validator code of an invalid package in extra.packageCode', () => {
    const e = thrownKilnError(() => readPackageZip(zipSync({ [MANIFEST_FILE]: enc('{') }), LIMITS));
    expect(e.code).toBe('BAD_PACKAGE');
    expect(e.extra).toEqual({ packageCode: 'PACKAGE_BAD_JSON' });
  });
});
