// Catalogue use cases and their rules: public reads (cached) and feedback here; changes to the
// catalogue's records, staff accounts and API keys in service-records.ts, service-staff.ts and
// service-keys.ts, all sharing service-context.ts (roles, lookups, audited changes).
import type { Kernel } from '../../kernel/module.js';
import { store } from './store.js';
import { PLATFORMS, type FeedbackInput, type ServiceDetail } from './schema.js';
import { createContext } from './service-context.js';
import { createRecordChanges } from './service-records.js';
import { createStaffService } from './service-staff.js';
import { createKeyService } from './service-keys.js';

export { actorName, ServiceNotFound, OrganisationNotFound, type Actor } from './service-context.js';
export type { VerifiedKey } from './service-keys.js';

export function createCatalogueService(k: Kernel) {
  const ctx = createContext(k);
  const { db, events } = ctx;

  return {
    canManage: ctx.canManage,
    /** The shared platforms' names, as services list them (`platforms`) and platform services are (`platform`). */
    platformNames: (): readonly string[] => PLATFORMS,
    // Public reads
    /** Called after every catalogue change (in this process or, via NOTIFY, another): for caches of pages. */
    onChange: ctx.onChange,
    listOrganisations: (kind?: string) => ctx.cached(`orgs|${kind ?? ''}`, () => store.listOrganisations(db, kind)),
    getOrganisation: (slug: string) => ctx.cached(`org|${slug}`, () => ctx.org(slug)),
    listTeams: (organisationId: string) => ctx.cached(`teams|${organisationId}`, () => store.listTeams(db, organisationId)),
    listServices(f: { organisation?: string; orgKind?: string; q?: string; phase?: string } = {}) {
      return ctx.cached(`services|${f.organisation ?? ''}|${f.orgKind ?? ''}|${f.q?.trim() ?? ''}|${f.phase ?? ''}`, async () => {
        const organisationId = f.organisation ? (await ctx.org(f.organisation)).id : undefined;
        return store.listServices(db, { organisationId, orgKind: f.orgKind, q: f.q?.trim() || undefined, phase: f.phase });
      });
    },
    getService: (slug: string) => ctx.cached(`service|${slug}`, () => ctx.service(slug)),
    getServiceById: (id: string) => store.serviceBy(db, 'id', id),
    getServiceDetail: (slug: string): Promise<ServiceDetail> =>
      ctx.cached(`detail|${slug}`, async () => {
        const s = await ctx.service(slug);
        const [holders, decisions, roadmap, satisfaction] = await Promise.all([
          store.officeHolders(db, s.id),
          store.decisions(db, s.id, 10),
          store.roadmap(db, s.id),
          store.satisfaction(db, s.id, 30),
        ]);
        return {
          ...s,
          office_holder: holders.find((h) => !h.left_post) ?? null,
          previous_office_holders: holders.filter((h) => h.left_post),
          decisions,
          roadmap,
          satisfaction,
        };
      }),
    satisfaction: (serviceId: string, days = 30) => store.satisfaction(db, serviceId, days),
    recentComments: (serviceId: string) => store.recentComments(db, serviceId),
    getRoadmapItem: (serviceId: string, id: string) => store.roadmapItem(db, serviceId, id),

    async submitFeedback(slug: string, input: FeedbackInput): Promise<void> {
      const s = await ctx.service(slug);
      await db.transaction(async (tx) => {
        await store.insertFeedback(tx, s.id, input.rating, (input.improvement ?? '').trim());
        await events.append(tx, {
          stream: `catalogue.service:${s.id}`,
          type: 'catalogue.feedback.received',
          payload: { service_id: s.id, rating: input.rating },
        });
      });
    },

    ...createRecordChanges(ctx),
    ...createStaffService(ctx),
    ...createKeyService(ctx),
  };
}
export type CatalogueService = ReturnType<typeof createCatalogueService>;
