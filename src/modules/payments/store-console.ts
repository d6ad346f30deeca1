// The SQL behind the staff console's reconciliation views: takings and refunds per day (UK
// time), for one service ledger.
import type { Queryable } from '../../kernel/db.js';

export interface DayTotal {
  day: string;
  payments: number;
  gross: number;
  refunds: number;
  refunded: number;
  net: number;
}

export const consoleStore = {
  /** Successful payments and refunds per calendar day in the UK, newest first. */
  async totals(db: Queryable, serviceId: string, live: boolean, from: string, to: string): Promise<DayTotal[]> {
    const { rows } = await db.query<DayTotal>(
      `WITH p AS (
         SELECT (created_at AT TIME ZONE 'Europe/London')::date AS day, count(*)::int AS payments, sum(amount)::int AS gross
           FROM payments.payments WHERE service_id = $1 AND live = $2 AND status = 'success'
            AND created_at >= ($3::date)::timestamp AT TIME ZONE 'Europe/London' AND created_at < (($4::date) + 1)::timestamp AT TIME ZONE 'Europe/London'
          GROUP BY 1),
       r AS (
         SELECT (created_at AT TIME ZONE 'Europe/London')::date AS day, count(*)::int AS refunds, sum(amount)::int AS refunded
           FROM payments.refunds WHERE service_id = $1 AND live = $2 AND status = 'success'
            AND created_at >= ($3::date)::timestamp AT TIME ZONE 'Europe/London' AND created_at < (($4::date) + 1)::timestamp AT TIME ZONE 'Europe/London'
          GROUP BY 1)
       SELECT to_char(COALESCE(p.day, r.day), 'YYYY-MM-DD') AS day, COALESCE(p.payments, 0) AS payments, COALESCE(p.gross, 0) AS gross,
              COALESCE(r.refunds, 0) AS refunds, COALESCE(r.refunded, 0) AS refunded, COALESCE(p.gross, 0) - COALESCE(r.refunded, 0) AS net
         FROM p FULL JOIN r ON p.day = r.day ORDER BY 1 DESC`,
      [serviceId, live, from, to],
    );
    return rows;
  },
};
