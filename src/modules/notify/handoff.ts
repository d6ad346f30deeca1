// Knowing, after a crash, which messages may have reached their provider. A delivery batch
// claims its notifications, but a claimed message waits here for one of its provider's
// connections (`Provider.parallel`); only when it gets one is its hand-off written down
// (`handoff_at`, in one UPDATE for every message that got a connection at the same moment) and
// the message given to the provider. So when a claim's lease passes with its process gone, a
// message without `handoff_at` never left: it is released and queued again. Only one with
// `handoff_at` may be with the provider: that one is failed (technical-failure), never resent.
import type { Db, Queryable } from '../../kernel/db.js';
import type { NewJob } from '../../kernel/jobs.js';
import type { Config } from '../../config.js';
import type { Providers } from './providers.js';
import { DELIVER_QUEUE, deliverJobOptions } from './queues.js';

/** Gives a claimed row back as it was before the claim: its attempt never began. */
export const RELEASE = `attempt_id = NULL, lease_until = NULL, handoff_at = NULL, attempts = greatest(attempts - 1, 0),
  status = CASE WHEN attempts <= 1 THEN 'created' ELSE 'sending' END,
  sent_at = CASE WHEN attempts <= 1 THEN NULL ELSE sent_at END,
  next_attempt_at = CASE WHEN attempts <= 1 THEN NULL ELSE now() END,
  enqueued_at = now(), updated_at = now()`;

/** Fails a claimed row whose hand-off may have happened (its lease passed with no outcome). */
export const LOST = `status = 'technical-failure', completed_at = now(), attempt_id = NULL, lease_until = NULL,
  provider_response = 'delivery attempt lost (process stopped) after the hand-off to the provider began; outcome unknown, not sent again',
  updated_at = now()`;

/** Delivery jobs for released rows, in the caller's transaction. */
export const requeueJobs = (config: Config, ids: string[]): NewJob[] =>
  ids.map((id) => ({ name: DELIVER_QUEUE, data: { id }, options: deliverJobOptions(config) }));

/** At most `size` at once; the rest wait in order. */
function gate(size: number) {
  let free = size;
  const waiting: Array<() => void> = [];
  return {
    async take(): Promise<() => void> {
      if (free > 0) free -= 1;
      else await new Promise<void>((r) => waiting.push(r));
      let given = false;
      return () => {
        if (given) return;
        given = true;
        const next = waiting.shift();
        if (next) next();
        else free += 1;
      };
    },
  };
}

export function createHandoff(db: Db, config: Config, providers: Providers) {
  const gates = {
    email: gate(providers.email.parallel ?? config.notify.concurrency),
    sms: gate(providers.sms.parallel ?? config.notify.concurrency),
    letter: gate(providers.letter.parallel ?? config.notify.concurrency),
  };
  let pending: Array<{ id: string; attemptId: string; done(marked: boolean): void; fail(err: unknown): void }> = [];
  let scheduled = false;

  // One UPDATE at a time: hand-offs that begin while one is being written go together in the next.
  let writing = false;
  async function flush() {
    scheduled = false;
    if (writing || !pending.length) return;
    writing = true;
    const batch = pending;
    pending = [];
    try {
      const { rows } = await db.query<{ id: string }>(
        `UPDATE notify.notifications n SET handoff_at = now()
           FROM unnest($1::uuid[], $2::uuid[]) AS v(id, attempt_id)
          WHERE n.id = v.id AND n.attempt_id = v.attempt_id
          RETURNING n.id`,
        [batch.map((m) => m.id), batch.map((m) => m.attemptId)],
      );
      const marked = new Set(rows.map((r) => r.id));
      for (const m of batch) m.done(marked.has(m.id));
    } catch (err) {
      for (const m of batch) m.fail(err);
    } finally {
      writing = false;
      if (pending.length) schedule();
    }
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void flush());
  }

  /** Writes down that these messages' hand-offs begin (grouped with others beginning now); false where the claim was lost. */
  function mark(id: string, attemptId: string): Promise<boolean> {
    return new Promise((done, fail) => {
      pending.push({ id, attemptId, done, fail });
      schedule();
    });
  }

  return {
    /**
     * Waits for a connection of the row's channel, then writes down the hand-off. Returns the
     * function that gives the connection back, or null when the message must not be sent: the
     * claim was lost, or `stopping()` says this process is going (the claim is then released).
     */
    async begin(row: { id: string; type: 'email' | 'sms' | 'letter' }, attemptId: string, stopping: () => boolean) {
      const release = await gates[row.type].take();
      try {
        if (stopping() || !(await mark(row.id, attemptId))) {
          release();
          return null;
        }
      } catch (err) {
        release();
        throw err;
      }
      return release;
    },
    /**
     * For claims whose lease has passed (`where` picks them; its parameters start at $1), in the
     * caller's transaction: releases those whose hand-off never began and fails the rest.
     * Returns the released ids (queue their jobs) and the failed rows (append their events).
     */
    async settleLost<R>(tx: Queryable, where: string, args: unknown[], columns: string): Promise<{ released: string[]; failed: R[] }> {
      const released = await tx.query<{ id: string }>(
        `UPDATE notify.notifications SET ${RELEASE}
          WHERE id IN (SELECT id FROM notify.notifications WHERE ${where} AND handoff_at IS NULL LIMIT 500 FOR UPDATE SKIP LOCKED) RETURNING id`,
        args,
      );
      const failed = await tx.query<R>(
        `UPDATE notify.notifications SET ${LOST}
          WHERE id IN (SELECT id FROM notify.notifications WHERE ${where} AND handoff_at IS NOT NULL LIMIT 500 FOR UPDATE SKIP LOCKED)
          RETURNING ${columns}`,
        args,
      );
      return { released: released.rows.map((r) => r.id), failed: failed.rows };
    },
  };
}
export type Handoff = ReturnType<typeof createHandoff>;
