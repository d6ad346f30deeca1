// The SQL for disputes, scoped by (service_id, live); searched like refunds (store.ts's searchLedger).
import type { Queryable } from '../../kernel/db.js';
import { searchLedger, type DateFilters } from './store.js';

export interface DisputeRow {
  dispute_id: string;
  payment_id: string;
  service_id: string;
  live: boolean;
  amount: number;
  fee: number | null;
  net_amount: number | null;
  reason: string;
  status: 'needs_response' | 'under_review' | 'lost' | 'won';
  evidence_due_date: Date | null;
  settled_date: string | null;
  created_at: Date;
}

type Scope = { serviceId: string; live: boolean };

export const disputeStore = {
  async insert(db: Queryable, d: Omit<DisputeRow, 'created_at'>): Promise<void> {
    await db.query(
      `INSERT INTO payments.disputes (dispute_id, payment_id, service_id, live, amount, fee, net_amount, reason, status, evidence_due_date, settled_date)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        d.dispute_id,
        d.payment_id,
        d.service_id,
        d.live,
        d.amount,
        d.fee,
        d.net_amount,
        d.reason,
        d.status,
        d.evidence_due_date,
        d.settled_date,
      ],
    );
  },
  search(
    db: Queryable,
    scope: Scope,
    f: DateFilters & { status?: string },
    limit: number,
    offset: number,
  ): Promise<{ rows: DisputeRow[]; total: number }> {
    return searchLedger<DisputeRow>(db, 'disputes', scope, f, limit, offset);
  },
};
