// The flag store: every service's flag documents (per environment) held compiled in memory, so
// evaluation never waits on the database. A change is written with its revision, audit entry
// and outbox event in one transaction, then announced with NOTIFY; every process reloads that
// one document (and tells its event-stream clients) as soon as the notification arrives.
import type { Logger } from 'pino';
import type { Db } from '../../kernel/db.js';
import type { Audit } from '../../kernel/audit.js';
import type { Events } from '../../kernel/events.js';
import { etagOf, parseDocument, resolveFlag, type CompiledSet, type FlagDocument, type Problem, type Resolution } from './flagd.js';
import { store, type Environment } from './store.js';
import { InvalidDocument } from './errors.js';

export const FLAGS_CHANNEL = 'experiments_flags';

export interface LoadedSet {
  serviceId: string;
  environment: Environment;
  version: number;
  etag: string;
  updatedAt: string;
  set: CompiledSet;
}
export type ChangeListener = (serviceId: string, environment: Environment, version: number) => void;

const EMPTY: CompiledSet = { document: { flags: {} }, flags: new Map(), metadata: {} };

export function createFlagStore(deps: { db: Db; log: Logger; audit: Audit; events: Events }) {
  const { db, log } = deps;
  const sets = new Map<string, LoadedSet>();
  const listeners = new Set<ChangeListener>();
  const k = (serviceId: string, env: Environment) => `${serviceId}|${env}`;
  let unlisten: (() => Promise<void>) | undefined;
  let loaded = false;

  function install(serviceId: string, env: Environment, version: number, updatedAt: string, doc: unknown): void {
    const cur = sets.get(k(serviceId, env));
    if (cur && cur.version >= version) return;
    const parsed = parseDocument(doc);
    if (!parsed.ok) {
      // Stored documents were valid when written; a schema change since must not stop start-up.
      log.error({ serviceId, env, problems: parsed.problems }, 'experiments: a stored flag document no longer validates');
      return;
    }
    sets.set(k(serviceId, env), { serviceId, environment: env, version, updatedAt, etag: etagOf(doc, version), set: parsed.set });
    for (const fn of listeners) fn(serviceId, env, version);
  }

  async function reload(serviceId: string, env: Environment): Promise<void> {
    const row = await store.set(db, serviceId, env);
    if (row) install(serviceId, env, row.version, row.updated_at, row.document);
  }

  return {
    /** Load every document and follow changes from every process. */
    async start(): Promise<void> {
      if (loaded) return;
      loaded = true;
      unlisten = await db.listen(FLAGS_CHANNEL, (payload) => {
        const [serviceId, env, version] = payload.split('|');
        if (env !== 'test' && env !== 'live') return;
        const cur = sets.get(k(serviceId, env));
        if (cur && cur.version >= Number(version)) return;
        reload(serviceId, env).catch((err) => log.error({ err }, 'experiments: reloading flags failed'));
      });
      for (const row of await store.allSets(db)) install(row.service_id, row.environment, row.version, row.updated_at, row.document);
    },
    async stop(): Promise<void> {
      await unlisten?.();
      unlisten = undefined;
      loaded = false;
    },
    onChange(fn: ChangeListener): () => void {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    get(serviceId: string, env: Environment): LoadedSet | null {
      return sets.get(k(serviceId, env)) ?? null;
    },
    compiled(serviceId: string, env: Environment): CompiledSet {
      return sets.get(k(serviceId, env))?.set ?? EMPTY;
    },
    /** Check a document without saving it. */
    check(doc: unknown): Problem[] {
      const r = parseDocument(doc);
      return r.ok ? [] : r.problems;
    },
    /** Replace a service's document for an environment (validated). Returns the new version. */
    async save(
      actor: string,
      service: { id: string; organisationId: string | null },
      env: Environment,
      doc: unknown,
      summary: string,
    ): Promise<LoadedSet> {
      const parsed = parseDocument(doc);
      if (!parsed.ok) throw new InvalidDocument(parsed.problems);
      const { version, updatedAt } = await db.transaction(async (tx) => {
        const before = await store.set(tx, service.id, env, true);
        const version = await store.save(tx, service.id, env, doc, actor, summary);
        await deps.audit.record(tx, {
          actor,
          action: 'experiments.flags.save',
          subject: `experiments.flags:${service.id}:${env}`,
          organisationId: service.organisationId,
          before: before ? { version: before.version } : null,
          after: { version, summary, flags: Object.keys((doc as FlagDocument).flags) },
        });
        await deps.events.append(tx, {
          stream: `experiments.flags:${service.id}`,
          type: 'experiments.flags.changed',
          payload: { service_id: service.id, environment: env, version },
        });
        await tx.query('SELECT pg_notify($1, $2)', [FLAGS_CHANNEL, `${service.id}|${env}|${version}`]);
        return { version, updatedAt: new Date().toISOString() };
      });
      install(service.id, env, version, updatedAt, doc);
      return sets.get(k(service.id, env))!;
    },
    revisions: (serviceId: string, env: Environment) => store.revisions(db, serviceId, env),
    evaluate(serviceId: string, env: Environment, flagKey: string, context: Record<string, unknown>): Resolution {
      const flag = sets.get(k(serviceId, env))?.set.flags.get(flagKey);
      if (!flag)
        return {
          key: flagKey,
          reason: 'ERROR',
          errorCode: 'FLAG_NOT_FOUND',
          errorDetails: `Flag '${flagKey}' was not found`,
          metadata: {},
        };
      return resolveFlag(flag, context);
    },
    evaluateAll(serviceId: string, env: Environment, context: Record<string, unknown>): Resolution[] {
      const out: Resolution[] = [];
      for (const flag of sets.get(k(serviceId, env))?.set.flags.values() ?? []) out.push(resolveFlag(flag, context));
      return out;
    },
  };
}
export type FlagStore = ReturnType<typeof createFlagStore>;
