/**
 * People: org admins invite users (a one-time sign-in link), change org roles and deactivate
 * accounts; a project's MANAGE holders set who has which role in it.
 */
import { and, asc, eq, isNull, ne, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { createSignInLink, signInUrl } from '../auth/links';
import { PROJECT_ROLES } from '../auth/roles';
import type { Db } from '../db/client';
import { personalTokens, projectMembers, sessions, users } from '../db/schema';
import { access, on, procedure, router } from './trpc';

const INVITE_HOURS = 24 * 7;
const emailSchema = z.string().trim().toLowerCase().email().max(320);

function publicUser(u: typeof users.$inferSelect) {
  return { id: u.id, email: u.email, name: u.name, role: u.role, deactivatedAt: u.deactivatedAt, groups: u.groups, createdAt: u.createdAt };
}

/** Refuses to leave the organisation without an active owner or admin. */
async function assertAnotherAdmin(db: Db, userId: string): Promise<void> {
  const [other] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(ne(users.id, userId), isNull(users.deactivatedAt), or(eq(users.role, 'owner'), eq(users.role, 'admin'))))
    .limit(1);
  if (!other) throw new KilnError('LAST_ADMIN', 'the organisation needs at least one active owner or admin');
}

async function requireUser(db: Db, id: string) {
  const [u] = await db.select().from(users).where(eq(users.id, id));
  if (!u) throw new KilnError('USER_NOT_FOUND', `no user ${id}`);
  return u;
}

export const usersRouter = router({
  list: procedure(access.admin()).query(async ({ ctx }) => (await ctx.db.select().from(users).orderBy(asc(users.createdAt))).map(publicUser)),

  /** Creates the account and a one-time sign-in link (shown once) the admin passes on; the invitee sets a password. */
  invite: procedure(access.admin())
    .input(z.object({ email: emailSchema, name: z.string().trim().min(1).max(200).optional(), role: z.enum(['admin', 'member']).default('member'), baseUrl: z.string().url().max(500) }))
    .mutation(async ({ ctx, input }) => {
      const [exists] = await ctx.db.select({ id: users.id }).from(users).where(eq(users.email, input.email));
      if (exists) throw new KilnError('CONFLICT', `a user with email ${input.email} already exists`);
      const id = crypto.randomUUID();
      await ctx.db.insert(users).values({ id, email: input.email, name: input.name ?? input.email.split('@')[0]!, role: input.role });
      const { token, expiresAt } = await createSignInLink(ctx.db, { userId: id, purpose: 'invite', createdBy: ctx.user.email, ttlHours: INVITE_HOURS });
      return { id, url: signInUrl(input.baseUrl, token), expiresAt };
    }),

  /** A fresh sign-in link for a user who lost theirs (or their password). */
  signInLink: procedure(access.admin())
    .input(z.object({ id: z.string().min(1).max(64), baseUrl: z.string().url().max(500) }))
    .mutation(async ({ ctx, input }) => {
      const u = await requireUser(ctx.db, input.id);
      const { token, expiresAt } = await createSignInLink(ctx.db, { userId: u.id, purpose: 'invite', createdBy: ctx.user.email, ttlHours: INVITE_HOURS });
      return { url: signInUrl(input.baseUrl, token), expiresAt };
    }),

  setRole: procedure(access.admin())
    .input(z.object({ id: z.string().min(1).max(64), role: z.enum(['admin', 'member']) }))
    .mutation(async ({ ctx, input }) => {
      const u = await requireUser(ctx.db, input.id);
      if (u.role === 'owner') throw new KilnError('PERMISSION_DENIED', 'needs the owner to change their own role');
      if (input.role === 'member' && u.role === 'admin') await assertAnotherAdmin(ctx.db, u.id);
      await ctx.db.update(users).set({ role: input.role, updatedAt: sql`now()` }).where(eq(users.id, u.id));
      return publicUser({ ...u, role: input.role });
    }),

  /** Deactivated: cannot sign in; sessions end and tokens stop working at once. */
  setActive: procedure(access.admin())
    .input(z.object({ id: z.string().min(1).max(64), active: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      const u = await requireUser(ctx.db, input.id);
      if (!input.active) {
        if (u.role === 'owner' || u.role === 'admin') await assertAnotherAdmin(ctx.db, u.id);
        await ctx.db.transaction(async (tx) => {
          await tx.update(users).set({ deactivatedAt: sql`now()` }).where(eq(users.id, u.id));
          await tx.delete(sessions).where(eq(sessions.userId, u.id));
          await tx.update(personalTokens).set({ revokedAt: sql`now()` }).where(and(eq(personalTokens.userId, u.id), isNull(personalTokens.revokedAt)));
        });
      } else {
        await ctx.db.update(users).set({ deactivatedAt: null }).where(eq(users.id, u.id));
      }
      return { id: u.id, active: input.active };
    }),

  members: router({
    list: procedure(access.need('READ', on.project()))
      .input(z.object({ projectName: z.string().min(1).max(64) }))
      .query(async ({ ctx }) => {
        const projectId = ctx.grant.projects[0]!.id;
        return ctx.db
          .select({ userId: users.id, email: users.email, name: users.name, role: projectMembers.role })
          .from(projectMembers)
          .innerJoin(users, eq(users.id, projectMembers.userId))
          .where(eq(projectMembers.projectId, projectId))
          .orderBy(asc(users.email));
      }),
    /** Sets a user's role in the project (`null` removes them). */
    set: procedure(access.need('MANAGE', on.project()))
      .input(z.object({ projectName: z.string().min(1).max(64), email: emailSchema, role: z.enum(PROJECT_ROLES).nullable() }))
      .mutation(async ({ ctx, input }) => {
        const projectId = ctx.grant.projects[0]!.id;
        const [u] = await ctx.db.select().from(users).where(eq(users.email, input.email));
        if (!u) throw new KilnError('USER_NOT_FOUND', `no user ${input.email}`);
        if (input.role === null) await ctx.db.delete(projectMembers).where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, u.id)));
        else
          await ctx.db
            .insert(projectMembers)
            .values({ projectId, userId: u.id, role: input.role })
            .onConflictDoUpdate({ target: [projectMembers.projectId, projectMembers.userId], set: { role: input.role } });
        return { projectId, email: u.email, role: input.role };
      }),
  }),
});

