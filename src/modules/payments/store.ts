// The SQL for payments, their timeline, refunds and idempotency keys. Every read that a
// service makes is scoped by (service_id, live): a key never sees another ledger's rows.
// State changes are conditional UPDATEs (`WHERE status = ANY(from)`) so that two racing
// requests cannot both move a payment, and each writes its timeline row in the same statement.
import type { Queryable } from '../../kernel/db.js';
import type { MetadataJson } from './schema.js';

export type Status = 'created' | 'started' | 'submitted' | 'capturable' | 'success' | 'failed' | 'cancelled' | 'error';
export const UNFINISHED: Status[] = ['created', 'started', 'submitted'];

export interface StoredCard {
  brand: string;
  brand_id: string;
  type?: 'credit' | 'debit';
  first6: string;
  last4: string;
  expiry: string;
  cardholder_name: string;
  billing_address?: { line1: string; line2?: string; city: string; postcode: string; country: string } | null;
}

export interface PaymentRow {
  payment_id: string;
  service_id: string;
  live: boolean;
  key_id: string | null;
  link_id: string | null;
  amount: number;
  description: string;
  reference: string;
  return_url: string | null;
  email: string | null;
  language: 'en' | 'cy';
  delayed_capture: boolean;
  moto: boolean;
  authorisation_mode: 'web' | 'moto_api' | 'agreement';
  agreement_id: string | null;
  set_up_agreement: string | null;
  agreement_payment_type: string | null;
  metadata: MetadataJson | null;
  prefilled: {
    cardholder_name?: string;
    billing_address?: { line1?: string; line2?: string; postcode?: string; city?: string; country?: string };
  } | null;
  status: Status;
  code: string | null;
  can_retry: boolean | null;
  auth_step: string | null;
  gateway: string;
  provider_id: string | null;
  gateway_ref: string | null;
  card: StoredCard | null;
  three_ds_required: boolean | null;
  token_gen: number;
  journey_hash: string | null;
  one_time_token_hash: string | null;
  one_time_token_used: boolean;
  return_token_hash: string | null;
  capture_submit_time: Date | null;
  captured_date: string | null;
  created_at: Date;
  updated_at: Date;
  /** Sum of refunds submitted or succeeded, kept by the refund use case under the row lock. */
  refunded: number;
}

export type NewPayment = Pick<
  PaymentRow,
  | 'payment_id'
  | 'service_id'
  | 'live'
  | 'key_id'
  | 'link_id'
  | 'amount'
  | 'description'
  | 'reference'
  | 'return_url'
  | 'email'
  | 'language'
  | 'delayed_capture'
  | 'moto'
  | 'authorisation_mode'
  | 'agreement_id'
  | 'set_up_agreement'
  | 'agreement_payment_type'
  | 'metadata'
  | 'prefilled'
  | 'gateway'
  | 'one_time_token_hash'
  | 'return_token_hash'
>;

export interface RefundRow {
  refund_id: string;
  payment_id: string;
  service_id: string;
  live: boolean;
  amount: number;
  status: 'submitted' | 'success' | 'error';
  provider_ref: string | null;
  refunded_by: string | null;
  settled_date: string | null;
  created_at: Date;
}

export interface PaymentEventRow {
  id: number;
  payment_id: string;
  status: Status;
  code: string | null;
  detail: string | null;
  at: Date;
}

const COLS = 'p.*';

// Columns a new payment always has, then those it often leaves at the column's default (as
// migrations/001_payments.sql sets it): those are left out of the INSERT, so the commonest payment
// (a key, a return_url, the rest as it comes) sends 10 values, not 23. payment_id, service_id and
// live come first: the idempotency statement refers to them as $1–$3.
const REQUIRED_COLS = ['payment_id', 'service_id', 'live', 'created_at', 'amount', 'description', 'reference', 'gateway'] as const;
const DEFAULTED_COLS = [
  ['language', 'en'],
  ['delayed_capture', false],
  ['moto', false],
  ['authorisation_mode', 'web'],
  ['key_id', null],
  ['link_id', null],
  ['return_url', null],
  ['email', null],
  ['agreement_id', null],
  ['set_up_agreement', null],
  ['agreement_payment_type', null],
  ['metadata', null],
  ['prefilled', null],
  ['one_time_token_hash', null],
  ['return_token_hash', null],
] as const;
const JSON_COLS = new Set(['metadata', 'prefilled', 'card']);
const UPDATABLE = new Set([
  'status',
  'code',
  'can_retry',
  'auth_step',
  'provider_id',
  'gateway_ref',
  'card',
  'three_ds_required',
  'token_gen',
  'journey_hash',
  'one_time_token_used',
  'capture_submit_time',
  'captured_date',
  'email',
]);

const val = (k: string, v: unknown) => (JSON_COLS.has(k) && v != null ? JSON.stringify(v) : v);

/** The INSERT for one set of columns not at their default (a bit each), with or without an idempotency key: built once. */
const insertStatements = new Map<number, string>();
function insertStatement(present: number, idem: boolean): string {
  const k = idem ? -present - 1 : present;
  let sql = insertStatements.get(k);
  if (sql === undefined) {
    const cols: string[] = [...REQUIRED_COLS, ...DEFAULTED_COLS.filter((_, i) => present & (1 << i)).map(([c]) => c)];
    const params = cols.map((_, i) => `$${i + 1}`).join(', ');
    const n = cols.length;
    sql = idem
      ? `WITH k AS (INSERT INTO payments.idempotency_keys (service_id, live, key, request_hash, payment_id)
           VALUES ($2, $3, $${n + 1}, $${n + 2}, $1) ON CONFLICT DO NOTHING RETURNING 1)
         INSERT INTO payments.payments (${cols.join(', ')}) SELECT ${params} WHERE EXISTS (SELECT 1 FROM k)`
      : `INSERT INTO payments.payments (${cols.join(', ')}) VALUES (${params})`;
    insertStatements.set(k, sql);
  }
  return sql;
}

export const store = {
  /**
   * One statement: the payment (its `created` timeline entry is its created_at, see timeline());
   * with an idempotency key, only if the key was not yet taken (a racing insert of the same key
   * waits for the other to commit, then inserts nothing).
   */
  async insertPayment(db: Queryable, p: NewPayment, idem?: { key: string; hash: string }): Promise<PaymentRow | null> {
    const now = new Date();
    // Spelt out, not `{ ...p, status: … }`: V8 builds a spread into a literal this wide some 200 times slower (~20 µs).
    const row: PaymentRow = {
      payment_id: p.payment_id,
      service_id: p.service_id,
      live: p.live,
      key_id: p.key_id,
      link_id: p.link_id,
      amount: p.amount,
      description: p.description,
      reference: p.reference,
      return_url: p.return_url,
      email: p.email,
      language: p.language,
      delayed_capture: p.delayed_capture,
      moto: p.moto,
      authorisation_mode: p.authorisation_mode,
      agreement_id: p.agreement_id,
      set_up_agreement: p.set_up_agreement,
      agreement_payment_type: p.agreement_payment_type,
      metadata: p.metadata,
      prefilled: p.prefilled,
      gateway: p.gateway,
      one_time_token_hash: p.one_time_token_hash,
      return_token_hash: p.return_token_hash,
      status: 'created',
      code: null,
      can_retry: null,
      auth_step: null,
      provider_id: null,
      gateway_ref: null,
      card: null,
      three_ds_required: null,
      token_gen: 0,
      journey_hash: null,
      one_time_token_used: false,
      capture_submit_time: null,
      captured_date: null,
      created_at: now,
      updated_at: now,
      refunded: 0,
    };
    const values: unknown[] = [p.payment_id, p.service_id, p.live, now.toISOString(), p.amount, p.description, p.reference, p.gateway];
    let present = 0;
    for (let i = 0; i < DEFAULTED_COLS.length; i++) {
      const [c, byDefault] = DEFAULTED_COLS[i];
      const v = p[c];
      if (v != null && v !== byDefault) {
        present |= 1 << i;
        values.push(val(c, v));
      }
    }
    if (idem) values.push(idem.key, idem.hash);
    // No RETURNING: the new row is known here, which keeps the commonest write as light as a bare insert.
    const { rowCount } = await db.query(insertStatement(present, !!idem), values);
    return rowCount ? row : null;
  },

  /** The payment an Idempotency-Key made, with the hash of the request that made it (one statement). */
  async paymentByIdempotencyKey(
    db: Queryable,
    scope: { serviceId: string; live: boolean },
    key: string,
  ): Promise<{ request_hash: string; payment: PaymentRow } | null> {
    const { rows } = await db.query<PaymentRow & { idempotency_request_hash: string }>(
      `SELECT k.request_hash AS idempotency_request_hash, ${COLS} FROM payments.idempotency_keys k
         JOIN payments.payments p ON p.payment_id = k.payment_id AND p.service_id = k.service_id AND p.live = k.live
        WHERE k.service_id = $1 AND k.live = $2 AND k.key = $3`,
      [scope.serviceId, scope.live, key],
    );
    if (!rows[0]) return null;
    const { idempotency_request_hash, ...payment } = rows[0];
    return { request_hash: idempotency_request_hash, payment };
  },

  /**
   * A payment by id; with `scope`, only if it is in that ledger. A plain read looks the row up by
   * its key and compares the ledger here (the same answer as a WHERE on service_id and live, and
   * measurably cheaper on PGlite); a locking read keeps the scope in SQL, so that it never locks
   * another ledger's row.
   */
  async payment(db: Queryable, paymentId: string, scope?: { serviceId: string; live: boolean }, lock = false): Promise<PaymentRow | null> {
    if (scope && lock) {
      const { rows } = await db.query<PaymentRow>(
        `SELECT ${COLS} FROM payments.payments p WHERE p.payment_id = $1 AND p.service_id = $2 AND p.live = $3 FOR UPDATE`,
        [paymentId, scope.serviceId, scope.live],
      );
      return rows[0] ?? null;
    }
    const { rows } = await db.query<PaymentRow>(
      `SELECT ${COLS} FROM payments.payments p WHERE p.payment_id = $1${lock ? ' FOR UPDATE' : ''}`,
      [paymentId],
    );
    const p = rows[0];
    if (!p || (scope && (p.service_id !== scope.serviceId || p.live !== scope.live))) return null;
    return p;
  },

  async paymentByOneTimeToken(db: Queryable, hash: string): Promise<PaymentRow | null> {
    const { rows } = await db.query<PaymentRow>(`SELECT ${COLS} FROM payments.payments p WHERE p.one_time_token_hash = $1`, [hash]);
    return rows[0] ?? null;
  },

  async paymentByReturnToken(db: Queryable, hash: string): Promise<PaymentRow | null> {
    const { rows } = await db.query<PaymentRow>(`SELECT ${COLS} FROM payments.payments p WHERE p.return_token_hash = $1`, [hash]);
    return rows[0] ?? null;
  },

  /**
   * Move a payment from one of `from` to a new state (or just change columns), recording the
   * timeline row in the same statement. Null when the payment was not in one of `from`.
   */
  async transition(
    db: Queryable,
    paymentId: string,
    from: Status[],
    set: Partial<PaymentRow>,
    detail: string | null = null,
  ): Promise<PaymentRow | null> {
    const keys = Object.keys(set).filter((k) => UPDATABLE.has(k));
    const values: unknown[] = [paymentId, from];
    const assigns = keys.map((k) => {
      values.push(val(k, (set as any)[k]));
      return `${k} = $${values.length}`;
    });
    values.push(detail);
    const d = values.length;
    const timeline =
      set.status || detail
        ? `, e AS (INSERT INTO payments.payment_events (payment_id, status, code, detail) SELECT payment_id, status, code, $${d} FROM u)`
        : `, e AS (SELECT $${d}::text)`;
    const { rows } = await db.query<PaymentRow>(
      `WITH u AS (UPDATE payments.payments SET ${[...assigns, 'updated_at = now()'].join(', ')} WHERE payment_id = $1 AND status = ANY($2::text[]) RETURNING *)${timeline}
       SELECT * FROM u`,
      values,
    );
    return rows[0] ?? null;
  },

  async addTimeline(db: Queryable, paymentId: string, status: Status, detail: string): Promise<void> {
    await db.query('INSERT INTO payments.payment_events (payment_id, status, detail) VALUES ($1, $2, $3)', [paymentId, status, detail]);
  },

  /** Every state the payment has been in, oldest first; the first, `created`, is the payment's own created_at. */
  async timeline(db: Queryable, paymentId: string): Promise<PaymentEventRow[]> {
    const { rows } = await db.query<PaymentEventRow>(
      `SELECT 0 AS id, payment_id, 'created' AS status, NULL AS code, NULL AS detail, created_at AS at FROM payments.payments WHERE payment_id = $1
       UNION ALL SELECT id, payment_id, status, code, detail, at FROM payments.payment_events WHERE payment_id = $1 ORDER BY id`,
      [paymentId],
    );
    return rows;
  },

  async searchPayments(
    db: Queryable,
    scope: { serviceId: string; live: boolean },
    f: PaymentFilters,
    limit: number,
    offset: number,
  ): Promise<{ rows: PaymentRow[]; total: number }> {
    const where = ['p.service_id = $1', 'p.live = $2'];
    const values: unknown[] = [scope.serviceId, scope.live];
    const add = (sql: string, v: unknown) => {
      values.push(v);
      where.push(sql.replace('?', `$${values.length}`));
    };
    if (f.reference) add('p.reference = ?', f.reference);
    if (f.email) add(`p.email ILIKE ?`, `%${f.email.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    if (f.state) add('p.status = ?', f.state);
    if (f.states?.length) add('p.status = ANY(?::text[])', f.states);
    if (f.cardBrand) add(`(lower(p.card->>'brand') = lower(?) OR p.card->>'brand_id' = lower($${values.length + 1}))`, f.cardBrand);
    if (f.cardholderName) add(`p.card->>'cardholder_name' ILIKE ?`, `%${f.cardholderName.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    if (f.firstDigits) add(`p.card->>'first6' = ?`, f.firstDigits);
    if (f.lastDigits) add(`p.card->>'last4' = ?`, f.lastDigits);
    if (f.fromDate) add('p.created_at >= ?', f.fromDate);
    if (f.toDate) add('p.created_at < ?', f.toDate);
    if (f.fromSettledDate) add('p.captured_date >= ?::date', f.fromSettledDate);
    if (f.toSettledDate) add('p.captured_date < ?::date', f.toSettledDate);
    if (f.agreementId) add(`(p.agreement_id = ? OR p.set_up_agreement = $${values.length + 1})`, f.agreementId);
    if (f.linkId) add('p.link_id = ?', f.linkId);
    values.push(limit, offset);
    const { rows } = await db.query<PaymentRow & { total: number }>(
      `SELECT ${COLS}, count(*) OVER ()::int AS total FROM payments.payments p WHERE ${where.join(' AND ')}
        ORDER BY p.created_at DESC, p.payment_id LIMIT $${values.length - 1} OFFSET $${values.length}`,
      values,
    );
    let total = rows[0]?.total ?? 0;
    if (!rows.length && offset > 0) {
      const c = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM payments.payments p WHERE ${where.join(' AND ')}`,
        values.slice(0, -2),
      );
      total = c.rows[0].n;
    }
    return { rows, total };
  },

  // Refunds
  async insertRefund(db: Queryable, r: Omit<RefundRow, 'created_at' | 'settled_date' | 'provider_ref'>): Promise<RefundRow> {
    const { rows } = await db.query<RefundRow>(
      `INSERT INTO payments.refunds (refund_id, payment_id, service_id, live, amount, status, refunded_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [r.refund_id, r.payment_id, r.service_id, r.live, r.amount, r.status, r.refunded_by],
    );
    return rows[0];
  },
  /** Reserve (positive) or release (negative) an amount of a payment for refunds; the CHECK keeps it within the amount. */
  async addRefunded(db: Queryable, paymentId: string, amount: number): Promise<void> {
    await db.query('UPDATE payments.payments SET refunded = refunded + $2, updated_at = now() WHERE payment_id = $1', [paymentId, amount]);
  },
  async setRefundStatus(db: Queryable, refundId: string, status: RefundRow['status'], providerRef: string | null): Promise<RefundRow> {
    const { rows } = await db.query<RefundRow>(
      `UPDATE payments.refunds SET status = $2, provider_ref = COALESCE($3, provider_ref), settled_date = CASE WHEN $2 = 'success' THEN current_date ELSE settled_date END
        WHERE refund_id = $1 RETURNING *`,
      [refundId, status, providerRef],
    );
    return rows[0];
  },
  async refund(db: Queryable, paymentId: string, refundId: string): Promise<RefundRow | null> {
    const { rows } = await db.query<RefundRow>('SELECT * FROM payments.refunds WHERE payment_id = $1 AND refund_id = $2', [
      paymentId,
      refundId,
    ]);
    return rows[0] ?? null;
  },
  async refundsFor(db: Queryable, paymentId: string): Promise<RefundRow[]> {
    const { rows } = await db.query<RefundRow>('SELECT * FROM payments.refunds WHERE payment_id = $1 ORDER BY created_at, refund_id', [
      paymentId,
    ]);
    return rows;
  },
  async searchRefunds(
    db: Queryable,
    scope: { serviceId: string; live: boolean },
    f: DateFilters,
    limit: number,
    offset: number,
  ): Promise<{ rows: RefundRow[]; total: number }> {
    return searchLedger<RefundRow>(db, 'refunds', scope, f, limit, offset);
  },

  /** Unfinished payments older than the session length (oldest first). */
  async stale(db: Queryable, minutes: number, limit: number): Promise<string[]> {
    const { rows } = await db.query<{ payment_id: string }>(
      `SELECT payment_id FROM payments.payments WHERE status IN ('created', 'started', 'submitted') AND created_at < now() - make_interval(mins => $1)
        ORDER BY created_at LIMIT $2`,
      [minutes, limit],
    );
    return rows.map((r) => r.payment_id);
  },
};

/** The filters the refund and dispute searches share: created in [fromDate, toDate), settled in [fromSettledDate, toSettledDate). */
export interface DateFilters {
  fromDate?: string;
  toDate?: string;
  fromSettledDate?: string;
  toSettledDate?: string;
}

const LEDGER_ORDER = { refunds: 'refund_id', disputes: 'dispute_id' } as const;

/**
 * A search page of one ledger's refunds or disputes (newest first) filtered by creation and
 * settlement dates, and by status when given, with the number that match.
 */
export async function searchLedger<T>(
  db: Queryable,
  table: keyof typeof LEDGER_ORDER,
  scope: { serviceId: string; live: boolean },
  f: DateFilters & { status?: string },
  limit: number,
  offset: number,
): Promise<{ rows: T[]; total: number }> {
  const where = ['service_id = $1', 'live = $2'];
  const values: unknown[] = [scope.serviceId, scope.live];
  const add = (sql: string, v: unknown) => {
    values.push(v);
    where.push(sql.replace('?', `$${values.length}`));
  };
  if (f.fromDate) add('created_at >= ?', f.fromDate);
  if (f.toDate) add('created_at < ?', f.toDate);
  if (f.fromSettledDate) add('settled_date >= ?::date', f.fromSettledDate);
  if (f.toSettledDate) add('settled_date < ?::date', f.toSettledDate);
  if (f.status) add('status = ?', f.status);
  const c = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM payments.${table} WHERE ${where.join(' AND ')}`, values);
  values.push(limit, offset);
  const { rows } = await db.query<T>(
    `SELECT * FROM payments.${table} WHERE ${where.join(' AND ')} ORDER BY created_at DESC, ${LEDGER_ORDER[table]}
    LIMIT $${values.length - 1} OFFSET $${values.length}`,
    values,
  );
  return { rows, total: c.rows[0].n };
}

export interface PaymentFilters {
  reference?: string;
  email?: string;
  state?: string;
  states?: string[];
  cardBrand?: string;
  cardholderName?: string;
  firstDigits?: string;
  lastDigits?: string;
  fromDate?: string;
  toDate?: string;
  fromSettledDate?: string;
  toSettledDate?: string;
  agreementId?: string;
  linkId?: string;
}
