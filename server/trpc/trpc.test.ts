import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ERROR_CATALOG, KilnError, type ErrorCode } from '../../lib/errors';
import { createCallerFactory, publicProcedure, router, TRPCError, trpcCodeOf, trpcErrorOf, type TrpcContext } from './trpc';

const testRouter = router({
  fail: publicProcedure.input(z.object({ code: z.string() })).query(({ input }) => {
    throw new KilnError(input.code as ErrorCode, `failed with ${input.code}`);
  }),
});
const caller = createCallerFactory(testRouter)({} as TrpcContext);

async function codeOf(code: ErrorCode): Promise<string> {
  try {
    await caller.fail({ code });
  } catch (e) {
    expect(e).toBeInstanceOf(TRPCError);
    expect((e as TRPCError).message).toBe(`failed with ${code}`);
    return (e as TRPCError).code;
  }
  throw new Error('expected a throw');
}

describe('tRPC errors through the catalog', () => {
  it('answers a KilnError thrown in a procedure with its catalog status, not NOT_FOUND-or-BAD_REQUEST', async () => {
    expect(await codeOf('PROJECT_EXISTS')).toBe('CONFLICT');
    expect(await codeOf('LEASE_LOST')).toBe('CONFLICT');
    expect(await codeOf('PAYLOAD_TOO_LARGE')).toBe('PAYLOAD_TOO_LARGE');
    expect(await codeOf('UNAUTHORIZED')).toBe('UNAUTHORIZED');
    expect(await codeOf('REGISTRY_MODEL_NOT_FOUND')).toBe('NOT_FOUND');
    expect(await codeOf('MISSING_COLUMN')).toBe('BAD_REQUEST');
    expect(await codeOf('NOTEBOOK_CORRUPT')).toBe('INTERNAL_SERVER_ERROR');
  });

  it('gives every catalog code the same HTTP status over tRPC as over REST and serving', () => {
    for (const code of Object.keys(ERROR_CATALOG) as ErrorCode[]) {
      const e = trpcErrorOf(new KilnError(code, code));
      expect(getHTTPStatusCodeFromError(e), code).toBe(ERROR_CATALOG[code].status);
      expect(e.code).toBe(trpcCodeOf(code));
    }
  });
});
