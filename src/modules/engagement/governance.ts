// Local government's voice in the shared platforms (issue #17): the platforms are catalogue
// services (catalogue `platform`); organisations — councils included — vote on their roadmap
// items, one vote per organisation (the primary key; a second member of staff changes it), and
// ask for new items; the platform's owner answers each request with a roadmap item (planned) or
// a decision (declined, with reasons), both in the catalogue, so "what was done" is a fact there.
import type { Kernel } from '../../kernel/module.js';
import type { Queryable } from '../../kernel/db.js';
import { BadRequest, Forbidden, NotFound } from '../../kernel/errors.js';
import type { Actor, CatalogueService } from '../catalogue/index.js';
import { isUuid } from './service.js';

export type Staff = Actor & { kind: 'staff' };
export const STANCES = ['support', 'oppose'] as const;
export type Stance = (typeof STANCES)[number];
export const TITLE_MAX = 200;
export const DETAIL_MAX = 2000;

export interface PlatformRequest {
  id: string;
  service_id: string;
  organisation_id: string;
  organisation_kind: string;
  title: string;
  detail: string;
  status: 'open' | 'planned' | 'declined';
  roadmap_item_id: string | null;
  decision_id: string | null;
  answer: string | null;
  created_at: Date;
  answered_at: Date | null;
}
export interface VoteTally {
  roadmap_item_id: string;
  service_id: string;
  organisation_kind: string;
  stance: Stance;
  n: number;
}

export function createGovernance(k: Kernel, catalogue: CatalogueService) {
  const { db, events } = k;
  const platforms = async () => (await catalogue.listServices()).filter((s) => s.platform);
  async function platform(slug: string) {
    const p = (await platforms()).find((s) => s.slug === slug);
    if (!p) throw new NotFound('No shared platform with that name', 'platform_not_found');
    return p;
  }
  async function orgOf(actor: Staff) {
    if (!actor.organisationId) throw new Forbidden('Only staff of an organisation speak for it');
    const org = (await catalogue.listOrganisations()).find((o) => o.id === actor.organisationId);
    if (!org) throw new Forbidden();
    return org;
  }
  const event = (tx: Queryable, serviceId: string, type: string, payload: Record<string, unknown>) =>
    events.append(tx, { stream: `engagement.platform:${serviceId}`, type, payload: { service_id: serviceId, ...payload } });

  return {
    platforms,
    platform,
    /** The organisation's vote on a platform's roadmap item: set, changed, or withdrawn (stance null). */
    async vote(actor: Staff, platformSlug: string, itemId: string, stance: Stance | null) {
      const org = await orgOf(actor);
      const p = await platform(platformSlug);
      const item = isUuid(itemId) ? await catalogue.getRoadmapItem(p.id, itemId) : null;
      if (!item) throw new NotFound('No such roadmap item', 'roadmap_item_not_found');
      if (item.status === 'done' && stance) throw new BadRequest('That roadmap item is done', [{ field: 'stance', message: 'done' }]);
      await db.transaction(async (tx) => {
        if (stance)
          await tx.query(
            `INSERT INTO engagement.platform_votes (roadmap_item_id, service_id, organisation_id, organisation_kind, stance, voted_by)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (roadmap_item_id, organisation_id) DO UPDATE SET stance = excluded.stance, voted_by = excluded.voted_by, at = now()`,
            [item.id, p.id, org.id, org.kind, stance, `staff:${actor.email}`],
          );
        else await tx.query('DELETE FROM engagement.platform_votes WHERE roadmap_item_id = $1 AND organisation_id = $2', [item.id, org.id]);
        await event(tx, p.id, 'engagement.platform.voted', { roadmap_item_id: item.id, organisation_id: org.id, stance });
      });
    },
    /** An organisation's votes: roadmap item id → stance (and who set it). */
    async votesOf(organisationId: string): Promise<Map<string, { stance: Stance; voted_by: string }>> {
      const { rows } = await db.query<{ roadmap_item_id: string; stance: Stance; voted_by: string }>(
        'SELECT roadmap_item_id, stance, voted_by FROM engagement.platform_votes WHERE organisation_id = $1',
        [organisationId],
      );
      return new Map(rows.map((r) => [r.roadmap_item_id, r]));
    },
    async tallies(): Promise<VoteTally[]> {
      const { rows } = await db.query<VoteTally>(
        `SELECT roadmap_item_id, service_id, organisation_kind, stance, count(*)::int AS n FROM engagement.platform_votes
          GROUP BY 1, 2, 3, 4 ORDER BY 1, 3, 4`,
      );
      return rows;
    },
    async votes(): Promise<
      Array<{ roadmap_item_id: string; service_id: string; organisation_id: string; organisation_kind: string; stance: Stance; at: Date }>
    > {
      const { rows } = await db.query<any>(
        'SELECT roadmap_item_id, service_id, organisation_id, organisation_kind, stance, at FROM engagement.platform_votes ORDER BY at',
      );
      return rows;
    },
    async propose(actor: Staff, platformSlug: string, input: { title: string; detail: string }): Promise<PlatformRequest> {
      const org = await orgOf(actor);
      const p = await platform(platformSlug);
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<PlatformRequest>(
          `INSERT INTO engagement.platform_requests (service_id, organisation_id, organisation_kind, title, detail, created_by)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
          [p.id, org.id, org.kind, input.title, input.detail, `staff:${actor.email}`],
        );
        await event(tx, p.id, 'engagement.platform.requested', { request_id: rows[0].id, organisation_id: org.id });
        return rows[0];
      });
    },
    async requests(): Promise<PlatformRequest[]> {
      const { rows } = await db.query<PlatformRequest>('SELECT * FROM engagement.platform_requests ORDER BY created_at DESC LIMIT 2000');
      return rows;
    },
    async request(id: string): Promise<PlatformRequest> {
      const { rows } = isUuid(id)
        ? await db.query<PlatformRequest>('SELECT * FROM engagement.platform_requests WHERE id = $1', [id])
        : { rows: [] };
      if (!rows[0]) throw new NotFound('No such request', 'request_not_found');
      return rows[0];
    },
    /**
     * The platform owner's answer: planned (a new roadmap item, and a decision saying so) or
     * declined (a decision with the reasons). The roadmap item, the decision and the request's
     * answer commit together, with the request locked first: a request is answered once, and a
     * second answer (even one at the same moment) is refused and leaves no second item.
     */
    async answer(actor: Actor, id: string, input: { outcome: 'planned' | 'declined'; reason: string; status: 'now' | 'next' | 'later' }) {
      const answered = () => new BadRequest('That request has been answered', [{ field: 'outcome', message: 'answered' }]);
      const r = await this.request(id);
      const p = (await platforms()).find((s) => s.id === r.service_id);
      if (!p) throw new NotFound('No such platform', 'platform_not_found');
      if (!catalogue.canManage(actor, p.organisation.id, 'service')) throw new Forbidden();
      if (r.status !== 'open') throw answered();
      const holder = (await catalogue.getServiceDetail(p.slug)).office_holder;
      await db.transaction(async (tx) => {
        const { rows } = await tx.query("SELECT 1 FROM engagement.platform_requests WHERE id = $1 AND status = 'open' FOR UPDATE", [r.id]);
        if (!rows.length) throw answered();
        const item =
          input.outcome === 'planned'
            ? await catalogue.saveRoadmapItem(actor, p.slug, null, { status: input.status, title: r.title, description: r.detail }, tx)
            : null;
        const decision = await catalogue.addDecision(
          actor,
          p.slug,
          {
            decided_on: new Date().toISOString().slice(0, 10),
            decision: `${input.outcome === 'planned' ? 'Added to the roadmap' : 'Declined'}: ${r.title}`.slice(0, 2000),
            reasoning: input.reason,
            decided_by: holder?.role ?? p.organisation.name,
          },
          tx,
        );
        await tx.query(
          `UPDATE engagement.platform_requests SET status = $2, roadmap_item_id = $3, decision_id = $4, answer = $5, answered_at = now()
            WHERE id = $1`,
          [r.id, input.outcome, item?.id ?? null, decision.id, input.reason],
        );
        await event(tx, p.id, 'engagement.platform.answered', { request_id: r.id, outcome: input.outcome, decision_id: decision.id });
      });
    },
  };
}
export type Governance = ReturnType<typeof createGovernance>;
