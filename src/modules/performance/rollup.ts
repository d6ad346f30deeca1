// A batch of measurements merged into rollup increments: per minute, hour and day, one row per
// (service, type, dim, bucket) with the count and the sum of values, the total over all dims
// under dim ''. A batch of thousands of events for a few services becomes a few dozen rows.
import type { Measurement } from './measure.js';
import type { Grain } from './ranges.js';

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

const GRAIN_MS: Record<Grain, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

interface Group {
  serviceId: string;
  type: string;
  dim: string;
  /** Per grain: bucket (ms) → [n, total]. */
  buckets: Record<Grain, Map<number, [number, number]>>;
}

export function increments(rows: Measurement[], now = Date.now()): Record<Grain, Increment[]> {
  // The hot path of ingestion (thousands of rows a batch): one string key per row and breakdown,
  // buckets as numbers, Dates made only for the merged rows.
  const groups = new Map<string, Group>();
  const minutesFrom = now - MINUTE_ROLLUPS_KEPT_MS;
  const group = (serviceId: string, type: string, dim: string) => {
    const k = `${serviceId}\u0001${type}\u0001${dim}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { serviceId, type, dim, buckets: { minute: new Map(), hour: new Map(), day: new Map() } }));
    return g;
  };
  const add = (g: Group, grain: Grain, ms: number, value: number) => {
    const bucket = ms - (((ms % GRAIN_MS[grain]) + GRAIN_MS[grain]) % GRAIN_MS[grain]);
    const had = g.buckets[grain].get(bucket);
    if (had) {
      had[0] += 1;
      had[1] += value;
    } else g.buckets[grain].set(bucket, [1, value]);
  };
  for (const m of rows) {
    const ms = m.at.getTime();
    const value = m.value ?? 0;
    const gs = m.dim ? [group(m.serviceId, m.type, ''), group(m.serviceId, m.type, m.dim)] : [group(m.serviceId, m.type, '')];
    for (const g of gs) {
      if (ms >= minutesFrom) add(g, 'minute', ms, value);
      add(g, 'hour', ms, value);
      add(g, 'day', ms, value);
    }
    const names = BREAKDOWNS[m.type];
    if (names)
      for (const name of names) {
        const v = m.props?.[name];
        if (v !== undefined && v !== '') add(group(m.serviceId, `${m.type}.${name}`, String(v)), 'day', ms, value);
      }
  }
  // Sorted by (service, type, dim, bucket) as text, so concurrent writers lock rows in one order.
  const out = (grain: Grain) => {
    const list: Array<[string, Increment]> = [];
    for (const [k, g] of groups)
      for (const [bucket, [n, total]] of g.buckets[grain])
        list.push([`${k}\u0001${bucket}`, { serviceId: g.serviceId, type: g.type, dim: g.dim, bucket: new Date(bucket), n, total }]);
    return list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  };
  return { minute: out('minute'), hour: out('hour'), day: out('day') };
}
