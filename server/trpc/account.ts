/** The signed-in user's own account: who am I, personal access tokens, first password. */
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { projectRoleOf } from '../auth/access';
import { createPersonalToken, listPersonalTokens, revokePersonalToken } from '../auth/pats';
import { PROJECT_ROLES } from '../auth/roles';
import { findProjectByName, projectNameSchema } from '../http/lookup';
import { access, procedure, router } from './trpc';

export const accountRouter = router({
  me: procedure(access.signedIn()).query(({ ctx }) => {
    const u = ctx.user;
    return { id: u.id, email: u.email, name: u.name, role: u.orgRole, via: u.via, scope: u.scope, projectId: u.tokenProjectId };
  }),

  tokens: router({
    list: procedure(access.signedIn()).query(({ ctx }) => listPersonalTokens(ctx.db, ctx.user.id)),
    /** A new token, shown this once. Its scope cannot exceed what the caller's own credential may do. */
    create: procedure(access.signedIn())
      .input(
        z.object({
          name: z.string().min(1).max(100),
          scope: z.enum(PROJECT_ROLES),
          projectName: projectNameSchema.optional(),
          expiresInDays: z.number().int().min(1).max(3650).nullable().default(90),
        }),
      )
      .mutation(async ({ ctx, input }) => {
        if (ctx.user.scope && PROJECT_ROLES.indexOf(input.scope) > PROJECT_ROLES.indexOf(ctx.user.scope)) {
          throw new KilnError('PERMISSION_DENIED', `needs a credential of scope ${input.scope} to mint a token of that scope (this token is ${ctx.user.scope})`);
        }
        let projectId: string | null = ctx.user.tokenProjectId;
        if (input.projectName) {
          const p = await findProjectByName(ctx.db, input.projectName);
          if (!p || (await projectRoleOf(ctx.db, ctx.user, p.id)) === null) throw new KilnError('PROJECT_NOT_FOUND', `no project ${JSON.stringify(input.projectName)}`);
          if (projectId && projectId !== p.id) throw new KilnError('PERMISSION_DENIED', 'a project-limited token can only mint tokens for its own project');
          projectId = p.id;
        }
        const { token, view } = await createPersonalToken(ctx.db, {
          userId: ctx.user.id,
          name: input.name,
          scope: input.scope,
          projectId,
          expiresAt: input.expiresInDays === null ? null : new Date(Date.now() + input.expiresInDays * 86400_000),
        });
        return { token, ...view };
      }),
    revoke: procedure(access.signedIn())
      .input(z.object({ id: z.string().min(1).max(64) }))
      .mutation(async ({ ctx, input }) => {
        if (!(await revokePersonalToken(ctx.db, ctx.user.id, input.id))) throw new KilnError('NOT_FOUND', `no live token ${input.id} of yours`);
        return { id: input.id, revoked: true };
      }),
  }),
});
