// The signed-in staff member for the performance console and dashboards: loaded from the
// session as the other consoles do, with the services they may see (platform administrators all,
// everyone else their own organisation's).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { Forbidden } from '../../kernel/errors.js';
import type { CatalogueService } from '../catalogue/index.js';
import { declareAuth } from '../../kernel/routes.js';

export type Staff = NonNullable<Awaited<ReturnType<CatalogueService['staffActor']>>>;

export function staffOf(req: FastifyRequest): Staff {
  const s = (req as FastifyRequest & { perfStaff?: Staff }).perfStaff;
  if (!s) throw new Forbidden();
  return s;
}

/** Registers `routes` behind a staff sign-in (redirecting to it, and back afterwards). */
export function staffOnly(app: FastifyInstance, k: Kernel, catalogue: CatalogueService, routes: (scope: FastifyInstance) => void) {
  app.register(async (scope) => {
    declareAuth(scope, 'staff session');
    scope.addHook('preHandler', async (req, reply) => {
      const session = await k.sessions.load(req);
      const staffId = session?.data.staffId;
      const actor = typeof staffId === 'string' ? await catalogue.staffActor(staffId) : null;
      if (!actor) return reply.redirect(`/admin/sign-in${req.method === 'GET' ? `?next=${encodeURIComponent(req.url)}` : ''}`, 303);
      (req as FastifyRequest & { perfStaff?: Staff }).perfStaff = actor;
      req.staff = { email: actor.email, role: actor.role, organisationId: actor.organisationId };
    });
    routes(scope);
  });
}

/** The services this staff member may see figures and settings for. */
export async function visibleServices(catalogue: CatalogueService, actor: Staff) {
  return (await catalogue.listServices()).filter((s) => catalogue.canManage(actor, s.organisation.id, 'service'));
}

/** The service in the URL, if this staff member may manage it (403 otherwise; 404 when there is none). */
export async function manageable(catalogue: CatalogueService, actor: Staff, slug: string) {
  const s = await catalogue.getService(slug);
  if (!catalogue.canManage(actor, s.organisation.id, 'service')) throw new Forbidden();
  return s;
}
