// The SQL behind the staff side: alert rules and their firing state, chart annotations, and
// the ticks that let one process at a time do a periodic round (alerts, availability probes).
import type { Queryable } from '../../kernel/db.js';

export interface AlertRow {
  id: string;
  service_id: string;
  kpi: string;
  rule: 'below' | 'above' | 'change';
  threshold: number;
  channel: 'email' | 'sms';
  recipient: string;
  created_by: string;
  created_at: string;
  last_fired_at: string | null;
  firing: boolean;
}
export interface AnnotationRow {
  id: string;
  service_id: string;
  on_date: string;
  text: string;
  link: string | null;
  created_by: string;
}

const ALERT_COLS =
  'id, service_id::text, kpi, rule, threshold, channel, recipient, created_by, created_at::text, last_fired_at::text, firing';

export const staffStore = {
  async alerts(db: Queryable, serviceId?: string): Promise<AlertRow[]> {
    const { rows } = await db.query<AlertRow>(
      `SELECT ${ALERT_COLS} FROM performance.alerts ${serviceId ? 'WHERE service_id = $1' : ''} ORDER BY created_at`,
      serviceId ? [serviceId] : [],
    );
    return rows;
  },
  async addAlert(db: Queryable, a: Omit<AlertRow, 'id' | 'created_at' | 'last_fired_at' | 'firing'>): Promise<void> {
    await db.query(
      'INSERT INTO performance.alerts (service_id, kpi, rule, threshold, channel, recipient, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [a.service_id, a.kpi, a.rule, a.threshold, a.channel, a.recipient, a.created_by],
    );
  },
  async deleteAlert(db: Queryable, serviceId: string, id: string): Promise<boolean> {
    return (await db.query('DELETE FROM performance.alerts WHERE service_id = $1 AND id = $2', [serviceId, id])).rowCount > 0;
  },
  /** Moves an alert's state; true when this call is the one that set it firing (so it alone sends). */
  async setFiring(db: Queryable, id: string, firing: boolean): Promise<boolean> {
    const r = await db.query(
      `UPDATE performance.alerts SET firing = $2, last_fired_at = CASE WHEN $2 THEN now() ELSE last_fired_at END
        WHERE id = $1 AND firing <> $2`,
      [id, firing],
    );
    return firing && r.rowCount > 0;
  },

  async annotations(db: Queryable, serviceId: string, from?: string, to?: string): Promise<AnnotationRow[]> {
    const { rows } = await db.query<AnnotationRow>(
      `SELECT id, service_id::text, on_date, text, link, created_by FROM performance.annotations
        WHERE service_id = $1 AND ($2::date IS NULL OR on_date >= $2) AND ($3::date IS NULL OR on_date <= $3) ORDER BY on_date, created_at`,
      [serviceId, from ?? null, to ?? null],
    );
    return rows;
  },
  async addAnnotation(db: Queryable, a: Omit<AnnotationRow, 'id'>): Promise<void> {
    await db.query('INSERT INTO performance.annotations (service_id, on_date, text, link, created_by) VALUES ($1, $2, $3, $4, $5)', [
      a.service_id,
      a.on_date,
      a.text,
      a.link,
      a.created_by,
    ]);
  },
  async deleteAnnotation(db: Queryable, serviceId: string, id: string): Promise<boolean> {
    return (await db.query('DELETE FROM performance.annotations WHERE service_id = $1 AND id = $2', [serviceId, id])).rowCount > 0;
  },

  /** True for the one process that claims this round of `name` (none ran in the last `everyMs`). */
  async claimTick(db: Queryable, name: string, everyMs: number): Promise<boolean> {
    const { rows } = await db.query(
      `INSERT INTO performance.ticks AS t (name, last_run) VALUES ($1, now()) ON CONFLICT (name) DO UPDATE SET last_run = now()
        WHERE t.last_run <= now() - make_interval(secs => $2) RETURNING name`,
      [name, (everyMs * 0.9) / 1000],
    );
    return rows.length > 0;
  },
};
