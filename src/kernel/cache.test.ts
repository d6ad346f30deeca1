// The kernel's one cache: bounded LRU with a TTL and generations, and named caches that every
// process clears together through one NOTIFY channel (two Caches here stand for two processes:
// on PostgreSQL each has its own pool, on PGlite they share the one database).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createCache, createCaches, type Caches } from './cache.js';
import { openDb, type Db } from './db.js';
import { testDb } from '../../test/helpers.js';

const cleanups: Array<() => Promise<void>> = [];
let db: Db;
let other: Db;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  const t = await testDb(cleanups);
  db = t.db;
  if (t.url) {
    other = await openDb(t.url, 'memory://');
    cleanups.push(() => other.close());
  } else other = db;
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('createCache', () => {
  it('keeps at most max entries, dropping the least recently used', () => {
    const c = createCache<number>({ ttlMs: 60_000, max: 3 });
    for (const k of ['a', 'b', 'c']) c.set(k, k.charCodeAt(0));
    expect(c.get('a')).toBe(97); // a is now the most recently used
    c.set('d', 100);
    expect(c.size).toBe(3);
    expect(c.get('b')).toBeUndefined();
    expect([c.get('a'), c.get('c'), c.get('d')]).toEqual([97, 99, 100]);
    c.delete('a');
    expect(c.get('a')).toBeUndefined();
  });

  it('keeps null (a remembered "no such thing") apart from a miss, and stores nothing with a TTL of 0', () => {
    const c = createCache<string | null>({ ttlMs: 60_000, max: 10 });
    c.set('unknown', null);
    expect(c.get('unknown')).toBeNull();
    expect(c.get('never')).toBeUndefined();
    const none = createCache<number>({ ttlMs: 0, max: 10 });
    none.set('a', 1);
    expect(none.get('a')).toBeUndefined();
  });

  it('never stores a value computed before an invalidation', async () => {
    const c = createCache<string>({ ttlMs: 60_000, max: 10 });
    let release!: (v: string) => void;
    const computing = c.wrap('k', () => new Promise<string>((r) => (release = r)));
    const shared = c.wrap('k', async () => 'second computation');
    c.delete('k'); // the row changed while it was being read
    release('old');
    expect(await computing).toBe('old');
    expect(await shared).toBe('old'); // concurrent callers shared the one computation
    expect(c.get('k')).toBeUndefined();
    const gen = c.generation;
    c.clear();
    c.set('k', 'stale', gen);
    expect(c.get('k')).toBeUndefined();
    await expect(c.wrap('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await c.wrap('k', async () => 'fresh')).toBe('fresh');
  });
});

describe('kernel.caches: named caches cleared in every process', () => {
  let a: Caches;
  let b: Caches;
  beforeAll(async () => {
    a = createCaches(db, log);
    b = createCaches(other, log);
    await a.listen();
    await b.listen();
    cleanups.push(
      () => a.stop(),
      () => b.stop(),
    );
  });

  it('a key invalidated in one process is forgotten in the other; the rest stay', async () => {
    const heard: Array<string | undefined> = [];
    const inA = a.create<string>('test.things', { ttlMs: 60_000, max: 100 });
    const inB = b.create<string>('test.things', { ttlMs: 60_000, max: 100, onRemoteInvalidate: (k) => heard.push(k) });
    const unrelated = b.create<string>('test.others', { ttlMs: 60_000, max: 100 });
    for (const c of [inA, inB, unrelated]) {
      c.set('one', '1');
      c.set('two words', '2');
    }
    await inA.invalidate('two words');
    expect(inA.get('two words')).toBeUndefined(); // at once here
    await until(() => inB.get('two words') === undefined);
    expect(heard).toEqual(['two words']);
    expect(inB.get('one')).toBe('1');
    expect(unrelated.get('two words')).toBe('2');

    await inA.invalidate();
    await until(() => inB.get('one') === undefined);
    expect(heard).toEqual(['two words', undefined]);
    expect(unrelated.get('one')).toBe('1');
    expect(b.list()).toContainEqual({ name: 'test.others', size: 2, max: 100, ttlMs: 60_000 });
  });

  it('an invalidation sent in a transaction reaches the others only if it commits', async () => {
    const inA = a.create<string>('test.tx', { ttlMs: 60_000, max: 100 });
    const inB = b.create<string>('test.tx', { ttlMs: 60_000, max: 100 });
    inB.set('kept', 'yes');
    inB.set('marker', 'yes');
    await db
      .transaction(async (tx) => {
        await inA.invalidate('kept', tx);
        throw new Error('rolled back');
      })
      .catch(() => {});
    await db.transaction((tx) => inA.invalidate('marker', tx));
    await until(() => inB.get('marker') === undefined); // notifications arrive in commit order
    expect(inB.get('kept')).toBe('yes');
  });
});
