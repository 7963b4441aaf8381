/** Machine tokens (runners and serving processes): org admins list, mint and revoke them. */
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { createRunnerToken, listRunners, revokeRunner } from '../jobs/runners';
import { access, procedure, router } from './trpc';

export const runnersRouter = router({
  list: procedure(access.admin()).query(({ ctx }) => listRunners(ctx.db)),

  /** A new runner identity; the token is returned this once and never stored in clear. */
  createToken: procedure(access.admin())
    .input(z.object({ name: z.string().min(1).max(100).regex(/^[^\n\r]*$/, 'one line'), purpose: z.enum(['runner', 'serving']).default('runner') }))
    .mutation(({ ctx, input }) => createRunnerToken(ctx.db, input.name, input.purpose, ctx.user.email)),

  revoke: procedure(access.admin()).input(z.object({ id: z.string().min(1).max(64) })).mutation(async ({ ctx, input }) => {
    if (!(await revokeRunner(ctx.db, input.id))) throw new KilnError('NOT_FOUND', `no active runner ${input.id}`);
    return { id: input.id, revoked: true };
  }),
});
