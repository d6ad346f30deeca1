// Delivering notifications, durably and at most once. Each job claims its notification with a
// fresh attempt id and a lease, hands it to the channel's provider (writing down first that the
// hand-off begins: handoff.ts), and writes the outcome only while it still holds that attempt.
// A temporary failure (a relay's 4xx) is retried with backoff through a new job written with
// the outcome. If the process dies mid-delivery the claim stays until its lease has passed;
// then the sweeper queues again what never began its hand-off, and marks technical-failure what
// did — that is never sent again, because the relay may already have it. Jobs lost with a dead
// process are queued again.
import { randomUUID } from 'node:crypto';
import type { Kernel } from '../../kernel/module.js';
import type { NewJob } from '../../kernel/jobs.js';
import type { Queryable } from '../../kernel/db.js';
import { deliveryReceipt } from './representation.js';
import { OutcomeUnknown, type Outcome, type Providers } from './providers.js';
import type { Profiles } from './profiles.js';
import { DELIVER_QUEUE, deliverJobOptions, NOTIFY_QUEUES } from './queues.js';
import type { NotificationRow } from './store.js';
import { createHandoff, RELEASE, requeueJobs } from './handoff.js';
import { createComposer } from './compose.js';

export const STATUS_EVENT = 'notify.notification.status';

const COLS =
  'id, service_id, api_key_id, key_type, type, template_id, template_version, recipient, normalised_to, reference, status, subject, body, address, postage, billable_units, sender, one_click_unsubscribe_url, precompiled, created_by_name, simulated, scheduled_for, created_at, sent_at, completed_at, updated_at, attempts, attempt_id, lease_until, next_attempt_at, provider, provider_reference, provider_response';

export function createDelivery(k: Kernel, deps: { profiles: Profiles; providers: Providers }) {
  const { db, config, log } = k;
  const { profiles, providers } = deps;
  let stopping = false;
  let sweepTimer: NodeJS.Timeout | undefined;
  const inflight = new Set<Promise<unknown>>();
  const handoff = createHandoff(db, config, providers);
  const { compose, letterPdf, simulatedOutcome } = createComposer(k, profiles, providers);

  /** Appends one status event per service for rows that reached a final status, in the caller's transaction. */
  async function statusEvents(tx: Queryable, rows: NotificationRow[]): Promise<void> {
    const byService = new Map<string, NotificationRow[]>();
    for (const r of rows) byService.set(r.service_id, [...(byService.get(r.service_id) ?? []), r]);
    for (const [serviceId, list] of byService) {
      await k.events.append(tx, {
        stream: `notify.service:${serviceId}`,
        type: STATUS_EVENT,
        payload: { service_id: serviceId, receipts: list.map(deliveryReceipt) },
      });
    }
  }

  /**
   * Moves messages already handed over to a final status when a later report says so (a
   * provider's receipt, a bounce), with their status event, in the caller's transaction. Never
   * while an attempt holds them or a retry is pending: that attempt's outcome decides.
   * `where` uses $3…; `response`, when given, replaces the provider's answer.
   */
  async function settleLater(
    tx: Queryable,
    where: string,
    args: unknown[],
    status: string,
    response: string | null,
  ): Promise<NotificationRow[]> {
    const { rows } = await tx.query<NotificationRow>(
      `UPDATE notify.notifications SET status = $1, completed_at = now(), provider_response = coalesce($2, provider_response), updated_at = now()
        WHERE ${where} AND attempt_id IS NULL AND next_attempt_at IS NULL
        RETURNING ${COLS}`,
      [status, response, ...args],
    );
    if (rows.length) await statusEvents(tx, rows);
    return rows;
  }

  /** Claims whichever of these notifications are ready, all under one attempt id and lease. */
  async function claim(ids: string[], attemptId: string): Promise<NotificationRow[]> {
    const { rows } = await db.query<NotificationRow>(
      `UPDATE notify.notifications SET status = 'sending', attempt_id = $2, lease_until = now() + make_interval(secs => $3), handoff_at = NULL,
         attempts = attempts + 1, next_attempt_at = NULL, sent_at = coalesce(sent_at, now()), updated_at = now()
        WHERE id = ANY($1::uuid[]) AND attempt_id IS NULL
          AND (status = 'created' OR (status = 'sending' AND next_attempt_at IS NOT NULL AND next_attempt_at <= now() + interval '1 second'))
          AND (scheduled_for IS NULL OR scheduled_for <= now() + interval '1 second')
        RETURNING ${COLS}`,
      [ids, attemptId, config.notify.leaseSeconds],
    );
    return rows;
  }

  interface Result {
    row: NotificationRow;
    outcome: Outcome;
    provider: string;
    billableUnits?: number;
  }

  /**
   * Writes the outcomes of one attempt in one transaction, only for rows still held by that
   * attempt: final statuses (with their event), hand-overs awaiting a receipt, and retries
   * (each with its next job).
   */
  async function record(results: Result[], attemptId: string, released: NotificationRow[] = []): Promise<void> {
    if (!results.length && !released.length) return;
    await db.transaction(async (tx) => {
      if (released.length) {
        const { rows } = await tx.query<{ id: string }>(
          `UPDATE notify.notifications SET ${RELEASE} WHERE id = ANY($1::uuid[]) AND attempt_id = $2 RETURNING id`,
          [released.map((r) => r.id), attemptId],
        );
        await k.jobs.sendMany(
          requeueJobs(
            config,
            rows.map((r) => r.id),
          ),
          { tx },
        );
      }
      const retries = results.filter((r) => r.outcome.retry && r.row.attempts < config.notify.maxAttempts);
      const settled = results.filter((r) => !retries.includes(r));
      const jobs: NewJob[] = [];
      for (const r of retries) {
        const delay = config.notify.retryBaseSeconds * 2 ** Math.max(0, r.row.attempts - 1);
        const u = await tx.query(
          `UPDATE notify.notifications SET status = 'sending', attempt_id = NULL, lease_until = NULL, next_attempt_at = now() + make_interval(secs => $3),
             enqueued_at = now(), provider = $4, provider_response = $5, updated_at = now()
            WHERE id = $1 AND attempt_id = $2`,
          [r.row.id, attemptId, delay, r.provider, r.outcome.response.slice(0, 1000)],
        );
        if (u.rowCount) jobs.push({ name: DELIVER_QUEUE, data: { id: r.row.id }, options: deliverJobOptions(config, null, delay) });
      }
      await k.jobs.sendMany(jobs, { tx });
      if (!settled.length) return;
      const params: unknown[] = [attemptId];
      const values = settled.map((r) => {
        params.push(
          r.row.id,
          r.outcome.status,
          r.provider,
          r.outcome.response.slice(0, 1000),
          r.outcome.reference ?? null,
          r.billableUnits ?? null,
        );
        const n = params.length;
        return `($${n - 5}::uuid, $${n - 4}::text, $${n - 3}::text, $${n - 2}::text, $${n - 1}::text, $${n}::int)`;
      });
      const { rows } = await tx.query<NotificationRow>(
        `UPDATE notify.notifications n SET status = v.status, attempt_id = NULL, lease_until = NULL, next_attempt_at = NULL,
           completed_at = CASE WHEN v.status <> 'sending' THEN now() ELSE n.completed_at END, provider = v.provider, provider_response = v.response,
           provider_reference = coalesce(v.reference, n.provider_reference), billable_units = coalesce(v.units, n.billable_units), updated_at = now()
          FROM (VALUES ${values.join(', ')}) AS v(id, status, provider, response, reference, units)
         WHERE n.id = v.id AND n.attempt_id = $1
         RETURNING ${COLS.split(', ')
           .map((c) => `n.${c}`)
           .join(', ')}`,
        params,
      );
      const finals = rows.filter((r) => r.status !== 'sending');
      if (finals.length) await statusEvents(tx, finals);
    });
  }

  /**
   * One message to its provider. `released`: its hand-off never began (stopping, or the hand-off
   * could not be written down), so it is given back and queued again. Null: nothing to record —
   * the claim was lost, or the outcome is unknown because we are stopping (left for the sweeper).
   */
  async function attempt(row: NotificationRow, attemptId: string): Promise<Result | { released: NotificationRow } | null> {
    if (row.simulated) return { row, outcome: simulatedOutcome(row), provider: 'simulated' };
    let provider: string = row.type;
    let message: Awaited<ReturnType<typeof compose>>;
    try {
      message = await compose(row);
      provider = message.provider;
    } catch (err) {
      log.error({ err, id: row.id }, 'notify: delivery failed');
      return { row, outcome: { status: 'technical-failure', response: String((err as Error)?.message ?? err) }, provider };
    }
    let done: (() => void) | null;
    try {
      done = await handoff.begin(row, attemptId, () => stopping);
    } catch (err) {
      log.error({ err, id: row.id }, 'notify: could not write down a hand-off; the message goes back to the queue');
      return { released: row };
    }
    if (!done) return stopping ? { released: row } : null;
    try {
      return { row, outcome: await message.send(), provider, billableUnits: message.billableUnits };
    } catch (err) {
      if (err instanceof OutcomeUnknown) {
        // Stopping: behave like a crash (leave the claim; the sweeper fails it once the lease has passed).
        if (stopping) {
          log.warn({ id: row.id }, 'notify: delivery abandoned at shutdown; outcome unknown');
          return null;
        }
        return { row, outcome: { status: 'technical-failure', response: `outcome unknown: ${err.message}` }, provider };
      }
      log.error({ err, id: row.id }, 'notify: delivery failed');
      return { row, outcome: { status: 'technical-failure', response: String((err as Error)?.message ?? err) }, provider };
    } finally {
      done();
    }
  }

  /** Handles a batch of delivery jobs: claim, send concurrently, record the outcomes together. */
  async function deliver(ids: string[]): Promise<void> {
    if (stopping || !ids.length) return;
    const attemptId = randomUUID();
    const rows = await claim(ids, attemptId);
    const claimed = new Set(rows.map((r) => r.id));
    const others = ids.filter((id) => !claimed.has(id));
    if (others.length) await failIfLost(others);
    const results = await Promise.all(rows.map((r) => attempt(r, attemptId)));
    await record(
      results.filter((r): r is Result => r !== null && 'outcome' in r),
      attemptId,
      results.flatMap((r) => (r && 'released' in r ? [r.released] : [])),
    );
  }

  /** Claims whose lease has passed: queued again if their hand-off never began, else technical-failure. */
  async function settleLost(tx: Queryable, where: string, args: unknown[]): Promise<{ released: number; failed: number }> {
    const { released, failed } = await handoff.settleLost<NotificationRow>(tx, where, args, COLS);
    await k.jobs.sendMany(requeueJobs(config, released), { tx });
    if (failed.length) await statusEvents(tx, failed);
    return { released: released.length, failed: failed.length };
  }

  /** Claimed notifications whose lease has passed lost their attempt. */
  async function failIfLost(ids: string[]): Promise<void> {
    await db.transaction((tx) =>
      settleLost(tx, `id = ANY($1::uuid[]) AND status = 'sending' AND attempt_id IS NOT NULL AND lease_until < now()`, [ids]),
    );
  }

  /** Settles lost attempts and requeues notifications whose job was lost. Safe in every process at once. */
  async function sweep(): Promise<{ failed: number; requeued: number }> {
    const lost = await db.transaction((tx) => settleLost(tx, `status = 'sending' AND attempt_id IS NOT NULL AND lease_until < now()`, []));
    const failed = lost.failed;
    const requeued = await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `UPDATE notify.notifications SET enqueued_at = now()
          WHERE id IN (SELECT id FROM notify.notifications
                        WHERE status IN ('created', 'sending') AND attempt_id IS NULL
                          AND enqueued_at < now() - make_interval(secs => $1)
                          AND (status = 'created' OR next_attempt_at IS NOT NULL)
                          AND (scheduled_for IS NULL OR scheduled_for <= now())
                        LIMIT 500 FOR UPDATE SKIP LOCKED)
          RETURNING id`,
        [config.notify.recoverAfterSeconds],
      );
      await k.jobs.sendMany(
        requeueJobs(
          config,
          rows.map((r) => r.id),
        ),
        { tx },
      );
      return rows.length + lost.released;
    });
    if (failed || requeued) log.info({ failed, requeued }, 'notify: recovered deliveries');
    return { failed, requeued };
  }

  return {
    deliver,
    sweep,
    letterPdf,
    async start(): Promise<void> {
      stopping = false;
      await k.jobs.prepare(...NOTIFY_QUEUES);
      // Two workers, so one batch is being fetched and claimed while the other is with the relay.
      const batchSize = Math.max(1, Math.ceil(config.notify.concurrency / 2));
      for (let w = 0; w < 2; w++) {
        await k.jobs.workBatch<{ id?: string }>(
          DELIVER_QUEUE,
          async (jobs) => {
            // Stopping: fail the jobs back to the queue (retried soon, by whichever process is working).
            if (stopping) throw new Error('notify: stopping; delivery left for a retry');
            const work = deliver([...new Set(jobs.map((j) => j.data.id).filter((id): id is string => !!id))]);
            inflight.add(work);
            try {
              await work;
            } catch (err) {
              log.error({ err }, 'notify: delivery batch failed; the sweeper will pick it up');
            } finally {
              inflight.delete(work);
            }
          },
          { batchSize },
        );
      }
      await sweep().catch((err) => log.error({ err }, 'notify: sweep failed'));
      const every = Math.max(1, Math.min(config.notify.leaseSeconds, config.notify.recoverAfterSeconds, 30)) * 1000;
      const tick = () => {
        sweepTimer = setTimeout(() => {
          void sweep()
            .catch((err) => log.error({ err }, 'notify: sweep failed'))
            .finally(() => {
              if (!stopping) tick();
            });
        }, every);
      };
      tick();
    },
    /** Stops taking work; in-flight deliveries get a short grace period, then their connections are closed. */
    async stop(): Promise<void> {
      stopping = true;
      if (sweepTimer) clearTimeout(sweepTimer);
      const grace = Math.min(5_000, config.notify.leaseSeconds * 500);
      await Promise.race([Promise.allSettled([...inflight]), new Promise((r) => setTimeout(r, grace))]);
      await Promise.allSettled([providers.email.close(), providers.sms.close(), providers.letter.close()]);
      await Promise.race([Promise.allSettled([...inflight]), new Promise((r) => setTimeout(r, 2_000))]);
    },
    /** New work was queued in this process: wake idle workers instead of waiting for their next poll. */
    nudge(): void {
      if (!stopping) k.jobs.wake(DELIVER_QUEUE);
    },
    /** A provider's delivery receipt for a message it accepted earlier. */
    async receipt(
      reference: string,
      status: 'delivered' | 'permanent-failure' | 'temporary-failure' | 'technical-failure',
    ): Promise<boolean> {
      return db.transaction(
        async (tx) =>
          (await settleLater(tx, `(provider_reference = $3 OR id::text = $3) AND status = 'sending'`, [reference], status, null)).length >
          0,
      );
    },
    /**
     * A bounce for an email the relay accepted earlier, in the caller's transaction: only from
     * sending or delivered, so a final failure is never overwritten and a repeat changes nothing.
     */
    async bounced(
      tx: Queryable,
      id: string,
      status: 'permanent-failure' | 'temporary-failure',
      response: string,
    ): Promise<NotificationRow | null> {
      return (
        (
          await settleLater(tx, `id = $3 AND type = 'email' AND status IN ('sending', 'delivered')`, [id], status, response.slice(0, 1000))
        )[0] ?? null
      );
    },
  };
}
export type Delivery = ReturnType<typeof createDelivery>;
