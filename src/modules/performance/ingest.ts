// Writing measurements: raw rows, their rollups and the presence of keyed people, in the caller's
// transaction, then one NOTIFY naming the services whose figures moved, sent when it commits,
// so every process can push fresh figures to its live viewers.
import type { Queryable } from '../../kernel/db.js';
import type { Measurement } from './measure.js';
import { increments, GRAINS } from './rollup.js';
import { store } from './store.js';
import { utcDay } from './ranges.js';

export const CHANGED_CHANNEL = 'cityscape_performance';
const NOTIFY_MAX = 7000; // PostgreSQL's payload limit is 8000 bytes

/** "id,id,…" payloads under the NOTIFY limit. */
export function notifyPayloads(serviceIds: Iterable<string>): string[] {
  const out: string[] = [];
  let cur = '';
  for (const id of serviceIds) {
    if (cur.length + id.length + 1 > NOTIFY_MAX) {
      out.push(cur);
      cur = '';
    }
    cur = cur ? `${cur},${id}` : id;
  }
  if (cur) out.push(cur);
  return out;
}

export async function writeMeasurements(tx: Queryable, rows: Measurement[]): Promise<void> {
  if (!rows.length) return;
  await store.insertMeasurements(tx, rows);
  const inc = increments(rows);
  for (const grain of GRAINS) await store.addRollups(tx, grain, inc[grain]);
  const keyed = rows.filter((r) => r.key);
  if (keyed.length) {
    await store.seeVisitors(
      tx,
      keyed.map((r) => ({ serviceId: r.serviceId, day: utcDay(r.at), visitor: `k:${r.key}`, at: r.at })),
    );
  }
  await notifyChanged(tx, new Set(rows.map((r) => r.serviceId)));
}

export async function notifyChanged(tx: Queryable, serviceIds: Set<string>): Promise<void> {
  for (const payload of notifyPayloads(serviceIds)) await tx.query('SELECT pg_notify($1, $2)', [CHANGED_CHANNEL, payload]);
}
