// What the consent use cases share: the kernel's parts, the signing key (loaded on first use),
// the decision cache, and short caches of what is read on every request (catalogue services,
// live agreements and their revisions) — dropped on every change here and, by NOTIFY, elsewhere.
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Db } from '../../kernel/db.js';
import type { Events } from '../../kernel/events.js';
import type { Audit } from '../../kernel/audit.js';
import { createCache, type Caches } from '../../kernel/cache.js';
import type { CatalogueService } from '../catalogue/index.js';
import { loadSigner, type Signer } from './keys.js';
import { createDecider } from './decide.js';
import { store, type AgreementRow, type PolicyRow } from './store.js';
import type { RevisionRow } from './revisions.js';
import type { ExchangeView } from './exchange.js';

/** Agreements changed (payload: agreement id, or '' for all): every process drops its copies. */
export const AGREEMENTS_CHANNEL = 'consent_agreements';

export interface ServiceInfo {
  id: string;
  slug: string;
  name: string;
  nameCy: string | null;
  organisation: { id: string; slug: string; name: string };
}

/** Who is calling: an organisation (one of its services' consent keys, or a staff member). */
export interface OrgScope {
  organisationId: string;
  serviceId: string | null;
  actor: string;
}

export interface ConsentDeps {
  config: Config;
  db: Db;
  log: Logger;
  events: Events;
  audit: Audit;
  caches: Caches;
  catalogue: CatalogueService;
  exchange?: ExchangeView;
}

export function createContext(deps: ConsentDeps) {
  const { db, config } = deps;
  let signerP: Promise<Signer> | undefined;
  const signer = () =>
    (signerP ??= loadSigner(db, config.encryptionKey).catch((err) => {
      signerP = undefined;
      throw err;
    }));
  const decider = createDecider(db);
  const services = createCache<ServiceInfo | null>({ ttlMs: 30_000, max: 5000 });
  const agreements = createCache<{ agreement: AgreementRow; policy: PolicyRow | null; revision: RevisionRow | null } | null>({
    ttlMs: 60_000,
    max: 5000,
  });

  async function service(id: string): Promise<ServiceInfo | null> {
    return services.wrap(id, async () => {
      const s = await deps.catalogue.getServiceById(id);
      return s
        ? {
            id: s.id,
            slug: s.slug,
            name: s.name,
            nameCy: s.name_cy,
            organisation: { id: s.organisation.id, slug: s.organisation.slug, name: s.organisation.name },
          }
        : null;
    });
  }

  /** An agreement (of any organisation) with its policy and latest revision, cached briefly. */
  async function agreement(id: string) {
    return agreements.wrap(id, async () => {
      const a = await store.agreement(db, null, id);
      if (!a) return null;
      const [policy, revision] = await Promise.all([
        a.policy_id ? store.policy(db, null, a.policy_id) : null,
        a.revision_id
          ? db.query<RevisionRow>('SELECT * FROM consent.revisions WHERE id = $1', [a.revision_id]).then((r) => r.rows[0] ?? null)
          : null,
      ]);
      return { agreement: a, policy, revision };
    });
  }

  return {
    ...deps,
    signer,
    decider,
    service,
    agreement,
    forgetAgreements: () => agreements.clear(),
    forgetServices: () => services.clear(),
    urls: {
      jwks: `${config.publicUrl}/consent/.well-known/jwks.json`,
      permissions: `${config.publicUrl}/your-data/permissions`,
    },
  };
}
export type Ctx = ReturnType<typeof createContext>;
