// The staff console's guard, one for every module's admin pages: load the session, ask who
// its staff member is (the catalogue owns staff accounts and is passed in as `actor`), then
// either send the browser to /admin/sign-in (and back to this page afterwards, for a GET) or
// put the staff member on the request: `req.staff` for the page header, the whole actor for
// the handlers through the accessor it returns.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Forbidden, SessionExpired } from './errors.js';
import { declareAuth } from './routes.js';
import type { Sessions } from './sessions.js';
import type { StaffBadge } from './views.js';

export interface StaffGuardOptions<A> {
  sessions: Sessions;
  /** The staff member with this id, or null when the account is disabled or gone. */
  actor(staffId: string): Promise<A | null>;
  /**
   * A cookie naming a session that has ended: `page` (default) lets SessionExpired reach the
   * error handler ("your session expired" page); `sign-in` sends every request to sign in;
   * `sign-in-if-get` does so for a GET and shows the page for a form post.
   */
  expired?: 'page' | 'sign-in' | 'sign-in-if-get';
  /** Ends a session whose staff member was disabled or removed, before sending it to sign in. */
  endStale?: boolean;
}

const actors = new WeakMap<FastifyRequest, StaffBadge>();

/**
 * Guards every route added to `scope`; returns the accessor for the signed-in staff member of
 * a guarded request (403 on a request the guard did not let through).
 */
export function guardStaff<A extends StaffBadge>(scope: FastifyInstance, opts: StaffGuardOptions<A>): (req: FastifyRequest) => A {
  declareAuth(scope, 'staff session');
  scope.addHook('preHandler', async (req, reply) => {
    let session: Awaited<ReturnType<Sessions['load']>> = null;
    try {
      session = await opts.sessions.load(req);
    } catch (e) {
      const expired = opts.expired ?? 'page';
      if (!(e instanceof SessionExpired) || expired === 'page' || (expired === 'sign-in-if-get' && req.method !== 'GET')) throw e;
    }
    const staffId = session?.data.staffId;
    const actor = typeof staffId === 'string' ? await opts.actor(staffId) : null;
    if (!actor) {
      if (session && opts.endStale) await opts.sessions.destroy(req, reply);
      return reply.redirect(`/admin/sign-in${req.method === 'GET' ? `?next=${encodeURIComponent(req.url)}` : ''}`, 303);
    }
    actors.set(req, actor);
    req.staff = { email: actor.email, role: actor.role, organisationId: actor.organisationId };
  });
  return staffActorOf<A>;
}

/** The staff member the guard let through (403 on a request it did not). */
export function staffActorOf<A extends StaffBadge>(req: FastifyRequest): A {
  const actor = actors.get(req);
  if (!actor) throw new Forbidden();
  return actor as A;
}
