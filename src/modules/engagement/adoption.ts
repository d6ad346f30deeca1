// Adoption of the shared platforms (issue #17), from real use rather than what a service says:
// a platform is "in use" by a service when one of its API keys had traffic in the last 30 days
// (catalogue.keyUse), it has a live sign-in client (identity) or a live form (forms) — sources
// app.ts adds with addSource. The rule: a new service (not yet live, or created in the last year)
// uses each shared platform it lists, unless exempt; an exemption (reason, expiry) is a decision
// in the service's catalogue log, written with its row here in one transaction. The monthly
// trend counts services whose keys had traffic to each platform in each month.
import type { Kernel } from '../../kernel/module.js';
import { BadRequest, Forbidden } from '../../kernel/errors.js';
import type { Actor, CatalogueService } from '../catalogue/index.js';

/** Key platforms (as in URLs and the CLI) → the catalogue's platform names. */
const KEY_TO_PLATFORM: Record<string, string> = { pay: 'payments' };
const NEW_PHASES = ['discovery', 'alpha', 'beta'];
const YEAR_MS = 365 * 86_400_000;

export interface AdoptionSource {
  platform: string;
  /** Services that use the platform now (their ids). */
  serviceIds(): Promise<string[]>;
}
export interface Exemption {
  id: string;
  service_id: string;
  organisation_id: string;
  platform: string;
  reason: string;
  expires_on: string;
  decision_id: string;
}

export function createAdoption(k: Kernel, catalogue: CatalogueService) {
  const { db } = k;
  const sources: AdoptionSource[] = [];
  /** The platforms the rule is about: every shared platform but the catalogue itself. */
  const RULE_PLATFORMS = catalogue.platformNames().filter((p) => p !== 'catalogue');

  async function exemptions(): Promise<Exemption[]> {
    const { rows } = await db.query<Exemption>(
      `SELECT id, service_id, organisation_id, platform, reason, expires_on::text, decision_id FROM engagement.platform_exemptions
        WHERE expires_on >= current_date ORDER BY expires_on`,
    );
    return rows;
  }

  /** Every ordinary service with what it says it uses, what it really uses, its exemptions and the rule's verdict. */
  async function services(organisationSlug?: string) {
    const [all, use, extra, exempt] = await Promise.all([
      catalogue.listServices(),
      catalogue.keyUse(30),
      Promise.all(sources.map(async (s) => ({ platform: s.platform, ids: new Set(await s.serviceIds().catch(() => [])) }))),
      exemptions(),
    ]);
    const now = Date.now();
    return all
      .filter((s) => !s.platform && (!organisationSlug || s.organisation.slug === organisationSlug))
      .map((s) => {
        const used = new Map<string, { sources: string[]; calls: number }>();
        const add = (platform: string, source: string, calls = 0) => {
          const u = used.get(platform) ?? { sources: [], calls: 0 };
          if (!u.sources.includes(source)) u.sources.push(source);
          u.calls += calls;
          used.set(platform, u);
        };
        for (const u of use) if (u.service_id === s.id) add(KEY_TO_PLATFORM[u.platform] ?? u.platform, 'keys', u.calls);
        for (const x of extra)
          if (x.ids.has(s.id)) add(x.platform, x.platform === 'identity' ? 'client' : x.platform === 'forms' ? 'form' : 'other');
        const exemptions = exempt.filter((e) => e.service_id === s.id);
        const inScope = NEW_PHASES.includes(s.phase) || now - Date.parse(s.created_at) < YEAR_MS;
        const declared = s.platforms.filter((p) => RULE_PLATFORMS.includes(p));
        const gaps = declared.filter((p) => !used.has(p) && !exemptions.some((e) => e.platform === p));
        return { service: s, used, declared, exemptions, inScope, gaps, meetsRule: inScope ? gaps.length === 0 : null };
      });
  }

  return {
    rulePlatforms: RULE_PLATFORMS,
    addSource: (s: AdoptionSource) => void sources.push(s),
    services,
    exemptions,
    /** Per month (oldest first): services with key traffic to each platform, limited to `serviceIds` when given. */
    async trend(months = 12, serviceIds?: Set<string>) {
      const rows = await catalogue.keyUseByMonth(months);
      const out: Array<{ month: string; counts: Record<string, number>; any: number }> = [];
      const start = new Date();
      for (let i = months - 1; i >= 0; i--) {
        const d = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() - i, 1));
        const month = d.toISOString().slice(0, 7);
        const these = rows.filter((r) => r.month === month);
        const counts: Record<string, number> = {};
        const anyIds = new Set<string>();
        for (const r of these) {
          const ids = r.service_ids.filter((id) => !serviceIds || serviceIds.has(id));
          const p = KEY_TO_PLATFORM[r.platform] ?? r.platform;
          counts[p] = (counts[p] ?? 0) + ids.length;
          for (const id of ids) anyIds.add(id);
        }
        out.push({ month, counts, any: anyIds.size });
      }
      return out;
    },
    /** Records an exemption as a decision in the service's log and its row here, in one transaction. */
    async exempt(actor: Actor, input: { serviceSlug: string; platform: string; reason: string; expiresOn: string; decidedBy: string }) {
      const s = await catalogue.getService(input.serviceSlug);
      if (s.platform || !catalogue.canManage(actor, s.organisation.id, 'service')) throw new Forbidden();
      if (!RULE_PLATFORMS.includes(input.platform)) throw new BadRequest('Unknown platform', [{ field: 'platform', message: 'platform' }]);
      return db.transaction(async (tx) => {
        const decision = await catalogue.addDecision(
          actor,
          s.slug,
          {
            decided_on: new Date().toISOString().slice(0, 10),
            decision: `Exempt from the shared ${input.platform} platform until ${input.expiresOn}`,
            reasoning: input.reason,
            decided_by: input.decidedBy,
          },
          tx,
        );
        const { rows } = await tx.query<{ id: string }>(
          `INSERT INTO engagement.platform_exemptions (service_id, organisation_id, platform, reason, expires_on, decision_id, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
          [
            s.id,
            s.organisation.id,
            input.platform,
            input.reason,
            input.expiresOn,
            decision.id,
            actor.kind === 'staff' ? `staff:${actor.email}` : actor.kind,
          ],
        );
        await k.events.append(tx, {
          stream: `engagement.platform:${s.id}`,
          type: 'engagement.platform.exempted',
          payload: { service_id: s.id, platform: input.platform, expires_on: input.expiresOn, decision_id: decision.id },
        });
        return { id: rows[0].id, decision };
      });
    },
  };
}
export type Adoption = ReturnType<typeof createAdoption>;
