/**
 * Test-only helpers shared by lib/'s suites. Nothing outside tests imports this file.
 */
import { KilnError } from './errors';

/** The KilnError that `fn` throws. Another error is rethrown as it is; no error at all fails. */
export function thrownKilnError(fn: () => unknown): KilnError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KilnError) return e;
    throw e;
  }
  throw new Error('expected a KilnError');
}

/** Like `thrownKilnError`, for a promise that should reject. */
export async function rejectedKilnError(p: Promise<unknown>): Promise<KilnError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KilnError) return e;
    throw e;
  }
  throw new Error('expected a KilnError');
}
