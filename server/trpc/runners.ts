/** Runners: list them, mint a token for a new one, revoke one. */
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { createRunnerToken, listRunners, revokeRunner } from '../jobs/runners';
import { publicProcedure, router } from './trpc';

export const runnersRouter = router({
  list: publicProcedure.query(({ ctx }) => listRunners(ctx.db)),

  /** A new runner identity; the token is returned this once and never stored in clear. */
  createToken: publicProcedure
    .input(z.object({ name: z.string().min(1).max(100).regex(/^[^\n\r]*$/, 'one line') }))
    .mutation(({ ctx, input }) => createRunnerToken(ctx.db, input.name)),

  revoke: publicProcedure.input(z.object({ id: z.string().min(1).max(64) })).mutation(async ({ ctx, input }) => {
    if (!(await revokeRunner(ctx.db, input.id))) throw new KilnError('NOT_FOUND', `no active runner ${input.id}`);
    return { id: input.id, revoked: true };
  }),
});
