// Sending limits, as Notify applies them: requests per minute per service and key type
// (RateLimitError), and messages per day per service and channel (TooManyRequestsError).
// Counting happens in memory so a send costs no extra writes; the daily counts are re-read
// from the notifications table every few seconds, so several processes converge on the
// true total (each process enforces the per-minute limit on its own share of the traffic).
import type { Db } from '../../kernel/db.js';
import { NotifyError } from './errors.js';
import { store, type KeyType, type TemplateType } from './store.js';

const WINDOW_MS = 60_000;
const REFRESH_MS = 5_000;

// Formatting a date in a time zone is slow; the UK day is worked out at most once a second.
let dayCache = { at: 0, day: '' };
const ukDay = (t: number) => {
  if (Math.abs(t - dayCache.at) >= 1_000) dayCache = { at: t, day: new Date(t).toLocaleDateString('en-CA', { timeZone: 'Europe/London' }) };
  return dayCache.day;
};

export function createLimits(db: Db, now: () => number = () => Date.now()) {
  const windows = new Map<string, { start: number; count: number }>();
  const daily = new Map<string, { day: string; counts: Record<string, number>; refreshedAt: number }>();

  async function todayCounts(serviceId: string) {
    const t = now();
    const day = ukDay(t);
    let entry = daily.get(serviceId);
    if (!entry || entry.day !== day || t - entry.refreshedAt > REFRESH_MS) {
      const fromDb = await store.sentToday(db, serviceId);
      const counts: Record<string, number> = { ...fromDb };
      if (entry && entry.day === day) for (const [k, v] of Object.entries(entry.counts)) counts[k] = Math.max(v, counts[k] ?? 0);
      entry = { day, counts, refreshedAt: t };
      daily.set(serviceId, entry);
      if (daily.size > 10_000) daily.clear();
    }
    return entry.counts;
  }

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
    /** Reserves one message against today's limit for the channel; throws TooManyRequestsError. */
    async reserveDaily(serviceId: string, type: TemplateType, limit: number): Promise<() => void> {
      const counts = await todayCounts(serviceId);
      if ((counts[type] ?? 0) + 1 > limit) {
        throw new NotifyError(429, 'TooManyRequestsError', `Exceeded send limits (${type}: ${limit}) for today`);
      }
      counts[type] = (counts[type] ?? 0) + 1;
      return () => {
        counts[type] = Math.max(0, (counts[type] ?? 1) - 1);
      };
    },
    reset(): void {
      windows.clear();
      daily.clear();
    },
  };
}
export type Limits = ReturnType<typeof createLimits>;
