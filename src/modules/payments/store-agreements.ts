// The SQL for agreements (recurring payments), scoped by (service_id, live).
import type { Queryable } from '../../kernel/db.js';
import type { PaymentInstrumentJson } from './schema.js';
import type { StoredCard } from './store.js';

/** What an agreement keeps: the API's payment_instrument, with the card's address as stored (complete). */
export type StoredInstrument = PaymentInstrumentJson & {
  card_details: { billing_address?: StoredCard['billing_address']; card_type?: StoredCard['type'] };
};

export interface AgreementRow {
  agreement_id: string;
  service_id: string;
  live: boolean;
  reference: string;
  description: string;
  user_identifier: string | null;
  status: 'created' | 'active' | 'cancelled' | 'inactive';
  instrument: StoredInstrument | null;
  instrument_token: string | null;
  created_at: Date;
  cancelled_at: Date | null;
}

type Scope = { serviceId: string; live: boolean };

export const agreementStore = {
  async insert(
    db: Queryable,
    a: Pick<AgreementRow, 'agreement_id' | 'service_id' | 'live' | 'reference' | 'description' | 'user_identifier'>,
  ): Promise<AgreementRow> {
    const { rows } = await db.query<AgreementRow>(
      `INSERT INTO payments.agreements (agreement_id, service_id, live, reference, description, user_identifier) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [a.agreement_id, a.service_id, a.live, a.reference, a.description, a.user_identifier],
    );
    return rows[0];
  },
  async get(db: Queryable, agreementId: string, scope: Scope, lock = false): Promise<AgreementRow | null> {
    const { rows } = await db.query<AgreementRow>(
      `SELECT * FROM payments.agreements WHERE agreement_id = $1 AND service_id = $2 AND live = $3${lock ? ' FOR UPDATE' : ''}`,
      [agreementId, scope.serviceId, scope.live],
    );
    return rows[0] ?? null;
  },
  async search(
    db: Queryable,
    scope: Scope,
    f: { reference?: string; status?: string },
    limit: number,
    offset: number,
  ): Promise<{ rows: AgreementRow[]; total: number }> {
    const where = ['service_id = $1', 'live = $2'];
    const values: unknown[] = [scope.serviceId, scope.live];
    if (f.reference) {
      values.push(f.reference);
      where.push(`lower(reference) = lower($${values.length})`);
    }
    if (f.status) {
      values.push(f.status);
      where.push(`status = $${values.length}`);
    }
    const c = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM payments.agreements WHERE ${where.join(' AND ')}`, values);
    values.push(limit, offset);
    const { rows } = await db.query<AgreementRow>(
      `SELECT * FROM payments.agreements WHERE ${where.join(' AND ')}
      ORDER BY created_at DESC, agreement_id LIMIT $${values.length - 1} OFFSET $${values.length}`,
      values,
    );
    return { rows, total: c.rows[0].n };
  },
  async activate(db: Queryable, agreementId: string, instrument: StoredInstrument, token: string): Promise<void> {
    await db.query(
      `UPDATE payments.agreements SET status = 'active', instrument = $2, instrument_token = $3, cancelled_at = NULL WHERE agreement_id = $1`,
      [agreementId, JSON.stringify(instrument), token],
    );
  },
  /** Conditional: only from one of `from`; false when the agreement was not in one of them. */
  async setStatus(db: Queryable, agreementId: string, from: AgreementRow['status'][], status: AgreementRow['status']): Promise<boolean> {
    const r = await db.query(
      `UPDATE payments.agreements SET status = $3, cancelled_at = CASE WHEN $3 = 'cancelled' THEN now() ELSE cancelled_at END
      WHERE agreement_id = $1 AND status = ANY($2::text[])`,
      [agreementId, from, status],
    );
    return r.rowCount > 0;
  },
};
