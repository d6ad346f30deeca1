// A small in-process read cache: LRU with a time-to-live, plus a generation number so a
// value computed before an invalidation is never stored after it. Modules clear it when
// their data changes (and on NOTIFY from other processes); the TTL bounds any staleness.
export interface Cache<T> {
  get(key: string): T | undefined;
  set(key: string, value: T, generation?: number): void;
  /** The cached value, or compute it (concurrent callers share one computation). */
  wrap(key: string, compute: () => Promise<T>): Promise<T>;
  clear(): void;
  readonly generation: number;
}

export function createCache<T>(opts: { ttlMs: number; max: number }): Cache<T> {
  const entries = new Map<string, { value: T; expires: number }>();
  const pending = new Map<string, Promise<T>>();
  let generation = 0;
  const cache: Cache<T> = {
    get generation() {
      return generation;
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
        .finally(() => pending.delete(key));
      pending.set(key, p);
      return p;
    },
    clear() {
      generation += 1;
      entries.clear();
      pending.clear();
    },
  };
  return cache;
}
