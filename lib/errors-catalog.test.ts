import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG, errorStatus, formatErrorMessage, isErrorCode, type ErrorCode } from './errors-catalog';
import { errorAnswer, KilnError, kilnError } from './errors';

describe('error catalog', () => {
  const entries = Object.entries(ERROR_CATALOG) as [ErrorCode, (typeof ERROR_CATALOG)[ErrorCode]][];

  it('gives every code an HTTP error status, a one-line template and well-formed placeholders', () => {
    expect(entries.length).toBeGreaterThan(50);
    for (const [code, spec] of entries) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(spec.status, code).toBeGreaterThanOrEqual(400);
      expect(spec.status, code).toBeLessThan(600);
      expect(spec.message.length, code).toBeGreaterThan(0);
      expect(spec.message, code).not.toMatch(/\n/);
      // Every `{` opens a `{name}` placeholder: no stray braces that formatting would leave behind.
      expect(spec.message.replace(/\{\w+\}/g, ''), code).not.toMatch(/[{}]/);
    }
  });

  it('keeps the statuses clients rely on', () => {
    expect(errorStatus('BAD_REQUEST')).toBe(400);
    expect(errorStatus('INVALID_RECORD')).toBe(400);
    expect(errorStatus('UNAUTHORIZED')).toBe(401);
    expect(errorStatus('FORBIDDEN')).toBe(403);
    expect(errorStatus('NOT_FOUND')).toBe(404);
    expect(errorStatus('REGISTRY_MODEL_NOT_FOUND')).toBe(404);
    expect(errorStatus('LEASE_LOST')).toBe(409);
    expect(errorStatus('PAYLOAD_TOO_LARGE')).toBe(413);
    expect(errorStatus('PACKAGE_TOO_LARGE')).toBe(413);
    expect(errorStatus('OVERLOADED')).toBe(429);
    expect(errorStatus('TIMEOUT')).toBe(503);
    expect(errorStatus('INTERNAL')).toBe(500);
    // Every code ending in NOT_FOUND is a 404 (tRPC's old rule, now a property of the table).
    for (const [code, spec] of entries) if (code.endsWith('_NOT_FOUND')) expect(spec.status, code).toBe(404);
  });

  it('answers 500 for a string that is not a code', () => {
    expect(isErrorCode('NOT_FOUND')).toBe(true);
    expect(isErrorCode('NO_SUCH_CODE')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
    expect(errorStatus('NO_SUCH_CODE')).toBe(500);
  });

  it('fills templates and leaves a missing placeholder visible', () => {
    expect(formatErrorMessage('LEASE_LOST', { runId: 'r1' })).toBe('run r1: this attempt no longer holds the run (lease expired or the run was finished by another attempt)');
    expect(formatErrorMessage('OVERLOADED', {})).toBe('over the limit of {max} requests in flight; retry later');
    const e = kilnError('TIMEOUT', { ms: 250 });
    expect(e.message).toBe('request timed out after 250 ms');
    expect(e.status).toBe(503);
  });
});

describe('errorAnswer', () => {
  it('answers a KilnError with its catalog status, code, one line and extras', () => {
    const e = new KilnError('PAYLOAD_TOO_LARGE', 'upload is larger\n than the limit', {}, { extra: { limit: 10 }, headers: { 'retry-after': '1' } });
    expect(errorAnswer(e)).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'upload is larger than the limit', extra: { limit: 10 }, headers: { 'retry-after': '1' }, internal: false });
    expect(errorAnswer(new KilnError('PROJECT_EXISTS', 'a project named "p" already exists')).status).toBe(409);
  });

  it('answers anything else as INTERNAL without its message', () => {
    const a = errorAnswer(new Error('secret path /etc/x'));
    expect(a).toMatchObject({ status: 500, code: 'INTERNAL', message: 'internal server error', internal: true });
    expect(errorAnswer('thrown string').internal).toBe(true);
  });
});
