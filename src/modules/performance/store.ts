// The SQL for measurements, rollups and analytics visitors. Every query filters by service id
// (the tenant column), and time ranges over rollups read at most three small index ranges, so a
// KPI costs the same after ten years of history as after one day.
import type { Queryable } from '../../kernel/db.js';
import type { Measurement } from './measure.js';
import type { Increment } from './rollup.js';
import type { Grain } from './ranges.js';

export interface RollupSum {
  service_id: string;
  type: string;
  dim: string;
  n: number;
  total: number;
}

const TABLE: Record<Grain, string> = {
  minute: 'performance.rollup_minute',
  hour: 'performance.rollup_hour',
  day: 'performance.rollup_day',
};

export const store = {
  /** One statement for a whole batch, whatever its size (arrays, not a parameter per value). */
  async insertMeasurements(tx: Queryable, rows: Measurement[]): Promise<void> {
    if (!rows.length) return;
    await tx.query(
      `INSERT INTO performance.measurements (service_id, at, type, dim, key, value, props)
       SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::jsonb[])`,
      [
        rows.map((r) => r.serviceId),
        rows.map((r) => r.at.toISOString()),
        rows.map((r) => r.type),
        rows.map((r) => r.dim),
        rows.map((r) => r.key),
        rows.map((r) => r.value),
        rows.map((r) => (r.props ? JSON.stringify(r.props) : null)),
      ],
    );
  },

  /** Adds to the rollup rows (already merged and sorted by key, so concurrent writers lock in one order). */
  async addRollups(tx: Queryable, grain: Grain, rows: Increment[]): Promise<void> {
    if (!rows.length) return;
    await tx.query(
      `INSERT INTO ${TABLE[grain]} AS r (service_id, type, dim, bucket, n, total)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::int8[], $6::float8[])
       ON CONFLICT (service_id, type, dim, bucket) DO UPDATE SET n = r.n + excluded.n, total = r.total + excluded.total`,
      [
        rows.map((r) => r.serviceId),
        rows.map((r) => r.type),
        rows.map((r) => r.dim),
        rows.map((r) => r.bucket.toISOString()),
        rows.map((r) => r.n),
        rows.map((r) => r.total),
      ],
    );
  },

  /**
   * Sums of rollups over a range split into whole days, whole hours and minutes at its edges
   * (`parts` from ranges.split). `dims`: only the totals (dim '') unless true.
   */
  async sums(
    db: Queryable,
    serviceIds: string[],
    types: string[] | null,
    parts: Array<{ grain: Grain; from: Date; to: Date }>,
    opts: { dims?: boolean } = {},
  ): Promise<RollupSum[]> {
    if (!parts.length || !serviceIds.length) return [];
    const params: unknown[] = [serviceIds, types ?? []];
    const selects = parts.map((p) => {
      params.push(p.from.toISOString(), p.to.toISOString());
      return `SELECT service_id, type, dim, n, total FROM ${TABLE[p.grain]}
               WHERE service_id = ANY($1::uuid[]) ${types ? 'AND type = ANY($2::text[])' : 'AND cardinality($2::text[]) = 0'}
                 ${opts.dims ? '' : "AND dim = ''"} AND bucket >= $${params.length - 1} AND bucket < $${params.length}`;
    });
    const { rows } = await db.query<RollupSum>(
      `SELECT service_id::text, type, dim, sum(n)::float8 AS n, sum(total)::float8 AS total
         FROM (${selects.join(' UNION ALL ')}) s GROUP BY service_id, type, dim`,
      params,
    );
    return rows;
  },

  /** One grain's buckets in a range, for charts and the Backdrop-style series. */
  async series(
    db: Queryable,
    serviceId: string,
    types: string[],
    grain: Grain,
    from: Date,
    to: Date,
  ): Promise<Array<{ type: string; bucket: Date; n: number; total: number }>> {
    const { rows } = await db.query<{ type: string; bucket: Date; n: number; total: number }>(
      `SELECT type, bucket, n::float8 AS n, total FROM ${TABLE[grain]}
        WHERE service_id = $1 AND type = ANY($2::text[]) AND dim = '' AND bucket >= $3 AND bucket < $4 ORDER BY bucket`,
      [serviceId, types, from.toISOString(), to.toISOString()],
    );
    return rows.map((r) => ({ ...r, bucket: new Date(r.bucket) }));
  },

  /** The busiest values of one breakdown (pages, referrers, devices, channels) in whole days. */
  async topDims(db: Queryable, serviceId: string, type: string, from: Date, to: Date, limit = 10) {
    const { rows } = await db.query<{ dim: string; n: number }>(
      `SELECT dim, sum(n)::float8 AS n FROM performance.rollup_day
        WHERE service_id = $1 AND type = $2 AND dim <> '' AND bucket >= $3 AND bucket < $4
        GROUP BY dim ORDER BY n DESC, dim LIMIT $5`,
      [serviceId, type, from.toISOString(), to.toISOString(), limit],
    );
    return rows;
  },

  /** Raw measurements per key (experiments' metrics): one row per key and type. */
  async perKey(
    db: Queryable,
    serviceId: string,
    types: string[],
    from: Date,
    to: Date,
    keys: string[] | null,
  ): Promise<
    Array<{ key: string; type: string; n: number; nv: number; total: number; first_at: Date; last_at: Date; last_value: number | null }>
  > {
    const { rows } = await db.query<any>(
      `SELECT key, type, count(*)::float8 AS n, count(value)::float8 AS nv, coalesce(sum(value), 0)::float8 AS total, min(at) AS first_at, max(at) AS last_at,
              (array_agg(value ORDER BY at DESC))[1] AS last_value
         FROM performance.measurements
        WHERE service_id = $1 AND type = ANY($2::text[]) AND at >= $3 AND at < $4 AND key IS NOT NULL
          ${keys ? 'AND key = ANY($5::text[])' : ''}
        GROUP BY key, type`,
      keys ? [serviceId, types, from.toISOString(), to.toISOString(), keys] : [serviceId, types, from.toISOString(), to.toISOString()],
    );
    return rows.map((r: any) => ({ ...r, first_at: new Date(r.first_at), last_at: new Date(r.last_at) }));
  },

  /**
   * Marks visitors (or keyed people) as seen; returns "service|visitor" of those seen for the
   * first time that day. Repeats within the batch are merged first (an upsert may touch a row once).
   */
  async seeVisitors(tx: Queryable, seen: Array<{ serviceId: string; day: string; visitor: string; at: Date }>): Promise<Set<string>> {
    const merged = new Map<string, (typeof seen)[number]>();
    for (const r of seen) {
      const k = `${r.serviceId}|${r.day}|${r.visitor}`;
      const had = merged.get(k);
      if (!had || had.at < r.at) merged.set(k, r);
    }
    const rows = [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
    if (!rows.length) return new Set();
    const { rows: out } = await tx.query<{ inserted: boolean; visitor: string; service_id: string }>(
      `INSERT INTO performance.visitors AS v (service_id, day, visitor, last_seen)
       SELECT * FROM unnest($1::uuid[], $2::date[], $3::text[], $4::timestamptz[])
       ON CONFLICT (service_id, day, visitor) DO UPDATE SET last_seen = greatest(v.last_seen, excluded.last_seen)
       RETURNING (xmax = 0) AS inserted, visitor, service_id::text`,
      [rows.map((r) => r.serviceId), rows.map((r) => r.day), rows.map((r) => r.visitor), rows.map((r) => r.at.toISOString())],
    );
    return new Set(out.filter((r) => r.inserted).map((r) => `${r.service_id}|${r.visitor}`));
  },

  /** People seen in the last five minutes, per service. */
  async liveUsers(db: Queryable, serviceIds: string[], since: Date): Promise<Map<string, number>> {
    if (!serviceIds.length) return new Map();
    const { rows } = await db.query<{ service_id: string; n: number }>(
      `SELECT service_id::text, count(DISTINCT visitor)::int AS n FROM performance.visitors
        WHERE service_id = ANY($1::uuid[]) AND last_seen >= $2 GROUP BY service_id`,
      [serviceIds, since.toISOString()],
    );
    return new Map(rows.map((r) => [r.service_id, r.n]));
  },
};
