// One durable job queue for every module: pg-boss on the same database (PostgreSQL or
// PGlite), with retries and exponential backoff, safe to share between processes.
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Db, Queryable } from './db.js';

export interface JobOptions {
  retryLimit?: number;
  retryDelay?: number;
  retryBackoff?: boolean;
  startAfter?: number | Date;
  singletonKey?: string;
  expireInSeconds?: number;
}
export type JobHandler<T> = (data: T, job: { id: string; name: string }) => Promise<void>;

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
  let started: Promise<unknown> | null = null;
  const pollingIntervalSeconds = opts.pollingIntervalSeconds ?? 0.5;

  async function ensureQueue(name: string) {
    if (queues.has(name)) return;
    await boss.createQueue(name, { name, ...DEFAULTS });
    queues.add(name);
  }

  return {
    async start() {
      started ??= boss.start();
      await started;
    },
    async stop() {
      if (started) await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
      started = null;
    },
    /** Queue a job. Pass `tx` to enqueue inside the caller's transaction. */
    async send<T extends object>(name: string, data: T, options: JobOptions & { tx?: Queryable } = {}): Promise<string | null> {
      await ensureQueue(name);
      const { tx, ...rest } = options;
      return boss.send(name, data, { ...rest, ...(tx ? { db: adapter(tx) } : {}) } as PgBoss.SendOptions);
    },
    /** Work jobs of one queue; a throw fails the job, which is retried with backoff. */
    async work<T>(name: string, handler: JobHandler<T>, options: { batchSize?: number } = {}): Promise<void> {
      await ensureQueue(name);
      await boss.work<T>(name, { pollingIntervalSeconds, batchSize: options.batchSize ?? 1 }, async (jobs) => {
        for (const job of jobs) await handler(job.data, { id: job.id, name: job.name });
      });
    },
    async getJob(name: string, id: string) {
      return boss.getJobById(name, id);
    },
    boss,
  };
}
export type Jobs = ReturnType<typeof createJobs>;
