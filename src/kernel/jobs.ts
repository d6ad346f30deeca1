// One durable job queue for every module: pg-boss on the same database (PostgreSQL or
// PGlite), with retries and exponential backoff, safe to share between processes. Modules use
// only this interface (send, sendMany inside their own transaction, work, workBatch, wake), so
// the queue behind it could change without touching them.
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Db, Queryable } from './db.js';

export interface JobOptions {
  retryLimit?: number;
  retryDelay?: number;
  retryBackoff?: boolean;
  /** A time, or a number of seconds from now. */
  startAfter?: number | Date;
  singletonKey?: string;
  expireInSeconds?: number;
}
export interface Job<T> {
  id: string;
  name: string;
  data: T;
}
export type JobHandler<T> = (data: T, job: { id: string; name: string }) => Promise<void>;
/** A batch handler: throw to fail (and retry) every job of the batch, or name the ones that failed. */
export type BatchHandler<T> = (jobs: Job<T>[]) => Promise<void | { failed?: Array<{ id: string; error: unknown }> }>;
export interface NewJob {
  name: string;
  data: object;
  options?: JobOptions;
}

const DEFAULTS = { retryLimit: 5, retryDelay: 2, retryBackoff: true };

/** pg-boss talks to PGlite through this adapter: multi-statement SQL via exec, the rest via query. */
function adapter(db: Db | Queryable) {
  return {
    async executeSql(text: string, values?: unknown[]) {
      if ((!values || values.length === 0) && 'execRows' in db) return { rows: await db.execRows(text) };
      return db.query(text, values ?? []);
    },
  };
}

/** pg-boss's bulk-insert shape: startAfter as an ISO time or a number of seconds (as text). */
function insertable(j: NewJob): PgBoss.JobInsert {
  const { startAfter, ...rest } = j.options ?? {};
  return {
    name: j.name,
    data: j.data,
    ...rest,
    ...(startAfter === undefined ? {} : { startAfter: startAfter instanceof Date ? startAfter.toISOString() : String(startAfter) }),
  };
}

export function createJobs(
  db: Db,
  log: Logger,
  opts: { databaseUrl?: string; pollingIntervalSeconds?: number; maintenanceIntervalSeconds?: number } = {},
) {
  const boss = new PgBoss({
    ...(opts.databaseUrl ? { connectionString: opts.databaseUrl, max: 4 } : { db: adapter(db) }),
    schema: 'pgboss',
    schedule: false,
    supervise: true,
    maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 30,
    ...DEFAULTS,
  } as PgBoss.ConstructorOptions);
  boss.on('error', (err) => log.error({ err }, 'job queue error'));
  const queues = new Set<string>();
  const workers = new Map<string, string[]>(); // queue → this process's worker ids
  let started: Promise<unknown> | null = null;
  const pollingIntervalSeconds = opts.pollingIntervalSeconds ?? 0.5;

  async function start() {
    started ??= boss.start();
    await started;
  }

  /**
   * Creates a queue once per process (concurrent callers share one attempt). Two processes
   * creating the same queue at once can deadlock in pg-boss's create_queue: tried again.
   */
  const creating = new Map<string, Promise<void>>();
  function ensureQueue(name: string): Promise<void> {
    if (queues.has(name)) return Promise.resolve();
    let p = creating.get(name);
    if (!p) {
      p = (async () => {
        await start();
        for (let attempt = 1; ; attempt++) {
          try {
            await boss.createQueue(name, { name, ...DEFAULTS });
            break;
          } catch (err) {
            const code = (err as { code?: string }).code;
            if (attempt >= 5 || (code !== '40P01' && code !== '23505')) throw err;
          }
        }
        queues.add(name);
      })().finally(() => creating.delete(name));
      creating.set(name, p);
    }
    return p;
  }

  /**
   * Queues are created outside any transaction (creating one inside an open PGlite transaction
   * would wait on itself), so a transactional send needs its queues made beforehand: by
   * `prepare`, `work` or a plain `send`.
   */
  async function ready(names: string[], tx?: Queryable) {
    for (const name of new Set(names)) {
      if (queues.has(name)) continue;
      if (tx) throw new Error(`job queue "${name}" is not ready: call jobs.prepare('${name}') before sending inside a transaction`);
      await ensureQueue(name);
    }
  }

  function addWorker(name: string, id: string) {
    workers.set(name, [...(workers.get(name) ?? []), id]);
  }

  return {
    start,
    async stop() {
      if (started) await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
      started = null;
      workers.clear();
    },
    /** Start the queue and create these queues, so that sends inside transactions can use them. */
    async prepare(...names: string[]): Promise<void> {
      await start();
      for (const name of names) await ensureQueue(name);
    },
    /** Queue a job. Pass `tx` to enqueue inside the caller's transaction. */
    async send<T extends object>(name: string, data: T, options: JobOptions & { tx?: Queryable } = {}): Promise<string | null> {
      const { tx, ...rest } = options;
      await ready([name], tx);
      return boss.send(name, data, { ...rest, ...(tx ? { db: adapter(tx) } : {}) } as PgBoss.SendOptions);
    },
    /** Queue many jobs in one statement; with `tx`, inside the caller's transaction. */
    async sendMany(jobs: NewJob[], options: { tx?: Queryable } = {}): Promise<void> {
      if (!jobs.length) return;
      await ready(
        jobs.map((j) => j.name),
        options.tx,
      );
      await boss.insert(jobs.map(insertable), { db: adapter(options.tx ?? db) });
    },
    /** Work jobs of one queue one at a time; a throw fails the job, which is retried with backoff. */
    async work<T>(name: string, handler: JobHandler<T>, options: { batchSize?: number } = {}): Promise<void> {
      await ensureQueue(name);
      const id = await boss.work<T>(name, { pollingIntervalSeconds, batchSize: options.batchSize ?? 1 }, async (jobs) => {
        for (const job of jobs) await handler(job.data, { id: job.id, name: job.name });
      });
      addWorker(name, id);
    },
    /**
     * Work jobs of one queue a batch at a time. A batch that came back full is followed by the
     * next fetch at once rather than after the polling interval.
     */
    async workBatch<T>(
      name: string,
      handler: BatchHandler<T>,
      options: { batchSize: number; pollingIntervalSeconds?: number },
    ): Promise<void> {
      await ensureQueue(name);
      let id = '';
      id = await boss.work<T>(
        name,
        { pollingIntervalSeconds: options.pollingIntervalSeconds ?? pollingIntervalSeconds, batchSize: options.batchSize },
        async (jobs) => {
          const result = await handler(jobs.map((j) => ({ id: j.id, name: j.name, data: j.data })));
          for (const f of result?.failed ?? []) {
            const e = f.error as { message?: string } | undefined;
            await boss.fail(name, f.id, { message: String(e?.message ?? e) });
          }
          if (jobs.length >= options.batchSize) boss.notifyWorker(id);
        },
      );
      addWorker(name, id);
    },
    /** New jobs were queued in this process: idle workers of that queue here fetch now instead of at their next poll. */
    wake(name: string): void {
      for (const id of workers.get(name) ?? []) boss.notifyWorker(id);
    },
    async getJob(name: string, id: string) {
      return boss.getJobById(name, id);
    },
  };
}
export type Jobs = ReturnType<typeof createJobs>;
