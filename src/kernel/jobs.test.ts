// The job queue on both databases: work runs, failures retry, a job queued in a
// transaction that rolls back never runs.
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
});
