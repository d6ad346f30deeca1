// Staff accounts: created or changed by administrators (an organisation admin cannot take over
// an existing account), and the bootstrap password sign-in with lockout after repeated failures.
import type { Ctx, Actor } from './service-context.js';
import { BadRequest, Conflict, Unauthorised } from '../../kernel/errors.js';
import { hashPassword, verifyPassword } from '../../kernel/crypto.js';
import { store, type StaffRow } from './store.js';

const LOCK_AFTER = 5;
const LOCK_MINUTES = 15;

export function createStaffService(ctx: Ctx) {
  const { db } = ctx;
  return {
    async createStaff(
      actor: Actor,
      input: { email: string; name?: string; password?: string; role: StaffRow['role']; organisationSlug?: string | null },
    ) {
      const organisation = input.organisationSlug ? await ctx.org(input.organisationSlug) : null;
      if (input.role === 'platform_admin') ctx.requirePlatformAdmin(actor);
      else if (!organisation)
        throw new BadRequest('Organisation administrators and service team members belong to an organisation', [
          { field: 'organisation', message: 'Choose an organisation' },
        ]);
      else ctx.require(actor, organisation.id);
      if (input.password !== undefined && input.password.length < 12)
        throw new BadRequest('Password must be at least 12 characters', [
          { field: 'password', message: 'Password must be at least 12 characters' },
        ]);
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.email))
        throw new BadRequest('Enter an email address in the correct format, like name@example.com', [
          { field: 'email', message: 'Enter an email address in the correct format, like name@example.com' },
        ]);
      const existing = await store.staffByEmail(db, input.email);
      // Changing an existing account (its password, role or organisation) is for platform
      // administrators and the command line only: an organisation admin must not take one over.
      if (existing && actor.kind === 'staff' && actor.role !== 'platform_admin') {
        throw new Conflict('A staff account with this email address already exists', 'staff_exists');
      }
      const before = existing ? { email: existing.email, role: existing.role, organisation_id: existing.organisation_id } : null;
      const passwordHash = input.password ? await hashPassword(input.password) : null;
      return ctx.change(
        actor,
        {
          action: 'staff.upsert',
          subject: `catalogue.staff:${input.email.toLowerCase()}`,
          organisationId: organisation?.id ?? null,
          before,
        },
        async (tx) => {
          const id = await store.upsertStaff(tx, {
            email: input.email,
            name: input.name ?? '',
            password_hash: passwordHash,
            role: input.role,
            organisation_id: organisation?.id ?? null,
          });
          return { id, email: input.email.toLowerCase(), role: input.role, organisation_id: organisation?.id ?? null };
        },
      );
    },
    listStaff: (organisationId: string | null) => store.listStaff(db, organisationId),
    /** Password sign-in with lockout after repeated failures. Returns the actor or throws. */
    async signIn(email: string, password: string): Promise<Actor & { kind: 'staff' }> {
      const user = await store.staffByEmail(db, email.trim());
      const locked = user?.locked_until && user.locked_until > new Date();
      const ok = await verifyPassword(password, user?.password_hash);
      if (!user || user.disabled_at || locked || !ok) {
        if (user && !locked) await store.recordLogin(db, user.id, false, LOCK_AFTER, LOCK_MINUTES);
        throw new Unauthorised(
          locked
            ? `This account is locked after ${LOCK_AFTER} failed attempts. Try again in ${LOCK_MINUTES} minutes.`
            : 'Enter a correct email address and password',
          locked ? 'account_locked' : 'bad_credentials',
        );
      }
      await store.recordLogin(db, user.id, true, LOCK_AFTER, LOCK_MINUTES);
      return { kind: 'staff', id: user.id, email: user.email, role: user.role, organisationId: user.organisation_id };
    },
    async staffActor(id: string): Promise<(Actor & { kind: 'staff' }) | null> {
      const u = await store.staffById(db, id);
      if (!u || u.disabled_at) return null;
      return { kind: 'staff', id: u.id, email: u.email, role: u.role, organisationId: u.organisation_id };
    },
  };
}
