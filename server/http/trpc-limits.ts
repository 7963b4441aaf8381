/**
 * The most calls one batched tRPC request may carry (more → 400): one request cannot make the
 * server run an unbounded number of procedures. Kiln's clients batch at most this many
 * (`httpBatchLink`'s `maxItems`; the studio uses 10).
 */
export const TRPC_MAX_BATCH = 20;
