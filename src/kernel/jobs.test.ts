// The job queue on both databases: work runs, failures retry, a job queued in a
// transaction that rolls back never runs; many jobs go in one statement, a batch worker can
// fail some jobs of its batch, and wake() makes an idle worker fetch at once.
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Db } from './db.js';
import { createJobs, type Jobs } from './jobs.js';
import { testDb } from '../../test/helpers.js';

const log = pino({ level: 'silent' });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function queue(): Promise<{ jobs: Jobs; db: Db }> {
  const { db, url } = await testDb(cleanups);
  const jobs = createJobs(db, log, { databaseUrl: url });
  await jobs.start();
  cleanups.push(() => jobs.stop());
  return { jobs, db };
}

const until = async (check: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return check();
};

describe('jobs', () => {
  it('runs queued work and retries a failure with backoff', async () => {
    const { jobs } = await queue();
    const done: string[] = [];
    let failures = 0;
    await jobs.work<{ n: string }>('test.echo', async (data) => {
      if (data.n === 'flaky' && failures++ === 0) throw new Error('first try fails');
      done.push(data.n);
    });
    await jobs.send('test.echo', { n: 'a' });
    await jobs.send('test.echo', { n: 'flaky' }, { retryLimit: 3, retryDelay: 1, retryBackoff: false });
    expect(await until(() => done.length === 2)).toBe(true);
    expect(done.sort()).toEqual(['a', 'flaky']);
    expect(failures).toBe(2);
  });

  it('enqueues inside a transaction: rolled back means never queued', async () => {
    const { jobs, db } = await queue();
    const seen: string[] = [];
    await jobs.send('test.tx', { n: 'warm-up' });
    await db.transaction(async (tx) => {
      await jobs.send('test.tx', { n: 'kept' }, { tx });
    });
    await db
      .transaction(async (tx) => {
        await jobs.send('test.tx', { n: 'dropped' }, { tx });
        throw new Error('roll back');
      })
      .catch(() => {});
    await jobs.work<{ n: string }>('test.tx', async (d) => {
      seen.push(d.n);
    });
    expect(await until(() => seen.length >= 2)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    expect(seen.sort()).toEqual(['kept', 'warm-up']);
  });

  it('sends many jobs in one transaction, works them in batches, and retries only the jobs a batch names as failed', async () => {
    const { jobs, db } = await queue();
    await expect(db.transaction((tx) => jobs.sendMany([{ name: 'test.many', data: { n: 0 } }], { tx }))).rejects.toThrow(
      /call jobs.prepare\('test.many'\)/,
    );
    await jobs.prepare('test.many');
    await db.transaction((tx) =>
      jobs.sendMany(
        [1, 2, 3, 4].map((n) => ({ name: 'test.many', data: { n }, options: { retryLimit: 2, retryDelay: 1, retryBackoff: false } })),
        { tx },
      ),
    );
    await db
      .transaction(async (tx) => {
        await jobs.sendMany([{ name: 'test.many', data: { n: 99 } }], { tx });
        throw new Error('roll back');
      })
      .catch(() => {});
    const seen: number[] = [];
    let failedOnce = false;
    await jobs.workBatch<{ n: number }>(
      'test.many',
      async (batch) => {
        seen.push(...batch.map((j) => j.data.n));
        const three = batch.find((j) => j.data.n === 3);
        if (three && !failedOnce) {
          failedOnce = true;
          return { failed: [{ id: three.id, error: new Error('try again') }] };
        }
      },
      { batchSize: 10 },
    );
    expect(await until(() => seen.length === 5)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    expect(seen.sort()).toEqual([1, 2, 3, 3, 4]); // 3 once more; 99 never
  });

  it('creates a queue once however many callers, in two processes at once, ask for it together', async () => {
    const { db, url } = await testDb(cleanups);
    // Two queues on one database, as two processes have; PGlite is one process's, so one there.
    const one = createJobs(db, log, { databaseUrl: url });
    const two = url ? createJobs(db, log, { databaseUrl: url }) : one;
    cleanups.push(
      () => one.stop(),
      () => two.stop(),
    );
    await Promise.all([one.start(), two.start()]);
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).prepare('test.race', 'test.race-2')));
    const { rows } = await db.query<{ name: string }>(`SELECT name FROM pgboss.queue WHERE name LIKE 'test.race%' ORDER BY name`);
    expect(rows.map((r) => r.name)).toEqual(['test.race', 'test.race-2']);
  });

  it('wakes an idle worker at once rather than at its next poll', async () => {
    const { db, url } = await testDb(cleanups);
    const jobs = createJobs(db, log, { databaseUrl: url, pollingIntervalSeconds: 600 });
    await jobs.start();
    cleanups.push(() => jobs.stop());
    const seen: string[] = [];
    await jobs.workBatch<{ n: string }>(
      'test.wake',
      async (batch) => {
        seen.push(...batch.map((j) => j.data.n));
      },
      { batchSize: 5 },
    );
    await new Promise((r) => setTimeout(r, 500)); // the worker's first (empty) fetch is over: it sleeps for 600 s
    await jobs.sendMany([{ name: 'test.wake', data: { n: 'now' } }]);
    jobs.wake('test.wake');
    expect(await until(() => seen.length === 1, 20_000)).toBe(true);
  });
});
