// Managing the exchange: members (from catalogue organisations) and their signing keys,
// subsystems, data services and their attributes, legal bases, access rights, peers. Each
// change is audited and announced to every process in the same transaction. Rules: ids are
// valid X-Road parts; a right names real attributes and purposes; a covert right needs a
// basis that allows covert use; a peer's trust list must verify with the keys it publishes.
import type { Kernel } from '../../kernel/module.js';
import type { Queryable } from '../../kernel/db.js';
import { BadRequest, Conflict, Forbidden, NotFound } from '../../kernel/errors.js';
import type { Actor, CatalogueService } from '../catalogue/index.js';
import { store, type BasisRow, type RightRow } from './store.js';
import { createKey } from './keys.js';
import { isPart, parseService, parseSubsystem } from './ids.js';
import { BASIS, PURPOSE } from './policy.js';
import { publicKeyFromJwk } from './jws.js';
import { verifyTrustList, type TrustList } from './trust.js';
import type { DirectoryCache } from './directory.js';

const actorName = (a: Actor) => (a.kind === 'staff' ? `staff:${a.email}` : a.kind === 'apikey' ? `apikey:${a.id}` : 'cli');

export interface ServiceInput {
  subsystem: string; // X-Road id of the provider subsystem
  code: string;
  version?: string;
  title: string;
  titleCy?: string | null;
  description?: string;
  openapi: Record<string, unknown>;
  url: string;
  timeoutMs?: number;
  maxBytes?: number;
  catalogueServiceId?: string | null;
  attributes: Array<{ name: string; title: string; titleCy?: string | null; dpvCategory: string; sensitivity: 'normal' | 'special' }>;
}

export function createExchangeService(k: Kernel, catalogue: CatalogueService, directory: DirectoryCache) {
  const { db, audit, config } = k;
  const requireAdmin = (actor: Actor) => {
    if (actor.kind === 'staff' && actor.role !== 'platform_admin')
      throw new Forbidden('Only platform administrators can change the exchange');
  };
  async function change<T>(
    actor: Actor,
    action: string,
    subject: string,
    fn: (tx: Queryable) => Promise<T>,
    organisationId: string | null = null,
  ) {
    const out = await db.transaction(async (tx) => {
      const after = await fn(tx);
      await audit.record(tx, { actor: actorName(actor), action, subject, organisationId, after });
      await directory.notify(tx);
      return after;
    });
    directory.invalidate();
    return out;
  }
  const url = (u: string) => {
    try {
      const x = new URL(u);
      if (x.protocol !== 'http:' && x.protocol !== 'https:') throw new Error();
      return x.toString();
    } catch {
      throw new BadRequest(`"${u}" is not an http(s) URL`, [{ field: 'url', message: 'Enter the URL of the system that answers' }]);
    }
  };

  return {
    async addMember(
      actor: Actor,
      m: { instance?: string; memberClass: string; memberCode: string; name: string; organisationSlug?: string | null },
    ) {
      requireAdmin(actor);
      const instance = m.instance ?? (await directory.get()).node.instance;
      if (![instance, m.memberClass, m.memberCode].every(isPart))
        throw new BadRequest('Member class and code must be 1–64 characters without "/"');
      const org = m.organisationSlug ? await catalogue.getOrganisation(m.organisationSlug) : null;
      const d = await directory.get();
      if (d.members.has(`${instance}/${m.memberClass}/${m.memberCode}`))
        throw new Conflict(`Member ${instance}/${m.memberClass}/${m.memberCode} already exists`);
      return change(actor, 'exchange.member.add', `exchange.member:${instance}/${m.memberClass}/${m.memberCode}`, async (tx) => {
        const row = await store.insertMember(tx, {
          instance,
          member_class: m.memberClass,
          member_code: m.memberCode,
          name: m.name,
          organisation_id: org?.id ?? null,
        });
        await createKey(tx, config.encryptionKey, `${instance}/${m.memberClass}/${m.memberCode}#1`, row.id);
        return row;
      });
    },
    async addSubsystem(actor: Actor, id: string, input: { name: string; serviceSlug?: string | null }) {
      requireAdmin(actor);
      const s = parseSubsystem(id);
      if (!s) throw new BadRequest(`"${id}" is not {instance}/{class}/{member}/{subsystem}`);
      const d = await directory.get();
      const member = d.members.get(`${s.instance}/${s.memberClass}/${s.memberCode}`);
      if (!member) throw new NotFound(`No member ${s.instance}/${s.memberClass}/${s.memberCode}`);
      if (d.subsystems.has(id)) throw new Conflict(`Subsystem ${id} already exists`);
      const svc = input.serviceSlug ? await catalogue.getService(input.serviceSlug) : null;
      return change(actor, 'exchange.subsystem.add', `exchange.subsystem:${id}`, (tx) =>
        store.insertSubsystem(tx, { member_id: member.row.id, code: s.subsystem, name: input.name, service_id: svc?.id ?? null }),
      );
    },
    async registerService(actor: Actor, input: ServiceInput) {
      requireAdmin(actor);
      const d = await directory.get();
      const sub = d.subsystems.get(input.subsystem);
      if (!sub) throw new NotFound(`No subsystem ${input.subsystem}`);
      if (!isPart(input.code)) throw new BadRequest('A service code is 1–64 characters without "/"');
      if (d.services.has(`${input.subsystem}/${input.code}`)) throw new Conflict(`Service ${input.subsystem}/${input.code} already exists`);
      if (!input.openapi || typeof input.openapi !== 'object' || !('openapi' in input.openapi))
        throw new BadRequest('The service needs an OpenAPI 3 description');
      return change(actor, 'exchange.service.register', `exchange.service:${input.subsystem}/${input.code}`, async (tx) => {
        const row = await store.insertService(tx, {
          subsystem_id: sub.row.id,
          code: input.code,
          version: input.version ?? 'v1',
          title: input.title,
          title_cy: input.titleCy ?? null,
          description: input.description ?? '',
          openapi: input.openapi,
          url: url(input.url),
          timeout_ms: input.timeoutMs ?? 5000,
          max_bytes: input.maxBytes ?? 1024 * 1024,
          catalogue_service_id: input.catalogueServiceId ?? null,
        });
        for (const a of input.attributes)
          await store.insertAttribute(tx, {
            service_id: row.id,
            name: a.name,
            title: a.title,
            title_cy: a.titleCy ?? null,
            dpv_category: a.dpvCategory,
            sensitivity: a.sensitivity,
          });
        return row;
      });
    },
    async setServiceUrl(actor: Actor, service: string, to: string) {
      requireAdmin(actor);
      const s = (await directory.get()).services.get(service);
      if (!s) throw new NotFound(`No service ${service}`);
      const u = url(to);
      return change(actor, 'exchange.service.url', `exchange.service:${service}`, async (tx) => {
        await store.setServiceUrl(tx, s.row.id, u);
        return { service, url: u };
      });
    },
    async registerBasis(actor: Actor, b: BasisRow) {
      requireAdmin(actor);
      if (!BASIS.test(b.id) || b.id.startsWith('consent:')) throw new BadRequest('A basis id is statute:{id} or public-task:{id}');
      if (!b.citation.trim()) throw new BadRequest('A legal basis needs its citation');
      return change(actor, 'exchange.basis.register', `exchange.basis:${b.id}`, async (tx) => {
        await store.insertBasis(tx, b);
        return b;
      });
    },
    async grant(
      actor: Actor,
      input: { client: string; service: string; purposes: string[]; attributes: string[]; bases: string[]; covertDays?: number | null },
    ): Promise<RightRow> {
      requireAdmin(actor);
      const d = await directory.get();
      if (!parseSubsystem(input.client))
        throw new BadRequest(`The client must be a subsystem {instance}/{class}/{member}/{subsystem}, got "${input.client}"`, [
          { field: 'client', message: 'Enter a client subsystem' },
        ]);
      if (!parseService(input.service))
        throw new BadRequest(`"${input.service}" is not a service identifier`, [{ field: 'service', message: 'Choose a service' }]);
      const s = d.services.get(input.service);
      if (!s) throw new NotFound(`No service ${input.service} on this exchange`);
      if (!input.purposes.length || !input.purposes.every((p) => PURPOSE.test(p)))
        throw new BadRequest('Give one or more DPV purposes, e.g. dpv:ServiceProvision', [
          { field: 'purposes', message: 'Give one or more DPV purposes' },
        ]);
      const unknownAttr = input.attributes.filter((a) => !s.attributes.some((x) => x.name === a));
      if (!input.attributes.length || unknownAttr.length)
        throw new BadRequest(`Unknown attributes of ${input.service}: ${unknownAttr.join(', ') || '(none given)'}`, [
          { field: 'attributes', message: 'Choose attributes of the service' },
        ]);
      for (const b of input.bases) {
        if (b !== 'consent' && !d.bases.has(b))
          throw new BadRequest(`The legal basis ${b} is not registered`, [{ field: 'bases', message: 'Choose registered legal bases' }]);
      }
      if (!input.bases.length) throw new BadRequest('Give at least one legal basis', [{ field: 'bases', message: 'Choose a legal basis' }]);
      if (input.covertDays && !input.bases.some((b) => d.bases.get(b)?.covert))
        throw new BadRequest('Covert use needs a legal basis that allows it', [
          { field: 'covertDays', message: 'Covert use needs a covert basis' },
        ]);
      return change(actor, 'exchange.right.grant', `exchange.right:${input.client}→${input.service}`, (tx) =>
        store.insertRight(tx, {
          client: input.client,
          service_id: s.row.id,
          purposes: input.purposes,
          attributes: input.attributes,
          bases: input.bases,
          covert_days: input.covertDays ?? null,
          created_by: actorName(actor),
        }),
      );
    },
    async revoke(actor: Actor, id: string) {
      requireAdmin(actor);
      if (!/^[0-9a-f-]{36}$/i.test(id)) throw new NotFound(`No access right ${id}`);
      return change(actor, 'exchange.right.revoke', `exchange.right:${id}`, async (tx) => {
        if (!(await store.revokeRight(tx, id))) throw new NotFound(`No live access right ${id}`);
        return { id, revoked: true };
      });
    },
    /** `cityscape exchange peers add URL`: fetch, verify and pin another node's trust list. */
    async addPeer(actor: Actor, peerUrl: string) {
      requireAdmin(actor);
      const base = url(peerUrl).replace(/\/+$/, '');
      let list: TrustList;
      try {
        const res = await fetch(`${base}/exchange/trust`, { signal: AbortSignal.timeout(10_000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        list = (await res.json()) as TrustList;
      } catch (err: any) {
        throw new BadRequest(`Could not read ${base}/exchange/trust: ${err?.message ?? err}`);
      }
      const keys = new Map((list.node?.keys ?? []).map((k) => [String(k.kid), k]));
      if (!verifyTrustList(list, (kid) => (keys.has(kid) ? publicKeyFromJwk(keys.get(kid)!) : null)))
        throw new BadRequest(`The trust list at ${base} is not signed by its node's key`);
      if (list.node.id === (await directory.get()).node.id) throw new BadRequest('That is this node');
      return change(actor, 'exchange.peer.add', `exchange.peer:${base}`, (tx) =>
        store.upsertPeer(tx, { url: base, node_id: list.node.id, trust: list, node_keys: list.node.keys }),
      );
    },
    async refreshPeers() {
      for (const p of await store.peers(db)) {
        try {
          const res = await fetch(`${p.url}/exchange/trust`, { signal: AbortSignal.timeout(10_000) });
          const list = (await res.json()) as TrustList;
          const keys = new Map(p.node_keys.map((k) => [String(k.kid), k]));
          if (!verifyTrustList(list, (kid) => (keys.has(kid) ? publicKeyFromJwk(keys.get(kid)!) : null))) continue; // keys pinned at add
          await db.transaction(async (tx) => {
            await store.refreshPeer(tx, p.id, list);
            await directory.notify(tx);
          });
          directory.invalidate();
        } catch (err) {
          k.log.warn({ err, peer: p.url }, 'exchange: refreshing a peer failed');
        }
      }
    },
  };
}
export type ExchangeService = ReturnType<typeof createExchangeService>;
