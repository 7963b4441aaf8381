/**
 * The studio's tRPC client. Queries and mutations go over batched HTTP; subscriptions (live run
 * events) over server-sent events. Both go through `apiFetch`, which sends the page's
 * anti-forgery header; a call answered "sign in" sends the browser to the sign-in page. Only
 * `type AppRouter` crosses from the server.
 */
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError, type TRPCLink } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import type { AppRouter } from '../../server/trpc/root';
import { apiFetch, goSignIn } from './api-fetch';
import { FetchEventSource } from './fetch-event-source';

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/**
 * A procedure that answers 401 (no session, or it ended) sends the page to the sign-in page. A
 * batch can mix answers (HTTP 207), so this looks at each call's error, not the response.
 */
const signInLink: TRPCLink<AppRouter> = () => ({ op, next }) =>
  observable((observer) =>
    next(op).subscribe({
      next: (v) => observer.next(v),
      error: (e) => {
        if ((e.data as { httpStatus?: number } | undefined)?.httpStatus === 401) goSignIn();
        observer.error(e);
      },
      complete: () => observer.complete(),
    }),
  );

export const trpc = createTRPCClient<AppRouter>({
  links: [
    signInLink,
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({ url: '/api/trpc', EventSource: FetchEventSource }),
      false: httpBatchLink({ url: '/api/trpc', maxItems: 10, fetch: apiFetch }),
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
