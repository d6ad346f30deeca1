// Sending limits, as Notify applies them: requests per minute per service and key type
// (RateLimitError), and messages per day per service and channel (TooManyRequestsError).
// The daily limit is exact: each send takes its place in `notify.daily_counts` under that row's
// lock, in the transaction that writes the notification (`takeDaily`, called by batch.ts), so
// no number of concurrent sends or processes can pass it. Counts seen there are remembered, so
// once a service is known to be full today its sends are refused before any work is done.
// The per-minute limit is counted in memory, per process (each enforces it on its own share).
import type { Queryable } from '../../kernel/db.js';
import { NotifyError } from './errors.js';
import type { KeyType, TemplateType } from './store.js';

const WINDOW_MS = 60_000;

export const dailyLimitError = (type: string, limit: number) =>
  new NotifyError(429, 'TooManyRequestsError', `Exceeded send limits (${type}: ${limit}) for today`);

/**
 * Locks the service's counter for the channel today and takes up to `wanted` places within
 * `limit`; returns how many it took and the count before. Call in the writing transaction, and
 * in a fixed order of (service, channel) when taking several, so two writers never deadlock.
 */
export async function takeDaily(
  tx: Queryable,
  serviceId: string,
  channel: TemplateType,
  limit: number,
  wanted: number,
): Promise<{ taken: number; before: number; day: string }> {
  const { rows } = await tx.query<{ count: number; day: string }>(
    `INSERT INTO notify.daily_counts AS d (service_id, day, channel, count)
     VALUES ($1, (now() AT TIME ZONE 'Europe/London')::date, $2, 0)
     ON CONFLICT (service_id, day, channel) DO UPDATE SET count = d.count
     RETURNING count, day::text AS day`,
    [serviceId, channel],
  );
  const before = rows[0].count;
  const taken = Math.max(0, Math.min(wanted, limit - before));
  if (taken)
    await tx.query(
      `UPDATE notify.daily_counts SET count = count + $3
        WHERE service_id = $1 AND day = (now() AT TIME ZONE 'Europe/London')::date AND channel = $2`,
      [serviceId, channel, taken],
    );
  return { taken, before, day: rows[0].day };
}

export function createLimits(now: () => number = () => Date.now()) {
  const windows = new Map<string, { start: number; count: number }>();
  // The highest count seen today per service and channel (counts only grow within a day).
  const seen = new Map<string, { day: string; count: number }>();
  let dayCache = { at: 0, day: '' };
  // Formatting a date in a time zone is slow; the UK day is worked out at most once a second.
  const ukDay = () => {
    const t = now();
    if (Math.abs(t - dayCache.at) >= 1_000)
      dayCache = { at: t, day: new Date(t).toLocaleDateString('en-CA', { timeZone: 'Europe/London' }) };
    return dayCache.day;
  };

  return {
    /** Per-minute request limit; throws RateLimitError. */
    checkRate(serviceId: string, keyType: KeyType, limit: number): void {
      const key = `${serviceId}:${keyType}`;
      const t = now();
      let w = windows.get(key);
      if (!w || t - w.start >= WINDOW_MS) {
        w = { start: t, count: 0 };
        windows.set(key, w);
      }
      if (w.count >= limit) {
        throw new NotifyError(
          429,
          'RateLimitError',
          `Exceeded rate limit for key type ${keyType.toUpperCase()} of ${limit} requests per 60 seconds`,
        );
      }
      w.count += 1;
      if (windows.size > 10_000) for (const [k, v] of windows) if (t - v.start >= WINDOW_MS) windows.delete(k);
    },
    /** Refuses at once a send to a channel already known to be full today (the exact check is `takeDaily`). */
    checkDaily(serviceId: string, type: TemplateType, limit: number): void {
      const s = seen.get(`${serviceId}:${type}`);
      if (s && s.day === ukDay() && s.count >= limit) throw dailyLimitError(type, limit);
    },
    /** A count read under the lock on the database's `day`, remembered for `checkDaily`. */
    noteDaily(serviceId: string, type: TemplateType, day: string, count: number): void {
      const key = `${serviceId}:${type}`;
      const s = seen.get(key);
      if (!s || s.day !== day || s.count < count) seen.set(key, { day, count });
      if (seen.size > 10_000) seen.clear();
    },
    reset(): void {
      windows.clear();
      seen.clear();
    },
  };
}
export type Limits = ReturnType<typeof createLimits>;
