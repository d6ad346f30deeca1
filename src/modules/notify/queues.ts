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

/** Both queues, created before the first send (a send inside a transaction needs its queue made already). */
export const NOTIFY_QUEUES = [DELIVER_QUEUE, CALLBACK_QUEUE];
