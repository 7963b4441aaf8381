/**
 * The studio's tRPC client. Queries and mutations go over batched HTTP; subscriptions (live run
 * events) over server-sent events. Only `type AppRouter` crosses from the server.
 */
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../server/trpc/root';
import { csrfHeaders } from './csrf';

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export const trpc = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({ url: '/api/trpc' }),
      false: httpBatchLink({ url: '/api/trpc', maxItems: 10, headers: csrfHeaders }),
    }),
  ],
});

/** One line for the user from whatever a call threw. */
export function errorMessage(e: unknown): string {
  if (e instanceof TRPCClientError) return e.message || 'the server refused the request';
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The diagnostics a graph-invalid BAD_REQUEST carries, if any. */
export function errorDiagnostics(e: unknown): { code: string; message: string; path: string; nodeId?: string; edge?: number }[] {
  if (e instanceof TRPCClientError) {
    const d = (e.data as { diagnostics?: unknown } | undefined)?.diagnostics;
    if (Array.isArray(d)) return d as never;
  }
  return [];
}
