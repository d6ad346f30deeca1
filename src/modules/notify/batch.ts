// Group commit for accepted notifications. Sends that arrive together are written together:
// one transaction holds every row of the batch and every row's delivery job (one bulk insert of
// jobs, in the same transaction), so each notification is still durable with its job before its
// 201 is sent — but a burst of sends costs one commit instead of one each. The same transaction
// takes each counted send's place under its service's daily limit (limits.ts), so the limit is
// exact. A group holds sends of many services, so a row the database refuses must fail only its
// own send: the group is split in halves and each half committed alone, down to the row at fault
// (a few commits more, and only when a row is refused).
import type { Kernel } from '../../kernel/module.js';
import type { Queryable } from '../../kernel/db.js';
import type { Config } from '../../config.js';
import type { PendingDocument } from './documents.js';
import { DELIVER_QUEUE, deliverJobOptions, NOTIFY_QUEUES } from './queues.js';
import { store, type NewNotification } from './store.js';
import { dailyLimitError, takeDaily, type Limits } from './limits.js';

const MAX_BATCH = 250;
const IN_FLIGHT = 2;
const COLUMNS = [
  'id',
  'service_id',
  'api_key_id',
  'key_type',
  'type',
  'template_id',
  'template_version',
  'recipient',
  'normalised_to',
  'reference',
  'status',
  'subject',
  'body',
  'address',
  'postage',
  'billable_units',
  'sender',
  'one_click_unsubscribe_url',
  'precompiled',
  'created_by_name',
  'simulated',
  'scheduled_for',
] as const;

export interface Extras {
  documents?: PendingDocument[];
  pdf?: { bytes: Uint8Array; pages: number };
  /** Counted against the service's daily limit for the row's channel. */
  dailyLimit?: number;
}
interface Item {
  row: NewNotification;
  extras: Extras;
  resolve(): void;
  reject(err: unknown): void;
}

const jobFor = (config: Config, row: NewNotification) => ({
  name: DELIVER_QUEUE,
  data: { id: row.id },
  options: deliverJobOptions(config, row.scheduled_for),
});

/**
 * Errors that are about the rows themselves (SQLSTATE classes 22 data exception, 23 integrity
 * constraint, 54 program limit such as an index row too large): another split may commit the
 * other rows. Anything else (the database unreachable, a deadlock) fails the whole group.
 */
/** Thrown to roll back a batch that found a daily limit reached (it is written again, counters first). */
const OVER_LIMIT = new Error('a daily limit was reached');

const refusedRow = (err: unknown) => /^(22|23|54)/.test(String((err as { code?: unknown })?.code ?? ''));

async function insertRows(tx: Queryable, rows: NewNotification[]): Promise<void> {
  const params: unknown[] = [];
  const values = rows.map((r) => {
    const cells = COLUMNS.map((c) => {
      const v = c === 'address' ? (r.address ? JSON.stringify(r.address) : null) : r[c];
      params.push(v);
      return `$${params.length}`;
    });
    return `(${cells.join(', ')})`;
  });
  await tx.query(`INSERT INTO notify.notifications (${COLUMNS.join(', ')}) VALUES ${values.join(', ')}`, params);
}

export function createBatcher(k: Kernel, limits: Limits, afterCommit: () => void = () => {}) {
  const pending: Item[] = [];
  let scheduled = false;

  /**
   * Takes the counted items' places under their daily limits (in a fixed order of service and
   * channel, so concurrent writers never deadlock); returns the items over the limit.
   */
  async function takePlaces(tx: Queryable, items: Item[], counts: Array<() => void>): Promise<Set<Item>> {
    const over = new Set<Item>();
    const groups = new Map<string, Item[]>();
    for (const i of items) {
      if (i.extras.dailyLimit === undefined) continue;
      const key = `${i.row.service_id}:${i.row.type}`;
      groups.set(key, [...(groups.get(key) ?? []), i]);
    }
    for (const key of [...groups.keys()].sort()) {
      const group = groups.get(key)!;
      const { service_id: serviceId, type } = group[0].row;
      const limit = Math.min(...group.map((i) => i.extras.dailyLimit!));
      const { taken, before, day } = await takeDaily(tx, serviceId, type, limit, group.length);
      for (const i of group.slice(taken)) over.add(i);
      counts.push(() => limits.noteDaily(serviceId, type, day, before + taken)); // once committed
    }
    return over;
  }

  /**
   * One transaction for the items. The daily counters are taken last, so their row locks (one
   * per service and channel, shared by every batch of that service) are held only for the
   * commit; if that finds a limit reached, the transaction is rolled back and written again
   * with the counters taken first, leaving out the sends over the limit.
   */
  async function write(items: Item[], countersFirst = false): Promise<Set<Item>> {
    const counts: Array<() => void> = [];
    let over: Set<Item>;
    try {
      over = await k.db.transaction(async (tx) => {
        const over = countersFirst ? await takePlaces(tx, items, counts) : new Set<Item>();
        const accepted = items.filter((i) => !over.has(i));
        if (accepted.length) await insertItems(tx, accepted);
        if (!countersFirst && (await takePlaces(tx, items, counts)).size) throw OVER_LIMIT;
        return over;
      });
    } catch (err) {
      if (err !== OVER_LIMIT) throw err;
      return write(items, true);
    }
    for (const note of counts) note();
    return over;
  }

  async function insertItems(tx: Queryable, items: Item[]): Promise<void> {
    await insertRows(
      tx,
      items.map((i) => i.row),
    );
    for (const i of items) {
      for (const d of i.extras.documents ?? []) await store.insertDocument(tx, d.row);
      if (i.extras.pdf) await store.insertLetterFile(tx, i.row.id, i.extras.pdf.bytes, i.extras.pdf.pages);
    }
    await k.jobs.sendMany(
      items.filter((i) => i.row.status === 'created').map((i) => jobFor(k.config, i.row)),
      { tx },
    );
  }

  /** Commits the items together; when a row is refused, each half on its own, down to that row. */
  async function commit(items: Item[]): Promise<void> {
    let over: Set<Item>;
    try {
      over = await write(items);
    } catch (err) {
      if (items.length === 1 || !refusedRow(err)) {
        for (const i of items) i.reject(err);
        return;
      }
      const half = Math.ceil(items.length / 2);
      await Promise.all([commit(items.slice(0, half)), commit(items.slice(half))]);
      return;
    }
    for (const i of items) {
      if (over.has(i)) i.reject(dailyLimitError(i.row.type, i.extras.dailyLimit!));
      else i.resolve();
    }
  }

  /**
   * At most IN_FLIGHT batches are being written at once; sends arriving meanwhile wait and go
   * together in the next one, so batches grow with the load instead of multiplying (they would
   * only queue for the same service's daily counter).
   */
  let inFlight = 0;
  async function flush(): Promise<void> {
    scheduled = false;
    if (inFlight >= IN_FLIGHT) return; // a batch finishing schedules the next
    const items = pending.splice(0, MAX_BATCH);
    if (!items.length) return;
    inFlight += 1;
    if (pending.length) schedule();
    try {
      await k.jobs.prepare(...NOTIFY_QUEUES);
      await commit(items);
      afterCommit();
    } catch (err) {
      for (const i of items) i.reject(err);
    } finally {
      inFlight -= 1;
      if (pending.length) schedule();
    }
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      void flush();
    });
  }

  return {
    /** Resolves once the notification and its job are committed. */
    persist(row: NewNotification, extras: Extras = {}): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        pending.push({ row, extras, resolve, reject });
        schedule();
      });
    },
  };
}
export type Batcher = ReturnType<typeof createBatcher>;
