// The transactional outbox. A module appends its event inside the transaction that
// changes its state; subscribers receive every event at least once, in commit-safe
// order, and resume from their stored cursor after a restart. A handler that writes
// only through the `tx` it is given is applied exactly once, even with several processes.
import type { Logger } from 'pino';
import type { Db, Queryable } from './db.js';

export interface EventInput {
  stream: string;
  type: string;
  payload?: Record<string, unknown>;
}
export interface StoredEvent {
  id: number;
  stream: string;
  type: string;
  payload: Record<string, any>;
  created_at: Date;
}
export type EventHandler = (event: StoredEvent, tx: Queryable) => Promise<void>;
/** Receives each batch's matching events at once (never an empty list), in order, in the batch's transaction. */
export type BatchHandler = (events: StoredEvent[], tx: Queryable) => Promise<void>;

interface Subscriber {
  name: string;
  handler: EventHandler | null;
  batchHandler?: BatchHandler;
  batch?: number;
  types?: string[];
  failures: number;
  retryAt: number;
  /** This process has made sure the subscription's row exists (rows are never deleted). */
  registered?: boolean;
  /** The cursor as this process last read or wrote it: no event at or before it is left to handle. */
  seen?: { tx: bigint; id: number };
}

/** The NOTIFY channel that wakes the outbox's subscribers (modules that write events in their own statement notify it). */
export const EVENTS_CHANNEL = 'cityscape_events';
const CHANNEL = EVENTS_CHANNEL;

/**
 * The oldest transaction that might still commit an event: the oldest one in progress when
 * this statement's snapshot was taken, leaving out those that pg_stat_activity shows running
 * in another database (a snapshot spans the whole server, and a long transaction elsewhere
 * must not hold our events back). A transaction whose database can't be told is assumed ours.
 * PGlite has one database and one connection, so it needs no pg_stat_activity (which costs it
 * ~5x the rest of the statement).
 */
const horizon = (kind: Db['kind']) =>
  kind === 'pglite'
    ? `WITH s AS (SELECT pg_current_snapshot() AS snap),
  h AS (SELECT coalesce(min(x), (SELECT pg_snapshot_xmax(snap) FROM s)) AS horizon FROM s, pg_snapshot_xip(s.snap) AS x)`
    : `WITH s AS (SELECT pg_current_snapshot() AS snap),
  h AS (SELECT coalesce(min(x), (SELECT pg_snapshot_xmax(snap) FROM s)) AS horizon
          FROM s, pg_snapshot_xip(s.snap) AS x
         WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                            WHERE a.datname IS DISTINCT FROM current_database() AND a.backend_xid IS NOT NULL
                              AND a.backend_xid::text::bigint = x::text::bigint % 4294967296))`;

/** (tx, id) of an event or a cursor, ordered as the outbox reads them. */
const after = (a: { tx: bigint; id: number }, b: { tx: bigint; id: number }) => a.tx > b.tx || (a.tx === b.tx && a.id > b.id);

export function createEvents(db: Db, log: Logger, opts: { pollMs?: number; batch?: number } = {}) {
  const pollMs = opts.pollMs ?? 1000;
  const batch = opts.batch ?? 100;
  const HORIZON = horizon(db.kind);
  const subscribers: Subscriber[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let stopped = false;
  let draining: Promise<void> | null = null;
  let again = false;
  let unlisten: (() => Promise<void>) | undefined;

  /**
   * Runs one subscriber's next batch. `handled` counts events taken; `waiting` says that
   * newer events exist but are not yet safe to read (a transaction of this database that began
   * earlier is still open, and might still commit an event that sorts before them).
   */
  async function runBatch(
    sub: Subscriber,
  ): Promise<{ handled: number; waiting: boolean; full?: boolean; cursor?: { tx: bigint; id: number } }> {
    if (!sub.registered) {
      // Its own statement (committed even if the batch below rolls back); once per process.
      await db.query('INSERT INTO kernel.subscriptions (name) VALUES ($1) ON CONFLICT DO NOTHING', [sub.name]);
      sub.registered = true;
    }
    return db.transaction(async (tx) => {
      const cur = await tx.query<{ last_tx: string; last_id: number }>(
        'SELECT last_tx::text, last_id FROM kernel.subscriptions WHERE name = $1 FOR UPDATE SKIP LOCKED',
        [sub.name],
      );
      if (!cur.rows[0]) return { handled: 0, waiting: false }; // another process is working this subscriber
      const { last_tx, last_id } = cur.rows[0];
      const { rows } = await tx.query<StoredEvent & { tx: string; safe: boolean }>(
        `${HORIZON}
         SELECT id, tx::text, stream, type, payload, created_at, tx < (SELECT horizon FROM h) AS safe
           FROM kernel.events e WHERE (e.tx, e.id) > ($1::xid8, $2::bigint) ORDER BY e.tx, e.id LIMIT $3`,
        [last_tx, last_id, sub.batch ?? batch],
      );
      const safe = rows.filter((r) => r.safe);
      const waiting = safe.length < rows.length;
      if (!safe.length) {
        sub.seen = { tx: BigInt(last_tx), id: Number(last_id) };
        return { handled: 0, waiting };
      }
      const matching = safe
        .filter((e) => !sub.types || sub.types.some((t) => e.type === t || (t.endsWith('*') && e.type.startsWith(t.slice(0, -1)))))
        .map((e) => ({ id: e.id, stream: e.stream, type: e.type, payload: e.payload, created_at: e.created_at }));
      if (sub.batchHandler) {
        if (matching.length) await sub.batchHandler(matching, tx);
      } else for (const e of matching) await sub.handler!(e, tx);
      const last = safe[safe.length - 1];
      await tx.query('UPDATE kernel.subscriptions SET last_tx = $2::xid8, last_id = $3, updated_at = now() WHERE name = $1', [
        sub.name,
        last.tx,
        last.id,
      ]);
      return {
        handled: safe.length,
        waiting,
        full: rows.length === (sub.batch ?? batch),
        cursor: { tx: BigInt(last.tx), id: Number(last.id) },
      };
    });
  }

  /** One pass over the subscribers; true when any handled an event (whose handler may have appended more). */
  async function drainOnce(): Promise<boolean> {
    if (!subscribers.length) return false;
    let handledAny = false;
    // The newest event committed so far: a subscriber whose cursor is at or past it has nothing to
    // do (an event committed later has a newer tx than any cursor, which only passes the horizon),
    // so an idle poll is one read instead of a transaction per subscriber.
    let newest: { tx: bigint; id: number } | null | undefined; // undefined: not read; null: no event at all
    if (subscribers.every((s) => s.seen)) {
      const head = (
        await db.query<{ tx: string; id: number }>(
          'SELECT e.tx::text AS tx, e.id FROM kernel.events e ORDER BY e.tx DESC, e.id DESC LIMIT 1',
        )
      ).rows[0];
      newest = head ? { tx: BigInt(head.tx), id: Number(head.id) } : null;
    }
    for (const sub of subscribers) {
      if (Date.now() < sub.retryAt) continue;
      if (sub.seen && newest !== undefined && (newest === null || !after(newest, sub.seen))) continue;
      try {
        const giveUpAt = Date.now() + 5000;
        for (;;) {
          if (stopped) break;
          const { handled, waiting, full, cursor } = await runBatch(sub);
          if (handled > 0) handledAny = true;
          if (cursor) sub.seen = cursor;
          // A batch that was not full read everything committed by then; what commits later
          // notifies (another pass) or is found by the next poll, so no second read to see nothing.
          if (handled > 0 && (full || waiting)) continue;
          if (!waiting || Date.now() > giveUpAt) break;
          await new Promise((r) => setTimeout(r, 20)); // an older transaction is still open: wait briefly
        }
        sub.failures = 0;
      } catch (err) {
        sub.failures += 1;
        const delay = Math.min(30_000, 250 * 2 ** sub.failures);
        sub.retryAt = Date.now() + delay;
        log.error({ err, subscriber: sub.name, retryInMs: delay }, 'event handler failed; will retry');
      }
    }
    return handledAny;
  }

  /** Drain now; concurrent calls coalesce into one more pass. */
  function drain(): Promise<void> {
    if (draining) {
      again = true;
      return draining;
    }
    draining = (async () => {
      do {
        again = false;
        // Another pass after any work: events a handler appended are handled in this drain too.
        if (await drainOnce()) again = true;
      } while (again && !stopped);
    })().finally(() => {
      draining = null;
    });
    return draining;
  }

  return {
    /** Append an event in the caller's transaction (NOTIFY is sent when it commits). */
    async append(tx: Queryable, e: EventInput): Promise<void> {
      // One round trip: the row and the wake-up (delivered at commit) in one statement.
      await tx.query(
        `WITH e AS (INSERT INTO kernel.events (stream, type, payload) VALUES ($1, $2, $3) RETURNING 1) SELECT pg_notify('${CHANNEL}', '') FROM e`,
        [e.stream, e.type, JSON.stringify(e.payload ?? {})],
      );
    },
    /** Append many events in the caller's transaction with one statement (bulk writers: exposures). */
    async appendMany(tx: Queryable, list: EventInput[]): Promise<void> {
      if (!list.length) return;
      await tx.query('INSERT INTO kernel.events (stream, type, payload) SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])', [
        list.map((e) => e.stream),
        list.map((e) => e.type),
        list.map((e) => JSON.stringify(e.payload ?? {})),
      ]);
      await tx.query(`SELECT pg_notify('${CHANNEL}', '')`);
    },
    /** Register a durable subscriber. `types` may end in * to match a prefix. */
    subscribe(name: string, handler: EventHandler, types?: string[]): void {
      subscribers.push({ name, handler, types, failures: 0, retryAt: 0 });
    },
    /** A durable subscriber that handles each batch (up to `batch` events) in one call: for bulk writes. */
    subscribeBatch(name: string, handler: BatchHandler, types?: string[], opts: { batch?: number } = {}): void {
      subscribers.push({ name, handler: null, batchHandler: handler, batch: opts.batch, types, failures: 0, retryAt: 0 });
    },
    async start(): Promise<void> {
      if (running) return;
      running = true;
      stopped = false;
      unlisten = await db.listen(CHANNEL, () => {
        void drain();
      });
      const tick = () => {
        timer = setTimeout(() => {
          void drain().finally(() => running && tick());
        }, pollMs);
      };
      tick();
      void drain();
    },
    async stop(): Promise<void> {
      running = false;
      stopped = true;
      if (timer) clearTimeout(timer);
      await unlisten?.();
      await draining;
    },
    /** Process everything already committed (tests, CLI). */
    drain,
  };
}
export type Events = ReturnType<typeof createEvents>;
