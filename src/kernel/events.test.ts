// The outbox: events commit with their state, arrive in order, resume after a restart,
// and a handler's own writes apply exactly once.
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Db } from './db.js';
import { migrate } from './migrations.js';
import { createEvents, type StoredEvent } from './events.js';
import { KERNEL_MIGRATIONS } from '../app.js';
import pg from 'pg';
import { freshPostgres, testDb } from '../../test/helpers.js';

const log = pino({ level: 'silent' });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function database(): Promise<Db> {
  const { db } = await testDb(cleanups);
  await migrate(db, [KERNEL_MIGRATIONS]);
  await db.exec('CREATE TABLE public.handled (event_id bigint, type text)');
  return db;
}

describe('events outbox', () => {
  it('delivers only committed events, in order, each once', async () => {
    const db = await database();
    const events = createEvents(db, log);
    const seen: StoredEvent[] = [];
    events.subscribe('recorder', async (e, tx) => {
      seen.push(e);
      await tx.query('INSERT INTO public.handled VALUES ($1, $2)', [e.id, e.type]);
    });
    await db.transaction(async (tx) => {
      for (let i = 0; i < 5; i++) await events.append(tx, { stream: 's:1', type: 'thing.happened', payload: { i } });
    });
    await db
      .transaction(async (tx) => {
        await events.append(tx, { stream: 's:1', type: 'thing.rolled-back' });
        throw new Error('abort');
      })
      .catch(() => {});
    await events.drain();
    await events.drain();
    expect(seen.map((e) => e.payload.i)).toEqual([0, 1, 2, 3, 4]);
    expect(seen.some((e) => e.type === 'thing.rolled-back')).toBe(false);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.handled');
    expect(rows[0].n).toBe(5);
  });

  it('hands a batch subscriber each batch of matching events at once, in order', async () => {
    const db = await database();
    const events = createEvents(db, log);
    const batches: number[][] = [];
    events.subscribeBatch('bulk', async (list) => void batches.push(list.map((e) => e.payload.i)), ['bulk.*'], { batch: 4 });
    await db.transaction(async (tx) => {
      for (let i = 0; i < 10; i++) await events.append(tx, { stream: 's', type: i % 5 === 4 ? 'other.x' : 'bulk.x', payload: { i } });
    });
    await events.drain();
    expect(batches).toEqual([[0, 1, 2, 3], [5, 6, 7], [8]]); // 4 read per batch; non-matching left out; no empty call
  });

  it('resumes from its cursor after a restart and filters by type', async () => {
    const db = await database();
    const first = createEvents(db, log);
    const a: number[] = [];
    first.subscribe(
      'audit-like',
      async (e) => {
        a.push(e.payload.n);
      },
      ['order.*'],
    );
    await db.transaction(async (tx) => {
      await first.append(tx, { stream: 'o:1', type: 'order.placed', payload: { n: 1 } });
      await first.append(tx, { stream: 'o:1', type: 'other.thing', payload: { n: 99 } });
    });
    await first.drain();
    expect(a).toEqual([1]);

    // A new process (new Events object) with the same subscriber name starts after event 1.
    const second = createEvents(db, log);
    const b: number[] = [];
    second.subscribe(
      'audit-like',
      async (e) => {
        b.push(e.payload.n);
      },
      ['order.*'],
    );
    await db.transaction(async (tx) => {
      await second.append(tx, { stream: 'o:1', type: 'order.paid', payload: { n: 2 } });
    });
    await second.drain();
    expect(b).toEqual([2]);
  });

  it('retries a failing handler without skipping the event (at least once)', async () => {
    const db = await database();
    const events = createEvents(db, log);
    let attempts = 0;
    const done: number[] = [];
    events.subscribe('flaky', async (e, tx) => {
      attempts += 1;
      await tx.query('INSERT INTO public.handled VALUES ($1, $2)', [e.id, 'attempt']);
      if (attempts === 1) throw new Error('temporary failure');
      done.push(e.payload.n);
    });
    await db.transaction((tx) => events.append(tx, { stream: 'x', type: 'x.y', payload: { n: 7 } }));
    await events.drain(); // fails: rolled back, cursor not moved
    expect(done).toEqual([]);
    await new Promise((r) => setTimeout(r, 600)); // past the first backoff
    await events.drain();
    expect(done).toEqual([7]);
    // The failed attempt's write was rolled back with it: exactly one row.
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.handled');
    expect(rows[0].n).toBe(1);
  });

  it('reads events in transaction order, not in the order of their ids as text (9 before 10), losing none', async () => {
    const db = await database();
    const events = createEvents(db, log, { batch: 1 });
    const got: string[] = [];
    events.subscribe('order', async (e) => void got.push(e.type));
    // Two long-finished transactions whose ids sort the other way as text.
    await db.query("INSERT INTO kernel.events (tx, stream, type) VALUES ('9'::xid8, 's', 'nine'), ('10'::xid8, 's', 'ten')");
    await events.drain();
    expect(got).toEqual(['nine', 'ten']);
  });

  it('an idle poll opens no transaction, and events committed after it still arrive, from any process', async () => {
    const db = await database();
    let transactions = 0;
    const counted: Db = { ...db, transaction: (fn) => (transactions++, db.transaction(fn)) };
    const mine = createEvents(counted, log);
    const theirs = createEvents(db, log); // another process with the same subscriber
    const got: number[] = [];
    const record = async (e: StoredEvent) => void got.push(e.payload.n);
    mine.subscribe('shared', record, ['n.*']);
    mine.subscribe('other', async () => {}, ['m.*']);
    theirs.subscribe('shared', record, ['n.*']);
    await db.transaction((tx) => mine.append(tx, { stream: 'n', type: 'n.x', payload: { n: 1 } }));
    await mine.drain();
    expect(got).toEqual([1]);
    transactions = 0;
    await mine.drain();
    await mine.drain();
    expect(transactions).toBe(0); // nothing new: one read of the newest event, no transaction per subscriber
    await db.transaction((tx) => mine.append(tx, { stream: 'n', type: 'n.x', payload: { n: 2 } }));
    await theirs.drain(); // the other process handles it and moves the shared cursor
    await db.transaction((tx) => mine.append(tx, { stream: 'm', type: 'm.x', payload: { n: 3 } }));
    await db.transaction((tx) => mine.append(tx, { stream: 'n', type: 'n.x', payload: { n: 4 } }));
    await mine.drain();
    expect(got).toEqual([1, 2, 4]);
    transactions = 0;
    await mine.drain();
    expect(transactions).toBe(0);
  });

  it('handles in the same drain the events a handler appends', async () => {
    const db = await database();
    const events = createEvents(db, log);
    const got: string[] = [];
    events.subscribe('late', async (e) => void got.push(e.type), ['second']);
    events.subscribe('chain', async (e, tx) => events.append(tx, { stream: 's', type: 'second' }), ['first']);
    await db.transaction((tx) => events.append(tx, { stream: 's', type: 'first' }));
    await events.drain();
    expect(got).toEqual(['second']);
  });

  it('wakes subscribers on commit through LISTEN/NOTIFY', async () => {
    const db = await database();
    const events = createEvents(db, log, { pollMs: 60_000 }); // polling alone would not deliver in time
    const got = new Promise<StoredEvent>((resolve) => events.subscribe('waker', async (e) => resolve(e)));
    await events.start();
    cleanups.push(() => events.stop());
    await new Promise((r) => setTimeout(r, 200));
    await db.transaction((tx) => events.append(tx, { stream: 'w', type: 'w.now' }));
    const e = await Promise.race([got, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
    expect(e?.type).toBe('w.now');
  });

  it.skipIf(!process.env.DATABASE_URL)('is held back by an open transaction of its own database, not of another', async () => {
    const db = await database();
    const events = createEvents(db, log);
    const seen: string[] = [];
    events.subscribe('horizon', async (e) => {
      seen.push(e.type);
    });
    const other = await freshPostgres(process.env.DATABASE_URL!);
    cleanups.push(other.drop);
    const elsewhere = new pg.Client({ connectionString: other.url });
    await elsewhere.connect();
    cleanups.push(() => elsewhere.end());
    // A long transaction in another database of the same server, holding a transaction id.
    await elsewhere.query('BEGIN; SELECT pg_current_xact_id()');
    await db.transaction((tx) => events.append(tx, { stream: 'h', type: 'h.first' }));
    await events.drain();
    expect(seen).toEqual(['h.first']);

    // An open transaction in our own database that began earlier holds later events back
    // (it might still commit an event that sorts first) until it ends.
    const url = (await db.query<{ u: string }>('SELECT current_database() AS u')).rows[0].u;
    const ours = new URL(process.env.DATABASE_URL!);
    ours.pathname = `/${url}`;
    const mine = new pg.Client({ connectionString: ours.toString() });
    await mine.connect();
    cleanups.push(() => mine.end());
    await mine.query('BEGIN');
    await mine.query(`INSERT INTO kernel.events (stream, type) VALUES ('h', 'h.slow')`);
    await db.transaction((tx) => events.append(tx, { stream: 'h', type: 'h.fast' }));
    const pending = events.drain();
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual(['h.first']);
    await mine.query('COMMIT');
    await pending;
    await events.drain();
    expect(seen).toEqual(['h.first', 'h.slow', 'h.fast']);
    await elsewhere.query('ROLLBACK');
  });
});
