// The module's job queues and their options, in one place for the sender, the workers and the sweeper.
import type { Config } from '../../config.js';
import type { JobOptions } from '../../kernel/jobs.js';

/** One job per notification: claim it, hand it to a provider, record the outcome. */
export const DELIVER_QUEUE = 'notify.deliver';
/** One job per delivery receipt or received text for a service's callback URL; retried until it gets a 2xx. */
export const CALLBACK_QUEUE = 'notify.callback';

export function deliverJobOptions(config: Config, startAfter?: Date | null, delaySeconds?: number): JobOptions {
  return {
    // pg-boss's own retry is a safety net (e.g. the database was briefly unreachable); the
    // handler decides about retrying deliveries itself.
    retryLimit: 3,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: Math.max(30, config.notify.leaseSeconds * 2),
    ...(startAfter ? { startAfter } : delaySeconds ? { startAfter: delaySeconds } : {}),
  };
}

export const CALLBACK_JOB_OPTIONS: JobOptions = { retryLimit: 25, retryDelay: 2, retryBackoff: true, expireInSeconds: 60 };

/**
 * kernel.jobs creates a queue on its first use, outside any transaction; doing that inside an
 * open PGlite transaction would wait on itself. So each queue is first used outside one, with
 * a marker job the workers skip.
 */
type QueueJobs = { send(name: string, data: object): Promise<unknown>; start(): Promise<void> };
const warmed = new WeakMap<QueueJobs, Promise<void>>();

export function queueWarmer(jobs: QueueJobs) {
  return (): Promise<void> => {
    let ready = warmed.get(jobs);
    if (!ready) {
      ready = (async () => {
        await jobs.start();
        await jobs.send(DELIVER_QUEUE, { warmup: true });
        await jobs.send(CALLBACK_QUEUE, { warmup: true });
      })();
      warmed.set(jobs, ready);
      ready.catch(() => warmed.delete(jobs));
    }
    return ready;
  };
}
