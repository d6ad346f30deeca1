// A batch of measurements merged into rollup increments: per minute, hour and day, one row per
// (service, type, dim, bucket) with the count and the sum of values, the total over all dims
// under dim ''. A batch of thousands of events for a few services becomes a few dozen rows.
import type { Measurement } from './measure.js';
import { bucketOf, type Grain } from './ranges.js';

export interface Increment {
  serviceId: string;
  type: string;
  dim: string;
  bucket: Date;
  n: number;
  total: number;
}

export const GRAINS: Grain[] = ['minute', 'hour', 'day'];
/** Extra breakdowns kept per day from a measurement's props: page views by referrer and device. */
export const BREAKDOWNS: Record<string, string[]> = { 'page.view': ['referrer', 'device'] };

/**
 * Minute rollups are read only for range edges in the last `MINUTE_ROLLUPS_KEPT_MS` (ranges.split)
 * and deleted after; a measurement older than that (a backfill) gets hour and day rollups only.
 */
export const MINUTE_ROLLUPS_KEPT_MS = 2 * 86_400_000;

export function increments(rows: Measurement[], now = Date.now()): Record<Grain, Increment[]> {
  const maps: Record<Grain, Map<string, Increment>> = { minute: new Map(), hour: new Map(), day: new Map() };
  const minutesFrom = now - MINUTE_ROLLUPS_KEPT_MS;
  for (const m of rows) {
    const dims = m.dim ? ['', m.dim] : [''];
    const add = (grain: Grain, type: string, dim: string) => {
      const bucket = bucketOf(m.at, grain);
      const k = `${m.serviceId}\u0001${type}\u0001${dim}\u0001${bucket.getTime()}`;
      const had = maps[grain].get(k);
      if (had) {
        had.n += 1;
        had.total += m.value ?? 0;
      } else maps[grain].set(k, { serviceId: m.serviceId, type, dim, bucket, n: 1, total: m.value ?? 0 });
    };
    for (const grain of GRAINS) {
      if (grain === 'minute' && m.at.getTime() < minutesFrom) continue;
      for (const dim of dims) add(grain, m.type, dim);
    }
    for (const name of BREAKDOWNS[m.type] ?? []) {
      const v = m.props?.[name];
      if (v !== undefined && v !== '') add('day', `${m.type}.${name}`, String(v));
    }
  }
  const sorted = (map: Map<string, Increment>) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return { minute: sorted(maps.minute), hour: sorted(maps.hour), day: sorted(maps.day) };
}
