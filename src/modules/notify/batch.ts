// Group commit for accepted notifications. Sends that arrive together are written together:
// one transaction holds every row of the batch and every row's delivery job (pg-boss's bulk
// insert, on the same transaction), so each notification is still durable with its job before
// its 201 is sent — but a burst of sends costs one commit instead of one each.
import type { Kernel } from '../../kernel/module.js';
import type { Queryable } from '../../kernel/db.js';
import type { Config } from '../../config.js';
import type { PendingDocument } from './documents.js';
import { DELIVER_QUEUE, deliverJobOptions, queueWarmer } from './queues.js';
import { store, type NewNotification } from './store.js';

const MAX_BATCH = 250;
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
}
interface Item {
  row: NewNotification;
  extras: Extras;
  resolve(): void;
  reject(err: unknown): void;
}

function jobFor(config: Config, row: NewNotification) {
  const o = deliverJobOptions(config, row.scheduled_for);
  return {
    name: DELIVER_QUEUE,
    data: { id: row.id },
    retryLimit: o.retryLimit,
    retryDelay: o.retryDelay,
    retryBackoff: o.retryBackoff,
    expireInSeconds: o.expireInSeconds,
    ...(row.scheduled_for ? { startAfter: row.scheduled_for.toISOString() } : {}),
  };
}

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

export function createBatcher(k: Kernel, afterCommit: () => void = () => {}) {
  const warm = queueWarmer(k.jobs);
  const pending: Item[] = [];
  let scheduled = false;

  async function flush(): Promise<void> {
    scheduled = false;
    const items = pending.splice(0, MAX_BATCH);
    if (pending.length) schedule();
    if (!items.length) return;
    try {
      await warm();
      await k.db.transaction(async (tx) => {
        await insertRows(
          tx,
          items.map((i) => i.row),
        );
        for (const i of items) {
          for (const d of i.extras.documents ?? []) await store.insertDocument(tx, d.row);
          if (i.extras.pdf) await store.insertLetterFile(tx, i.row.id, i.extras.pdf.bytes, i.extras.pdf.pages);
        }
        const jobs = items.filter((i) => i.row.status === 'created').map((i) => jobFor(k.config, i.row));
        if (jobs.length)
          await k.jobs.boss.insert(
            jobs as any,
            { db: { executeSql: (text: string, values?: unknown[]) => tx.query(text, values ?? []) } } as any,
          );
      });
      for (const i of items) i.resolve();
      afterCommit();
    } catch (err) {
      for (const i of items) i.reject(err);
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
        if (pending.length >= MAX_BATCH) void flush();
        else schedule();
      });
    },
  };
}
export type Batcher = ReturnType<typeof createBatcher>;
