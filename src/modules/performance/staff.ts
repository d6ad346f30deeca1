// The signed-in staff member for the performance console and dashboards: loaded from the
// session as the other consoles do, with the services they may see (platform administrators all,
// everyone else their own organisation's).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { Forbidden } from '../../kernel/errors.js';
import type { CatalogueService } from '../catalogue/index.js';
import { guardStaff, staffActorOf } from '../../kernel/staff.js';

export type Staff = NonNullable<Awaited<ReturnType<CatalogueService['staffActor']>>>;

export const staffOf: (req: FastifyRequest) => Staff = staffActorOf<Staff>;

/** Registers `routes` behind a staff sign-in (redirecting to it, and back afterwards). */
export function staffOnly(app: FastifyInstance, k: Kernel, catalogue: CatalogueService, routes: (scope: FastifyInstance) => void) {
  app.register(async (scope) => {
    guardStaff(scope, { sessions: k.sessions, actor: (id) => catalogue.staffActor(id) });
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
