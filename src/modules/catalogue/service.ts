// Catalogue use cases and their rules: who may change what, office-holder history,
// satisfaction, API keys. Every change is audited and emits its event in one transaction.
import { randomUUID } from 'node:crypto';
import type { Kernel } from '../../kernel/module.js';
import type { Queryable } from '../../kernel/db.js';
import { BadRequest, Conflict, Forbidden, NotFound, Unauthorised } from '../../kernel/errors.js';
import { hashPassword, randomToken, seal, sha256, unseal, verifyPassword } from '../../kernel/crypto.js';
import { store, type ServiceRow, type StaffRow } from './store.js';
import { createCache } from '../../kernel/cache.js';
import { KEY_PLATFORMS, KEY_TYPES } from './schema.js';
import type {
  DecisionInput,
  FeedbackInput,
  OfficeHolderInput,
  OrganisationInput,
  RoadmapInput,
  ServiceDetail,
  ServiceInput,
  ServicePatch,
  TeamInput,
} from './schema.js';

/** Who is acting: a signed-in staff member, an admin API key, or the command line. */
export type Actor =
  | { kind: 'staff'; id: string; email: string; role: StaffRow['role']; organisationId: string | null }
  | { kind: 'apikey'; id: string }
  | { kind: 'cli' };

export const actorName = (a: Actor) => (a.kind === 'staff' ? `staff:${a.email}` : a.kind === 'apikey' ? `apikey:${a.id}` : 'cli');

export class ServiceNotFound extends NotFound {
  constructor(slug: string) {
    super(`No service with slug "${slug}"`, 'service_not_found');
  }
}
export class OrganisationNotFound extends NotFound {
  constructor(slug: string) {
    super(`No organisation with slug "${slug}"`, 'organisation_not_found');
  }
}

const LOCK_AFTER = 5;
const CHANGED_CHANNEL = 'cityscape_catalogue';
const LOCK_MINUTES = 15;

export interface VerifiedKey {
  keyId: string;
  serviceId: string | null;
  platform: string;
  type: string;
  name: string;
  secret?: string;
}

export function createCatalogueService(k: Kernel) {
  const { db, audit, events } = k;

  // Public reads are cached for a few seconds; any change clears the cache here at once and,
  // through NOTIFY, in every other process. Feedback doesn't clear it: satisfaction may lag by the TTL.
  const reads = createCache<any>({ ttlMs: 5000, max: 500 });
  const changeListeners: Array<() => void> = [];
  const invalidate = () => {
    reads.clear();
    for (const l of changeListeners) l();
  };
  void db.listen(CHANGED_CHANNEL, invalidate).catch((err) => k.log.warn({ err }, 'catalogue change notifications unavailable'));
  const cached = <T>(key: string, fn: () => Promise<T>): Promise<T> => reads.wrap(key, fn);
  // Modules that cache a service's keys (Notify checks them on every request) forget them here.
  const keyListeners = new Set<(serviceId: string | null) => void>();
  // Keys seen in the last few seconds, so an API call costs no database round trip for its key.
  // A revocation here clears it at once; other processes notice within the TTL (and via NOTIFY).
  const verified = createCache<Awaited<ReturnType<typeof store.liveApiKey>>>({ ttlMs: 5000, max: 10_000 });
  keyListeners.add(() => verified.clear());
  changeListeners.push(() => verified.clear());
  // Unsealing is AES-GCM per call; keys are checked on every Notify request, so remember a few.
  const unsealed = new Map<string, string>();
  const unsealCached = (sealed: string) => {
    let plain = unsealed.get(sealed);
    if (plain === undefined) {
      plain = unseal(k.config.encryptionKey, sealed);
      if (unsealed.size >= 1000) unsealed.clear();
      unsealed.set(sealed, plain);
    }
    return plain;
  };

  /** May this actor manage things belonging to this organisation? */
  function canManage(actor: Actor, organisationId: string | null, level: 'org' | 'service' = 'org'): boolean {
    if (actor.kind !== 'staff') return true; // admin API keys and the CLI act for the platform
    if (actor.role === 'platform_admin') return true;
    if (!organisationId || actor.organisationId !== organisationId) return false;
    return actor.role === 'organisation_admin' || level === 'service';
  }
  function require(actor: Actor, organisationId: string | null, level: 'org' | 'service' = 'org') {
    if (!canManage(actor, organisationId, level)) throw new Forbidden();
  }
  function requirePlatformAdmin(actor: Actor) {
    if (actor.kind === 'staff' && actor.role !== 'platform_admin') throw new Forbidden('Only platform administrators can do this');
  }

  /** Run a change with its audit entry and event in one transaction. */
  async function change<T>(
    actor: Actor,
    what: { action: string; subject: string; organisationId: string | null; before?: unknown },
    fn: (tx: Queryable) => Promise<T>,
  ): Promise<T> {
    const result = await db.transaction(async (tx) => {
      const after = await fn(tx);
      await audit.record(tx, {
        actor: actorName(actor),
        action: what.action,
        subject: what.subject,
        organisationId: what.organisationId,
        before: what.before ?? null,
        after,
      });
      await events.append(tx, {
        stream: what.subject,
        type: `catalogue.${what.action}`,
        payload: { subject: what.subject, actor: actorName(actor) },
      });
      await tx.query(`SELECT pg_notify('${CHANGED_CHANNEL}', '')`);
      return after;
    });
    invalidate();
    return result;
  }

  async function org(slug: string) {
    const o = await store.organisationBy(db, 'slug', slug);
    if (!o) throw new OrganisationNotFound(slug);
    return o;
  }
  async function service(slug: string) {
    const s = await store.serviceBy(db, 'slug', slug);
    if (!s) throw new ServiceNotFound(slug);
    return s;
  }

  async function serviceRowFrom(input: ServiceInput | (ServicePatch & { slug: string }), base?: ServiceRow): Promise<ServiceRow> {
    const organisation = input.organisation_slug ? await org(input.organisation_slug) : null;
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
    return {
      slug: input.slug,
      name: pick('name', input.name),
      name_cy: pick('name_cy', input.name_cy),
      summary: pick('summary', input.summary),
      summary_cy: pick('summary_cy', input.summary_cy),
      description: pick('description', input.description) ?? '',
      phase: pick('phase', input.phase),
      organisation_id: organisationId,
      team_id: teamId,
      start_url: pick('start_url', input.start_url),
      platforms: pick('platforms', input.platforms as string[] | undefined) ?? [],
    };
  }

  return {
    canManage,
    // Public reads
    /** Called after every catalogue change (in this process or, via NOTIFY, another): for caches of pages. */
    onChange(listener: () => void) {
      changeListeners.push(listener);
    },
    listOrganisations: (kind?: string) => cached(`orgs|${kind ?? ''}`, () => store.listOrganisations(db, kind)),
    getOrganisation: (slug: string) => cached(`org|${slug}`, () => org(slug)),
    listTeams: (organisationId: string) => cached(`teams|${organisationId}`, () => store.listTeams(db, organisationId)),
    listServices(f: { organisation?: string; orgKind?: string; q?: string; phase?: string } = {}) {
      return cached(`services|${f.organisation ?? ''}|${f.orgKind ?? ''}|${f.q?.trim() ?? ''}|${f.phase ?? ''}`, async () => {
        const organisationId = f.organisation ? (await org(f.organisation)).id : undefined;
        return store.listServices(db, { organisationId, orgKind: f.orgKind, q: f.q?.trim() || undefined, phase: f.phase });
      });
    },
    getService: (slug: string) => cached(`service|${slug}`, () => service(slug)),
    getServiceById: (id: string) => store.serviceBy(db, 'id', id),
    getServiceDetail: (slug: string): Promise<ServiceDetail> =>
      cached(`detail|${slug}`, async () => {
        const s = await service(slug);
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
      const s = await service(slug);
      await db.transaction(async (tx) => {
        await store.insertFeedback(tx, s.id, input.rating, (input.improvement ?? '').trim());
        await events.append(tx, {
          stream: `catalogue.service:${s.id}`,
          type: 'catalogue.feedback.received',
          payload: { service_id: s.id, rating: input.rating },
        });
      });
    },

    // Changes (audited)
    async createOrganisation(actor: Actor, input: OrganisationInput) {
      requirePlatformAdmin(actor);
      if (await store.organisationBy(db, 'slug', input.slug))
        throw new Conflict(`An organisation with slug "${input.slug}" already exists`, 'slug_taken');
      const parent = input.parent_slug ? await org(input.parent_slug) : null;
      return change(actor, { action: 'organisation.create', subject: `catalogue.organisation:${input.slug}`, organisationId: null }, (tx) =>
        store.insertOrganisation(tx, {
          slug: input.slug,
          name: input.name,
          name_cy: input.name_cy ?? null,
          kind: input.kind,
          summary: input.summary ?? '',
          website: input.website ?? null,
          parent_id: parent?.id ?? null,
        }),
      );
    },
    async updateOrganisation(actor: Actor, slug: string, input: Omit<OrganisationInput, 'slug'>) {
      const before = await org(slug);
      require(actor, before.id);
      const parent = input.parent_slug ? await org(input.parent_slug) : null;
      if (parent?.id === before.id)
        throw new BadRequest('An organisation cannot be its own parent', [
          { field: 'parent_slug', message: 'Choose a different parent organisation' },
        ]);
      if (input.kind !== before.kind) requirePlatformAdmin(actor);
      return change(
        actor,
        { action: 'organisation.update', subject: `catalogue.organisation:${before.id}`, organisationId: before.id, before },
        (tx) =>
          store.updateOrganisation(tx, before.id, {
            name: input.name,
            name_cy: input.name_cy ?? null,
            kind: input.kind,
            summary: input.summary ?? '',
            website: input.website ?? null,
            parent_id: parent?.id ?? null,
          }),
      );
    },
    async createTeam(actor: Actor, orgSlug: string, input: TeamInput) {
      const o = await org(orgSlug);
      require(actor, o.id);
      if (await store.teamBySlug(db, o.id, input.slug))
        throw new Conflict(`A team with slug "${input.slug}" already exists in ${o.name}`, 'slug_taken');
      return change(actor, { action: 'team.create', subject: `catalogue.team:${o.slug}/${input.slug}`, organisationId: o.id }, (tx) =>
        store.insertTeam(tx, { organisation_id: o.id, slug: input.slug, name: input.name, email: input.email ?? null }),
      );
    },
    async createService(actor: Actor, input: ServiceInput) {
      const row = await serviceRowFrom(input);
      require(actor, row.organisation_id);
      if (await store.serviceBy(db, 'slug', input.slug))
        throw new Conflict(`A service with slug "${input.slug}" already exists`, 'slug_taken');
      const id = await change(
        actor,
        { action: 'service.create', subject: `catalogue.service:${input.slug}`, organisationId: row.organisation_id },
        async (tx) => {
          const newId = await store.insertService(tx, row);
          return newId;
        },
      );
      return (await store.serviceBy(db, 'id', id))!;
    },
    async updateService(actor: Actor, slug: string, patch: ServicePatch) {
      const current = await service(slug);
      const before = (await store.serviceRow(db, current.id))!;
      require(actor, before.organisation_id);
      const row = await serviceRowFrom({ ...patch, slug }, before);
      if (row.organisation_id !== before.organisation_id) require(actor, row.organisation_id);
      await change(
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
      const s = await service(slug);
      require(actor, s.organisation.id);
      const holderOrg = input.organisation_slug ? await org(input.organisation_slug) : { id: s.organisation.id };
      const before = (await store.officeHolders(db, s.id)).find((h) => !h.left_post) ?? null;
      if (before && input.in_post_since < before.in_post_since) {
        throw new BadRequest('The new office-holder must start on or after the date the current one started', [
          { field: 'in_post_since', message: `Date must be on or after ${before.in_post_since}` },
        ]);
      }
      await change(
        actor,
        { action: 'office_holder.set', subject: `catalogue.service:${s.id}`, organisationId: s.organisation.id, before },
        async (tx) => {
          const h = {
            name: input.name,
            role: input.role,
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
    async addDecision(actor: Actor, slug: string, input: DecisionInput) {
      const s = await service(slug);
      require(actor, s.organisation.id, 'service');
      return change(actor, { action: 'decision.create', subject: `catalogue.service:${s.id}`, organisationId: s.organisation.id }, (tx) =>
        store.insertDecision(tx, s.id, {
          decided_on: input.decided_on,
          decision: input.decision,
          reasoning: input.reasoning ?? '',
          decided_by: input.decided_by,
          evidence_url: input.evidence_url ?? null,
        }),
      );
    },
    async saveRoadmapItem(actor: Actor, slug: string, id: string | null, input: RoadmapInput) {
      const s = await service(slug);
      require(actor, s.organisation.id, 'service');
      const before = id ? await store.roadmapItem(db, s.id, id) : null;
      if (id && !before) throw new NotFound('No such roadmap item', 'roadmap_item_not_found');
      return change(
        actor,
        {
          action: id ? 'roadmap.update' : 'roadmap.create',
          subject: `catalogue.service:${s.id}`,
          organisationId: s.organisation.id,
          before,
        },
        (tx) =>
          store.upsertRoadmapItem(tx, s.id, id, {
            status: input.status,
            title: input.title,
            description: input.description ?? '',
            target_date: input.target_date ?? null,
          }),
      );
    },

    // Staff accounts
    async createStaff(
      actor: Actor,
      input: { email: string; name?: string; password?: string; role: StaffRow['role']; organisationSlug?: string | null },
    ) {
      const organisation = input.organisationSlug ? await org(input.organisationSlug) : null;
      if (input.role === 'platform_admin') requirePlatformAdmin(actor);
      else if (!organisation)
        throw new BadRequest('Organisation administrators and service team members belong to an organisation', [
          { field: 'organisation', message: 'Choose an organisation' },
        ]);
      else require(actor, organisation.id);
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
      return change(
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

    // API keys
    /** Creates a key and returns its secret — the only time the secret is ever available. */
    async createApiKey(actor: Actor, input: { serviceSlug?: string | null; platform: string; type: string; name?: string }) {
      const admin = !input.serviceSlug;
      if (!(KEY_PLATFORMS as readonly string[]).includes(input.platform))
        throw new BadRequest(`Unknown platform "${input.platform}". Use one of: ${KEY_PLATFORMS.join(', ')}`, [
          { field: 'platform', message: 'Choose a platform' },
        ]);
      if (admin) {
        requirePlatformAdmin(actor);
        if (input.platform !== 'catalogue')
          throw new BadRequest('Keys without a service are catalogue admin keys: use --platform catalogue', [
            { field: 'service', message: 'Choose a service' },
          ]);
      } else if (!(KEY_TYPES as readonly string[]).includes(input.type)) {
        throw new BadRequest(`Unknown key type "${input.type}". Use live, test or team`, [
          { field: 'type', message: 'Choose live, test or team' },
        ]);
      }
      const s = admin ? null : await service(input.serviceSlug!);
      if (s) require(actor, s.organisation.id, 'service');
      const type = admin ? 'admin' : input.type;
      const name = (input.name ?? `${input.platform} ${type} key`).trim().slice(0, 100) || `${input.platform} ${type} key`;
      let secret: string;
      let sealed: string | null = null;
      if (input.platform === 'notify' && s) {
        // Notify's format: {key name}-{service id}-{secret}; the secret signs HS256 JWTs, so it is kept sealed.
        const secretPart = randomUUID();
        secret = `${
          name
            .toLowerCase()
            .replace(/[^a-z0-9]+/g, '_')
            .replace(/^_|_$/g, '') || 'key'
        }-${s.id}-${secretPart}`;
        sealed = seal(k.config.encryptionKey, secretPart);
      } else if (input.platform === 'pay') {
        secret = `api_${type}_${randomToken(30)}`;
      } else {
        secret = `cs_${input.platform}_${type}_${randomToken(30)}`;
      }
      const key = await change(
        actor,
        { action: 'api_key.create', subject: `catalogue.api_key:${s?.slug ?? 'admin'}`, organisationId: s?.organisation.id ?? null },
        (tx) =>
          store.insertApiKey(tx, {
            service_id: s?.id ?? null,
            platform: input.platform,
            type,
            name,
            hint: secret.slice(-4),
            secret_hash: sha256(secret),
            secret_sealed: sealed,
            created_by: actorName(actor),
          }),
      );
      for (const fn of keyListeners) fn(key.service_id);
      return { key, secret };
    },
    listApiKeys: (serviceId: string | null) => store.listApiKeys(db, serviceId),
    async revokeApiKey(actor: Actor, id: string) {
      const key = await store.apiKey(db, id);
      if (!key) throw new NotFound(`No API key with id "${id}"`, 'api_key_not_found');
      const s = key.service_id ? await store.serviceBy(db, 'id', key.service_id) : null;
      if (s) require(actor, s.organisation.id, 'service');
      else requirePlatformAdmin(actor);
      await change(
        actor,
        { action: 'api_key.revoke', subject: `catalogue.api_key:${id}`, organisationId: s?.organisation.id ?? null, before: key },
        async (tx) => {
          await store.revokeApiKey(tx, id);
          return { id, revoked: true };
        },
      );
      for (const fn of keyListeners) fn(key.service_id);
      return (await store.apiKey(db, id))!;
    },
    /** Called after a key is created or revoked in this process (other processes: see the caller's cache). */
    onApiKeysChanged(fn: (serviceId: string | null) => void): void {
      keyListeners.add(fn);
    },
    /**
     * A service's keys with shared secrets (Notify's HS256 JWTs), revoked ones included so the
     * caller can say "revoked" rather than "not found". Secrets are unsealed here, never stored plain.
     */
    async sharedSecretKeys(
      serviceId: string,
      platform: string,
    ): Promise<Array<{ keyId: string; type: string; name: string; secret: string; revoked: boolean }>> {
      const rows = await store.sealedKeys(db, serviceId, platform);
      return rows
        .filter((r) => r.secret_sealed)
        .map((r) => ({
          keyId: r.id,
          type: r.type,
          name: r.name,
          secret: unsealCached(r.secret_sealed!),
          revoked: r.revoked_at !== null,
        }));
    },
    /** The key behind a presented secret, if it is live and for this platform. */
    async verifyApiKey(secret: string, platform: string): Promise<VerifiedKey | null> {
      if (!secret || secret.length > 300) return null;
      const hash = sha256(secret);
      let key = verified.get(hash);
      if (key === undefined) {
        // A read first: the write that records "last used" happens at most once a minute a key.
        key = await store.liveApiKey(db, hash);
        if (key && (!key.last_used_at || Date.parse(key.last_used_at) < Date.now() - 60_000)) key = await store.useApiKey(db, hash);
        verified.set(hash, key);
      }
      if (!key || key.platform !== platform) return null;
      return {
        keyId: key.id,
        serviceId: key.service_id,
        platform: key.platform,
        type: key.type,
        name: key.name,
        secret: key.secret_sealed ? unseal(k.config.encryptionKey, key.secret_sealed) : undefined,
      };
    },
  };
}
export type CatalogueService = ReturnType<typeof createCatalogueService>;
