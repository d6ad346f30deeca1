// What every part of the catalogue service shares: who is acting and what they may manage,
// lookups that fail with the catalogue's own NotFound errors, the cache of public reads, and
// `change`, which writes a change with its audit entry and event in one transaction and then
// clears the caches here and, through NOTIFY, in every other process.
import type { Kernel } from '../../kernel/module.js';
import type { Queryable } from '../../kernel/db.js';
import { Forbidden, NotFound } from '../../kernel/errors.js';
import { createCache } from '../../kernel/cache.js';
import { store, type StaffRow } from './store.js';

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

const CHANGED_CHANNEL = 'cityscape_catalogue';

export function createContext(k: Kernel) {
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

  /** May this actor manage things belonging to this organisation? */
  function canManage(actor: Actor, organisationId: string | null, level: 'org' | 'service' = 'org'): boolean {
    if (actor.kind !== 'staff') return true; // admin API keys and the CLI act for the platform
    if (actor.role === 'platform_admin') return true;
    if (!organisationId || actor.organisationId !== organisationId) return false;
    return actor.role === 'organisation_admin' || level === 'service';
  }

  return {
    k,
    db,
    events,
    canManage,
    require(actor: Actor, organisationId: string | null, level: 'org' | 'service' = 'org') {
      if (!canManage(actor, organisationId, level)) throw new Forbidden();
    },
    requirePlatformAdmin(actor: Actor) {
      if (actor.kind === 'staff' && actor.role !== 'platform_admin') throw new Forbidden('Only platform administrators can do this');
    },
    cached: <T>(key: string, fn: () => Promise<T>): Promise<T> => reads.wrap(key, fn),
    /** Called after every catalogue change (in this process or, via NOTIFY, another). */
    onChange(listener: () => void) {
      changeListeners.push(listener);
    },

    /** Run a change with its audit entry and event in one transaction (the caller's, when `within` is given). */
    async change<T>(
      actor: Actor,
      what: {
        action: string;
        subject: string;
        organisationId: string | null;
        /** The state before, or a read of it inside the transaction (after any lock it takes), for the audit entry. */
        before?: unknown;
        /** Another module's open transaction: this change commits or rolls back with its own writes. */
        within?: Queryable;
      },
      fn: (tx: Queryable, before: unknown) => Promise<T>,
    ): Promise<T> {
      const run = async (tx: Queryable) => {
        const before = typeof what.before === 'function' ? await (what.before as (tx: Queryable) => Promise<unknown>)(tx) : what.before;
        const after = await fn(tx, before);
        await audit.record(tx, {
          actor: actorName(actor),
          action: what.action,
          subject: what.subject,
          organisationId: what.organisationId,
          before: before ?? null,
          after,
        });
        await events.append(tx, {
          stream: what.subject,
          type: `catalogue.${what.action}`,
          payload: { subject: what.subject, actor: actorName(actor) },
        });
        await tx.query(`SELECT pg_notify('${CHANGED_CHANNEL}', '')`);
        return after;
      };
      // Inside a caller's transaction the NOTIFY (delivered on commit) clears every process's cache.
      const result = what.within ? await run(what.within) : await db.transaction(run);
      invalidate();
      return result;
    },

    async org(slug: string) {
      const o = await store.organisationBy(db, 'slug', slug);
      if (!o) throw new OrganisationNotFound(slug);
      return o;
    },
    /** `q`: a transaction already open (on PGlite a read outside it would wait for it to end). */
    async service(slug: string, q: Queryable = db) {
      const s = await store.serviceBy(q, 'slug', slug);
      if (!s) throw new ServiceNotFound(slug);
      return s;
    },
  };
}
export type Ctx = ReturnType<typeof createContext>;
