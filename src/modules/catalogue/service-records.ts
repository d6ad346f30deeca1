// Catalogue records changed by staff, admin keys and the CLI: organisations, teams, services,
// a service's accountable office-holder (history kept), decisions and roadmap items. Each
// change checks the actor's role and is written with its audit entry and event (ctx.change).
import type { Ctx, Actor } from './service-context.js';
import { BadRequest, Conflict, NotFound } from '../../kernel/errors.js';
import { store, type ServiceRow } from './store.js';
import { isUniqueViolation, type Queryable } from '../../kernel/db.js';
import type { DecisionInput, OfficeHolderInput, OrganisationInput, RoadmapInput, ServiceInput, ServicePatch, TeamInput } from './schema.js';

/** A Welsh version left blank is no Welsh version: the English is shown on Welsh pages. */
const welsh = (v: string | null | undefined) => (v && v.trim() ? v : null);

/**
 * The check that a slug is free runs before the insert, so two requests with one slug can both
 * pass it; the unique index then refuses the second, which is the same answer: 409, not 500.
 */
async function slugTaken<T>(message: string, insert: () => Promise<T>): Promise<T> {
  try {
    return await insert();
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(message, 'slug_taken');
    throw err;
  }
}

export function createRecordChanges(ctx: Ctx) {
  const { db } = ctx;

  async function serviceRowFrom(input: ServiceInput | (ServicePatch & { slug: string }), base?: ServiceRow): Promise<ServiceRow> {
    const organisation = input.organisation_slug ? await ctx.org(input.organisation_slug) : null;
    const organisationId = organisation?.id ?? base!.organisation_id;
    let teamId = base?.organisation_id === organisationId ? base.team_id : null;
    if (input.team_slug !== undefined) {
      teamId = null;
      if (input.team_slug) {
        const team = await store.teamBySlug(db, organisationId, input.team_slug);
        if (!team)
          throw new BadRequest(`No team "${input.team_slug}" in that organisation`, [
            { field: 'team_slug', message: 'Choose a team from the owning organisation' },
          ]);
        teamId = team.id;
      }
    }
    const pick = <K extends keyof ServiceRow>(key: K, value: ServiceRow[K] | undefined) =>
      (value === undefined ? (base ? base[key] : null) : value) as ServiceRow[K];
    const pickCy = (key: 'description_cy' | 'how_to_apply_cy', value: string | null | undefined) =>
      value === undefined ? (base?.[key] ?? null) : welsh(value);
    return {
      slug: input.slug,
      name: pick('name', input.name),
      name_cy: pick('name_cy', input.name_cy),
      summary: pick('summary', input.summary),
      summary_cy: pick('summary_cy', input.summary_cy),
      description: pick('description', input.description) ?? '',
      description_cy: pickCy('description_cy', input.description_cy),
      how_to_apply: pick('how_to_apply', input.how_to_apply) ?? '',
      how_to_apply_cy: pickCy('how_to_apply_cy', input.how_to_apply_cy),
      phase: pick('phase', input.phase),
      organisation_id: organisationId,
      team_id: teamId,
      start_url: pick('start_url', input.start_url),
      platforms: pick('platforms', input.platforms as string[] | undefined) ?? [],
    };
  }

  const organisationRow = (input: Omit<OrganisationInput, 'slug'>, parent: { id: string } | null) => ({
    name: input.name,
    name_cy: input.name_cy ?? null,
    kind: input.kind,
    summary: input.summary ?? '',
    summary_cy: welsh(input.summary_cy),
    website: input.website ?? null,
    parent_id: parent?.id ?? null,
  });

  return {
    async createOrganisation(actor: Actor, input: OrganisationInput) {
      ctx.requirePlatformAdmin(actor);
      if (await store.organisationBy(db, 'slug', input.slug))
        throw new Conflict(`An organisation with slug "${input.slug}" already exists`, 'slug_taken');
      const parent = input.parent_slug ? await ctx.org(input.parent_slug) : null;
      return slugTaken(`An organisation with slug "${input.slug}" already exists`, () =>
        ctx.change(actor, { action: 'organisation.create', subject: `catalogue.organisation:${input.slug}`, organisationId: null }, (tx) =>
          store.insertOrganisation(tx, { slug: input.slug, ...organisationRow(input, parent) }),
        ),
      );
    },
    async updateOrganisation(actor: Actor, slug: string, input: Omit<OrganisationInput, 'slug'>) {
      const before = await ctx.org(slug);
      ctx.require(actor, before.id);
      const parent = input.parent_slug ? await ctx.org(input.parent_slug) : null;
      if (parent?.id === before.id)
        throw new BadRequest('An organisation cannot be its own parent', [
          { field: 'parent_slug', message: 'Choose a different parent organisation' },
        ]);
      if (input.kind !== before.kind) ctx.requirePlatformAdmin(actor);
      return ctx.change(
        actor,
        { action: 'organisation.update', subject: `catalogue.organisation:${before.id}`, organisationId: before.id, before },
        (tx) => store.updateOrganisation(tx, before.id, organisationRow(input, parent)),
      );
    },
    async createTeam(actor: Actor, orgSlug: string, input: TeamInput) {
      const o = await ctx.org(orgSlug);
      ctx.require(actor, o.id);
      if (await store.teamBySlug(db, o.id, input.slug))
        throw new Conflict(`A team with slug "${input.slug}" already exists in ${o.name}`, 'slug_taken');
      return slugTaken(`A team with slug "${input.slug}" already exists in ${o.name}`, () =>
        ctx.change(actor, { action: 'team.create', subject: `catalogue.team:${o.slug}/${input.slug}`, organisationId: o.id }, (tx) =>
          store.insertTeam(tx, {
            organisation_id: o.id,
            slug: input.slug,
            name: input.name,
            name_cy: welsh(input.name_cy),
            email: input.email ?? null,
          }),
        ),
      );
    },
    async createService(actor: Actor, input: ServiceInput) {
      const row = await serviceRowFrom(input);
      ctx.require(actor, row.organisation_id);
      if (await store.serviceBy(db, 'slug', input.slug))
        throw new Conflict(`A service with slug "${input.slug}" already exists`, 'slug_taken');
      const id = await slugTaken(`A service with slug "${input.slug}" already exists`, () =>
        ctx.change(
          actor,
          { action: 'service.create', subject: `catalogue.service:${input.slug}`, organisationId: row.organisation_id },
          (tx) => store.insertService(tx, row),
        ),
      );
      return (await store.serviceBy(db, 'id', id))!;
    },
    async updateService(actor: Actor, slug: string, patch: ServicePatch) {
      const current = await ctx.service(slug);
      const before = (await store.serviceRow(db, current.id))!;
      ctx.require(actor, before.organisation_id);
      const row = await serviceRowFrom({ ...patch, slug }, before);
      if (row.organisation_id !== before.organisation_id) ctx.require(actor, row.organisation_id);
      await ctx.change(
        actor,
        { action: 'service.update', subject: `catalogue.service:${current.id}`, organisationId: row.organisation_id, before },
        async (tx) => {
          await store.updateService(tx, current.id, row);
          return row;
        },
      );
      return (await store.serviceBy(db, 'id', current.id))!;
    },
    async setOfficeHolder(actor: Actor, slug: string, input: OfficeHolderInput) {
      const s = await ctx.service(slug);
      ctx.require(actor, s.organisation.id);
      const holderOrg = input.organisation_slug ? await ctx.org(input.organisation_slug) : { id: s.organisation.id };
      // Concurrent changes of one service's office-holder take turns on the service's row, so each
      // sees the holder the one before it set (without the lock both retire the same holder and
      // the second insert breaks the "one current holder" index).
      const current = async (tx: Queryable) => {
        await store.lockService(tx, s.id);
        return (await store.officeHolders(tx, s.id)).find((h) => !h.left_post) ?? null;
      };
      await ctx.change(
        actor,
        { action: 'office_holder.set', subject: `catalogue.service:${s.id}`, organisationId: s.organisation.id, before: current },
        async (tx, before) => {
          const was = before as Awaited<ReturnType<typeof current>>;
          if (was && input.in_post_since < was.in_post_since) {
            throw new BadRequest('The new office-holder must start on or after the date the current one started', [
              { field: 'in_post_since', message: `Date must be on or after ${was.in_post_since}` },
            ]);
          }
          const h = {
            name: input.name,
            role: input.role,
            role_cy: welsh(input.role_cy),
            organisation_id: holderOrg.id,
            contact: input.contact ?? '',
            in_post_since: input.in_post_since,
            is_demo: input.is_demo ?? false,
          };
          await store.replaceOfficeHolder(tx, s.id, h);
          return h;
        },
      );
      return store.officeHolders(db, s.id);
    },
    /** Adds to the service's decision log; with `within`, inside the caller's transaction (it commits or fails with theirs). */
    async addDecision(actor: Actor, slug: string, input: DecisionInput, within?: Queryable) {
      const s = await ctx.service(slug, within);
      ctx.require(actor, s.organisation.id, 'service');
      return ctx.change(
        actor,
        { action: 'decision.create', subject: `catalogue.service:${s.id}`, organisationId: s.organisation.id, within },
        (tx) =>
          store.insertDecision(tx, s.id, {
            decided_on: input.decided_on,
            decision: input.decision,
            decision_cy: welsh(input.decision_cy),
            reasoning: input.reasoning ?? '',
            reasoning_cy: welsh(input.reasoning_cy),
            decided_by: input.decided_by,
            decided_by_cy: welsh(input.decided_by_cy),
            evidence_url: input.evidence_url ?? null,
          }),
      );
    },
    /** Adds or changes a roadmap item; with `within`, inside the caller's transaction (as addDecision). */
    async saveRoadmapItem(actor: Actor, slug: string, id: string | null, input: RoadmapInput, within?: Queryable) {
      const s = await ctx.service(slug, within);
      ctx.require(actor, s.organisation.id, 'service');
      const before = id ? await store.roadmapItem(within ?? db, s.id, id) : null;
      if (id && !before) throw new NotFound('No such roadmap item', 'roadmap_item_not_found');
      return ctx.change(
        actor,
        {
          action: id ? 'roadmap.update' : 'roadmap.create',
          subject: `catalogue.service:${s.id}`,
          organisationId: s.organisation.id,
          before,
          within,
        },
        (tx) =>
          store.upsertRoadmapItem(tx, s.id, id, {
            status: input.status,
            title: input.title,
            title_cy: welsh(input.title_cy),
            description: input.description ?? '',
            description_cy: welsh(input.description_cy),
            target_date: input.target_date ?? null,
          }),
      );
    },
  };
}
