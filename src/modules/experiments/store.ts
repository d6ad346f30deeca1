// The SQL for the experiments module's flag tables: documents per service and environment,
// and their revisions. Plain typed rows back.
import type { Queryable } from '../../kernel/db.js';

export type Environment = 'test' | 'live';
export interface FlagSetRow {
  service_id: string;
  environment: Environment;
  document: Record<string, any>;
  version: number;
  updated_at: string;
  updated_by: string;
}
export interface RevisionRow {
  version: number;
  document: Record<string, any>;
  changed_by: string;
  summary: string;
  created_at: string;
}

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : String(d));
const setRow = (r: any): FlagSetRow => ({ ...r, updated_at: iso(r.updated_at) });

export const store = {
  async allSets(db: Queryable): Promise<FlagSetRow[]> {
    const { rows } = await db.query('SELECT * FROM experiments.flag_sets');
    return rows.map(setRow);
  },
  async set(db: Queryable, serviceId: string, env: Environment, lock = false): Promise<FlagSetRow | null> {
    const { rows } = await db.query(
      `SELECT * FROM experiments.flag_sets WHERE service_id = $1 AND environment = $2${lock ? ' FOR UPDATE' : ''}`,
      [serviceId, env],
    );
    return rows[0] ? setRow(rows[0]) : null;
  },
  /** Writes the next version and its revision; returns the new version. */
  async save(tx: Queryable, serviceId: string, env: Environment, document: unknown, by: string, summary: string): Promise<number> {
    const { rows } = await tx.query<{ version: number }>(
      `INSERT INTO experiments.flag_sets (service_id, environment, document, version, updated_by)
       VALUES ($1, $2, $3, 1, $4)
       ON CONFLICT (service_id, environment) DO UPDATE
         SET document = EXCLUDED.document, version = experiments.flag_sets.version + 1, updated_at = now(), updated_by = EXCLUDED.updated_by
       RETURNING version`,
      [serviceId, env, JSON.stringify(document), by],
    );
    const version = rows[0].version;
    await tx.query(
      'INSERT INTO experiments.flag_revisions (service_id, environment, version, document, changed_by, summary) VALUES ($1, $2, $3, $4, $5, $6)',
      [serviceId, env, version, JSON.stringify(document), by, summary.slice(0, 500)],
    );
    return version;
  },
  async revisions(db: Queryable, serviceId: string, env: Environment, limit = 50): Promise<RevisionRow[]> {
    const { rows } = await db.query(
      'SELECT version, document, changed_by, summary, created_at FROM experiments.flag_revisions WHERE service_id = $1 AND environment = $2 ORDER BY version DESC LIMIT $3',
      [serviceId, env, limit],
    );
    return rows.map((r: any) => ({ ...r, created_at: iso(r.created_at) }));
  },
};
