// Backdrop's record rules and the SQL for data sets and records. A record is a flat JSON object:
// keys like `channel` or `_id` (lower case, digits and underscores), values that are strings,
// numbers, booleans or null; `_timestamp` an ISO 8601 time with its offset; `_id` an id without
// spaces (writing the same `_id` again replaces the record). One bad record rejects the batch.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../kernel/db.js';

export const VALID_KEY = /^[a-z_][a-z0-9_]+$/i;
const RESERVED = new Set(['_id', '_timestamp']);
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:?\d{2}|Z)$/;
export const DATA_TYPE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const MAX_STRING = 10_000;

export interface CleanRecord {
  id: string;
  ts: Date | null;
  data: Record<string, string | number | boolean | null>;
}

export class RecordError extends Error {}

export function validTimestamp(v: unknown): Date | null {
  if (typeof v !== 'string' || !TIMESTAMP.test(v)) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) || d.getUTCFullYear() > 9999 ? null : d;
}

/** Checks one record; throws RecordError with Backdrop's kind of message. */
export function cleanRecord(raw: unknown, index: number): CleanRecord {
  const at = (m: string) => new RecordError(`record ${index}: ${m}`);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw at('must be a JSON object');
  const data: CleanRecord['data'] = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!VALID_KEY.test(key) || key.length > 100) throw at(`${JSON.stringify(key.slice(0, 100))} is not a valid key`);
    if (key.startsWith('_') && !RESERVED.has(key)) throw at(`${key} is not a recognised internal field`);
    if (typeof value === 'string') {
      if (value.length > MAX_STRING) throw at(`the value of ${key} is longer than ${MAX_STRING} characters`);
      if (/\u0000/.test(value)) throw at(`the value of ${key} contains a NUL character`);
      if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value))
        throw at(`the value of ${key} is not valid Unicode`);
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw at(`the value of ${key} is not a finite number`);
    } else if (typeof value !== 'boolean' && value !== null) {
      throw at(`the value of ${key} must be a string, number, boolean or null`);
    }
    data[key] = value as string | number | boolean | null;
  }
  let ts: Date | null = null;
  if ('_timestamp' in data) {
    ts = validTimestamp(data._timestamp);
    if (!ts) throw at('_timestamp is not a valid datetime (ISO 8601 with a time zone, e.g. 2024-04-01T00:00:00+00:00)');
    data._timestamp = ts.toISOString();
  }
  let id: string;
  if ('_id' in data) {
    if (typeof data._id !== 'string' || !data._id || /\s/.test(data._id) || data._id.length > 200) throw at('_id is not a valid id');
    id = data._id;
  } else id = randomUUID();
  delete data._id;
  return { id, ts, data };
}

export interface DataSet {
  id: string;
  service_id: string;
  data_group: string;
  data_type: string;
  public: boolean;
  records?: number;
  updated_at?: string;
}

export const datasets = {
  async get(db: Queryable, group: string, type: string): Promise<DataSet | null> {
    const { rows } = await db.query<DataSet>(
      'SELECT id, service_id::text, data_group, data_type, public FROM performance.data_sets WHERE data_group = $1 AND data_type = $2',
      [group, type],
    );
    return rows[0] ?? null;
  },
  /** The data set, made (private) on its first write. */
  async ensure(tx: Queryable, serviceId: string, group: string, type: string): Promise<DataSet> {
    await tx.query(
      `INSERT INTO performance.data_sets (service_id, data_group, data_type) VALUES ($1, $2, $3) ON CONFLICT (data_group, data_type) DO NOTHING`,
      [serviceId, group, type],
    );
    return (await datasets.get(tx, group, type))!;
  },
  async forService(db: Queryable, serviceId: string): Promise<DataSet[]> {
    const { rows } = await db.query<DataSet>(
      `SELECT d.id, d.service_id::text, d.data_group, d.data_type, d.public, d.updated_at::text,
              (SELECT count(*)::int FROM performance.records r WHERE r.data_set_id = d.id) AS records
         FROM performance.data_sets d WHERE d.service_id = $1 ORDER BY d.data_type`,
      [serviceId],
    );
    return rows;
  },
  async setPublic(db: Queryable, serviceId: string, id: string, isPublic: boolean): Promise<boolean> {
    const r = await db.query('UPDATE performance.data_sets SET public = $3, updated_at = now() WHERE id = $2 AND service_id = $1', [
      serviceId,
      id,
      isPublic,
    ]);
    return r.rowCount > 0;
  },
  /** Upserts a batch by _id (the last of repeated ids in one batch wins). */
  async upsert(tx: Queryable, ds: DataSet, records: CleanRecord[]): Promise<void> {
    const byId = new Map(records.map((r) => [r.id, r]));
    const rows = [...byId.values()];
    for (let i = 0; i < rows.length; i += 5000) {
      const chunk = rows.slice(i, i + 5000);
      await tx.query(
        `INSERT INTO performance.records (data_set_id, service_id, id, ts, data)
         SELECT $1, $2, * FROM unnest($3::text[], $4::timestamptz[], $5::jsonb[])
         ON CONFLICT (data_set_id, id) DO UPDATE SET ts = excluded.ts, data = excluded.data, updated_at = now()`,
        [
          ds.id,
          ds.service_id,
          chunk.map((r) => r.id),
          chunk.map((r) => r.ts?.toISOString() ?? null),
          chunk.map((r) => JSON.stringify(r.data)),
        ],
      );
    }
    await tx.query('UPDATE performance.data_sets SET updated_at = now() WHERE id = $1', [ds.id]);
  },
  async empty(tx: Queryable, ds: DataSet): Promise<void> {
    await tx.query('DELETE FROM performance.records WHERE data_set_id = $1 AND service_id = $2', [ds.id, ds.service_id]);
  },
  /** Records in [from, to) (either may be open), oldest first; at most `limit`. */
  async records(db: Queryable, ds: DataSet, from: Date | null, to: Date | null, limit: number) {
    const { rows } = await db.query<{ id: string; ts: Date | null; data: Record<string, unknown>; updated_at: Date }>(
      `SELECT id, ts, data, updated_at FROM performance.records
        WHERE data_set_id = $1 AND service_id = $2 AND ($3::timestamptz IS NULL OR ts >= $3) AND ($4::timestamptz IS NULL OR ts < $4)
        ORDER BY ts NULLS FIRST, id LIMIT $5`,
      [ds.id, ds.service_id, from?.toISOString() ?? null, to?.toISOString() ?? null, limit],
    );
    return rows;
  },
};
