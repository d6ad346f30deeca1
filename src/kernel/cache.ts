// The one in-process read cache: LRU, bounded, with a time-to-live, plus a generation number so
// a value computed before an invalidation is never stored after it. `kernel.caches` makes the
// named ones that every process clears together: `invalidate(key)` forgets a key here and, by
// one PostgreSQL NOTIFY channel, in every other process sharing the database (on commit when
// given the transaction that made the change). The TTL bounds staleness should a NOTIFY be lost.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db, Queryable } from './db.js';

export interface CacheOptions {
  /** How long a value may be used (0: never stored). */
  ttlMs: number;
  /** Most entries kept; the least recently used goes first. */
  max: number;
}

export interface SharedCacheOptions extends CacheOptions {
  /** Called when another process invalidates this cache (after it is cleared here), e.g. to clear caches derived from it. */
  onRemoteInvalidate?(key: string | undefined): void;
}

export interface Cache<T> {
  get(key: string): T | undefined;
  set(key: string, value: T, generation?: number): void;
  /** The cached value, or compute it (concurrent callers share one computation; a failure is not kept). */
  wrap(key: string, compute: () => Promise<T>): Promise<T>;
  delete(key: string): void;
  clear(): void;
  readonly generation: number;
  readonly size: number;
}

export function createCache<T>(opts: CacheOptions): Cache<T> {
  const entries = new Map<string, { value: T; expires: number }>();
  const pending = new Map<string, Promise<T>>();
  let generation = 0;
  const cache: Cache<T> = {
    get generation() {
      return generation;
    },
    get size() {
      return entries.size;
    },
    get(key) {
      const e = entries.get(key);
      if (!e) return undefined;
      if (e.expires < Date.now()) {
        entries.delete(key);
        return undefined;
      }
      entries.delete(key); // refresh its place in the LRU order
      entries.set(key, e);
      return e.value;
    },
    set(key, value, gen = generation) {
      if (gen !== generation || opts.ttlMs <= 0) return;
      entries.delete(key);
      entries.set(key, { value, expires: Date.now() + opts.ttlMs });
      if (entries.size > opts.max) entries.delete(entries.keys().next().value as string);
    },
    async wrap(key, compute) {
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
      const inflight = pending.get(key);
      if (inflight) return inflight;
      const gen = generation;
      const p = compute()
        .then((v) => {
          cache.set(key, v, gen);
          return v;
        })
        .finally(() => {
          if (pending.get(key) === p) pending.delete(key);
        });
      pending.set(key, p);
      return p;
    },
    delete(key) {
      // A computation under way for this key may have read the old value: it must not be stored.
      if (pending.delete(key)) generation += 1;
      entries.delete(key);
    },
    clear() {
      generation += 1;
      entries.clear();
      pending.clear();
    },
  };
  return cache;
}

export interface SharedCache<T> extends Cache<T> {
  readonly name: string;
  /**
   * Forgets `key` (every key when omitted) in this process at once and in every other process
   * by NOTIFY — sent with `tx` when given, so others hear of it when the change commits.
   */
  invalidate(key?: string, tx?: Queryable): Promise<void>;
}

export interface Caches {
  /** A cache named `<module>.<what>`, cleared in every process by `invalidate` (a second one of a name replaces the first). */
  create<T>(name: string, opts: SharedCacheOptions): SharedCache<T>;
  /** Every cache with its size and bound (for `/metrics` and the tests). */
  list(): Array<{ name: string; size: number; max: number; ttlMs: number }>;
  /** Starts hearing other processes' invalidations (buildApp does, before serving). */
  listen(): Promise<void>;
  stop(): Promise<void>;
}

export const CACHE_CHANNEL = 'cityscape_cache';

export function createCaches(db: Db, log: Logger): Caches {
  const all = new Map<string, { cache: SharedCache<unknown>; opts: SharedCacheOptions }>();
  const self = randomUUID().slice(0, 8); // this process's messages come back to it: skip those
  let unlisten: (() => Promise<void>) | undefined;
  const heard = (payload: string) => {
    // "<origin> <cache name> [key]": names and origins never contain spaces; keys may.
    const [origin, name] = payload.split(' ', 2);
    if (origin === self) return;
    const key = payload.slice(origin.length + name.length + 2);
    const entry = all.get(name);
    if (!entry) return;
    if (key) entry.cache.delete(key);
    else entry.cache.clear();
    entry.opts.onRemoteInvalidate?.(key || undefined);
  };
  return {
    create<T>(name: string, opts: SharedCacheOptions): SharedCache<T> {
      if (/\s/.test(name)) throw new Error(`cache name "${name}" must not contain spaces`);
      const cache = createCache<T>(opts) as SharedCache<T>;
      Object.defineProperty(cache, 'name', { value: name });
      cache.invalidate = async (key, tx) => {
        if (key) cache.delete(key);
        else cache.clear();
        // PostgreSQL caps a NOTIFY payload at 8000 bytes; a longer key clears the whole cache elsewhere.
        const k = key && Buffer.byteLength(key) < 7000 ? key : '';
        await (tx ?? db).query('SELECT pg_notify($1, $2)', [CACHE_CHANNEL, `${self} ${name} ${k}`]);
      };
      all.set(name, { cache: cache as SharedCache<unknown>, opts });
      return cache;
    },
    list: () => [...all.values()].map(({ cache, opts }) => ({ name: cache.name, size: cache.size, max: opts.max, ttlMs: opts.ttlMs })),
    async listen() {
      if (unlisten) return;
      unlisten = await db.listen(CACHE_CHANNEL, heard).catch((err) => {
        log.warn({ err }, 'cache invalidations from other processes unavailable: caches rely on their TTL');
        return undefined;
      });
    },
    async stop() {
      await unlisten?.();
      unlisten = undefined;
    },
  };
}
