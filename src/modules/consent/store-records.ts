// SQL for consent records and their signatures. A new record, its first revision and its
// outbox event go in one statement (one round trip, one commit), then one NOTIFY statement:
// record creation is the hot path of the API.
import type { Queryable } from '../../kernel/db.js';
import { page } from './store.js';
import { REVISION_COLUMNS, revisionValues, type RevisionRow } from './revisions.js';

export type RecordStatus = 'given' | 'declined' | 'withdrawn';

export interface RecordRow {
  id: string;
  organisation_id: string;
  agreement_id: string;
  individual_id: string;
  account_id: string | null;
  service_id: string;
  agreement_revision_id: string;
  agreement_revision_hash: string;
  opt_in: boolean;
  status: RecordStatus;
  state: 'unsigned' | 'pending' | 'signed';
  signature_id: string | null;
  attributes: string[];
  given_at: Date | null;
  expires_at: Date | null;
  withdrawn_at: Date | null;
  delegation_id: string | null;
  via: 'api' | 'page' | 'delegate';
  revision_id: string | null;
  reminded_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface SignatureRow {
  id: string;
  organisation_id: string;
  record_id: string | null;
  payload: string;
  signature: string;
  verification_method: string;
  verification_payload: string;
  verification_payload_hash: string;
  verification_artifact: string;
  verification_signed_by: string;
  verification_signed_as: string;
  verification_jws_header: string;
  timestamp: string;
  signed_without_object_reference: boolean;
  object_type: string;
  object_reference: string;
  verified: boolean;
}

/** The channel that tells every process a citizen's consents changed (payload: account id, or '*'). */
export const SUBJECT_CHANNEL = 'consent_subjects';
/** The kernel outbox's wake-up channel (kernel/events.ts): sent when an event commits. */
const EVENTS_CHANNEL = 'cityscape_events';

const RECORD_INSERT_COLUMNS = [
  'id',
  'organisation_id',
  'agreement_id',
  'individual_id',
  'account_id',
  'service_id',
  'agreement_revision_id',
  'agreement_revision_hash',
  'opt_in',
  'status',
  'state',
  'signature_id',
  'attributes',
  'given_at',
  'expires_at',
  'delegation_id',
  'via',
  'revision_id',
] as const;
export type NewRecord = Pick<RecordRow, (typeof RECORD_INSERT_COLUMNS)[number]>;
export const SIGNATURE_COLUMNS = [
  'id',
  'organisation_id',
  'record_id',
  'payload',
  'signature',
  'verification_method',
  'verification_payload',
  'verification_payload_hash',
  'verification_artifact',
  'verification_signed_by',
  'verification_signed_as',
  'verification_jws_header',
  'timestamp',
  'signed_without_object_reference',
  'object_type',
  'object_reference',
  'verified',
] as const;

// Parameters in INSERT … SELECT need their types spelt out (they are not taken from the columns).
const RECORD_TYPES: Record<(typeof RECORD_INSERT_COLUMNS)[number], string> = {
  id: 'uuid',
  organisation_id: 'uuid',
  agreement_id: 'uuid',
  individual_id: 'uuid',
  account_id: 'uuid',
  service_id: 'uuid',
  agreement_revision_id: 'uuid',
  agreement_revision_hash: 'text',
  opt_in: 'boolean',
  status: 'text',
  state: 'text',
  signature_id: 'uuid',
  attributes: 'text[]',
  given_at: 'timestamptz',
  expires_at: 'timestamptz',
  delegation_id: 'uuid',
  via: 'text',
  revision_id: 'uuid',
};
const REVISION_TYPES = ['uuid', 'uuid', 'text', 'uuid', 'int', 'text', 'uuid', 'text', 'text', 'text', 'text', 'text', 'text'];
const SIGNATURE_TYPES = SIGNATURE_COLUMNS.map((c) =>
  ['id', 'organisation_id', 'record_id'].includes(c)
    ? 'uuid'
    : ['signed_without_object_reference', 'verified'].includes(c)
      ? 'boolean'
      : 'text',
);

export interface RecordEvent {
  type: string;
  payload: Record<string, unknown>;
}

export const recordStore = {
  /**
   * Inserts a record with its first revision (and signature), outbox event and NOTIFY, in one
   * statement, for an individual of the record's organisation. `individual` is false when there
   * is no such individual; `created` false when they already have a record for the agreement.
   */
  async create(
    q: Queryable,
    r: NewRecord,
    rev: RevisionRow,
    event: RecordEvent,
    sig: SignatureRow | null,
  ): Promise<{ individual: boolean; created: boolean; accountId: string | null }> {
    const p: unknown[] = [];
    const arg = (v: unknown, type: string) => `$${p.push(v)}::${type}`;
    const recVals = RECORD_INSERT_COLUMNS.map((c) => (c === 'account_id' ? 'ind.account_id' : arg(r[c], RECORD_TYPES[c])));
    const revVals = revisionValues(rev).map((v, i) => arg(v, REVISION_TYPES[i]));
    const sigCte = sig
      ? `, sig AS (INSERT INTO consent.signatures (${SIGNATURE_COLUMNS.join(', ')})
           SELECT ${SIGNATURE_COLUMNS.map((c, i) => arg(sig[c], SIGNATURE_TYPES[i])).join(', ')} FROM rec RETURNING id)`
      : '';
    const ind = `SELECT account_id FROM consent.individuals WHERE id = ${arg(r.individual_id, 'uuid')} AND organisation_id = ${arg(r.organisation_id, 'uuid')} AND deleted_at IS NULL`;
    const evVals = [arg(`consent.record:${r.id}`, 'text'), arg(event.type, 'text'), arg(JSON.stringify(event.payload), 'jsonb')];
    const { rows } = await q.query<{ individual: number; created: number; account_id: string | null }>(
      `WITH ind AS (${ind}),
       rec AS (
         INSERT INTO consent.records (${RECORD_INSERT_COLUMNS.join(', ')}) SELECT ${recVals.join(', ')} FROM ind
         ON CONFLICT (agreement_id, individual_id) DO NOTHING RETURNING id, account_id),
       rev AS (INSERT INTO consent.revisions (${REVISION_COLUMNS}) SELECT ${revVals.join(', ')} FROM rec RETURNING id),
       ev AS (INSERT INTO kernel.events (stream, type, payload) SELECT ${evVals.join(', ')} FROM rec RETURNING id)
       ${sigCte}
       SELECT (SELECT count(*) FROM ind)::int AS individual, (SELECT count(*) FROM rec)::int AS created,
              (SELECT account_id FROM rec) AS account_id`,
      p,
    );
    const row = rows[0];
    // NOTIFY after the commit, in a statement of its own: a transaction that notifies holds
    // PostgreSQL's one notification lock through its commit's WAL flush, so notifying inside
    // it would put every record creation in single file (≈ 1 per fsync). A notify-only
    // statement writes no WAL. The outbox also polls each second, so nothing waits on a lost one.
    if (row.created === 1)
      await q.query(`SELECT pg_notify('${EVENTS_CHANNEL}', ''), pg_notify('${SUBJECT_CHANNEL}', $1)`, [row.account_id ?? '-']);
    return { individual: row.individual === 1, created: row.created === 1, accountId: row.account_id };
  },

  async update(tx: Queryable, id: string, f: Partial<RecordRow>): Promise<RecordRow> {
    const keys = Object.keys(f).filter((k) => (f as any)[k] !== undefined);
    const { rows } = await tx.query<RecordRow>(
      `UPDATE consent.records SET ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')}, updated_at = now() WHERE id = $1 RETURNING *`,
      [id, ...keys.map((k) => (f as any)[k])],
    );
    return rows[0];
  },

  async get(q: Queryable, organisationId: string | null, id: string, lock = false): Promise<RecordRow | null> {
    const { rows } = await q.query<RecordRow>(
      `SELECT * FROM consent.records WHERE id = $1 AND ($2::uuid IS NULL OR organisation_id = $2)${lock ? ' FOR UPDATE' : ''}`,
      [id, organisationId],
    );
    return rows[0] ?? null;
  },

  async forAgreement(q: Queryable, agreementId: string, individualId: string, lock = false): Promise<RecordRow | null> {
    const { rows } = await q.query<RecordRow>(
      `SELECT * FROM consent.records WHERE agreement_id = $1 AND individual_id = $2${lock ? ' FOR UPDATE' : ''}`,
      [agreementId, individualId],
    );
    return rows[0] ?? null;
  },

  async list(
    q: Queryable,
    f: { organisationId: string; individualId?: string; agreementId?: string; optIn?: boolean },
    offset: number,
    limit: number,
  ): Promise<{ rows: RecordRow[]; total: number }> {
    const where = ['organisation_id = $1'];
    const params: unknown[] = [f.organisationId];
    if (f.individualId) where.push(`individual_id = $${params.push(f.individualId)}`);
    if (f.agreementId) where.push(`agreement_id = $${params.push(f.agreementId)}`);
    if (f.optIn !== undefined) where.push(`opt_in = $${params.push(f.optIn)}`);
    const w = where.join(' AND ');
    const [list, count] = await Promise.all([
      q.query<RecordRow>(`SELECT * FROM consent.records WHERE ${w} ORDER BY created_at, id ${page(offset, limit)}`, params),
      q.query<{ n: number }>(`SELECT count(*)::int AS n FROM consent.records WHERE ${w}`, params),
    ]);
    return { rows: list.rows, total: count.rows[0].n };
  },

  /** Every record of a citizen (their own pages), newest first. */
  async ofAccount(q: Queryable, accountId: string): Promise<RecordRow[]> {
    const { rows } = await q.query<RecordRow>('SELECT * FROM consent.records WHERE account_id = $1 ORDER BY updated_at DESC, id', [
      accountId,
    ]);
    return rows;
  },

  /** What decide needs of a citizen's records on consent agreements that still exist. */
  async decisionRows(q: Queryable, accountId: string) {
    const { rows } = await q.query<{
      id: string;
      service_id: string;
      dpv_purpose: string;
      opt_in: boolean;
      status: RecordStatus;
      attributes: string[];
      expires_at: Date | null;
      updated_at: Date;
    }>(
      `SELECT r.id, r.service_id, a.dpv_purpose, r.opt_in, r.status, r.attributes, r.expires_at, r.updated_at
         FROM consent.records r JOIN consent.agreements a ON a.id = r.agreement_id
        WHERE r.account_id = $1 AND a.lawful_basis = 'consent' AND a.deleted_at IS NULL`,
      [accountId],
    );
    return rows;
  },

  async insertSignature(tx: Queryable, s: SignatureRow): Promise<SignatureRow> {
    const { rows } = await tx.query<SignatureRow>(
      `INSERT INTO consent.signatures (${SIGNATURE_COLUMNS.join(', ')}) VALUES (${SIGNATURE_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
       RETURNING *`,
      SIGNATURE_COLUMNS.map((c) => s[c]),
    );
    return rows[0];
  },
  async signature(q: Queryable, id: string): Promise<SignatureRow | null> {
    const { rows } = await q.query<SignatureRow>('SELECT * FROM consent.signatures WHERE id = $1', [id]);
    return rows[0] ?? null;
  },

  /** Figures per agreement for the staff console. */
  async figures(q: Queryable, agreementIds: string[]) {
    const { rows } = await q.query<{ agreement_id: string; given: number; declined: number; withdrawn: number; expired: number }>(
      `SELECT agreement_id,
              count(*) FILTER (WHERE status = 'given' AND (expires_at IS NULL OR expires_at > now()))::int AS given,
              count(*) FILTER (WHERE status = 'declined')::int AS declined,
              count(*) FILTER (WHERE status = 'withdrawn')::int AS withdrawn,
              count(*) FILTER (WHERE status = 'given' AND expires_at <= now())::int AS expired
         FROM consent.records WHERE agreement_id = ANY($1::uuid[]) GROUP BY agreement_id`,
      [agreementIds],
    );
    return new Map(rows.map((r) => [r.agreement_id, r]));
  },
};
