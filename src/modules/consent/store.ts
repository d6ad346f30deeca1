// SQL for policies, data agreements and individuals. Every read of an organisation's rows
// filters by organisation_id: one organisation never reads another's.
import type { Queryable } from '../../kernel/db.js';

export interface AgreementAttribute {
  /** An exchange attribute id ('dwp/benefits.pip_mobility') or, for free entry, a generated one. */
  id: string;
  name: string;
  nameCy?: string | null;
  description: string;
  sensitivity: boolean;
  category: string;
  /** The agency that holds it ('UK/GOV/DWP') and its name, from the exchange's catalogue. */
  provider?: string;
  providerName?: string;
}

export interface PolicyRow {
  id: string;
  organisation_id: string;
  name: string;
  version: string;
  url: string;
  jurisdiction: string;
  industry_sector: string;
  data_retention_period_days: number;
  geographic_restriction: string;
  storage_location: string;
  revision_id: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export interface AgreementRow {
  id: string;
  organisation_id: string;
  service_id: string;
  policy_id: string | null;
  version: string;
  controller_id: string;
  controller_name: string;
  controller_url: string;
  purpose: string;
  purpose_cy: string | null;
  purpose_description: string;
  purpose_description_cy: string | null;
  dpv_purpose: string;
  lawful_basis: string;
  data_use: string;
  dpia: string;
  dpia_date: string;
  dpia_summary_url: string;
  active: boolean;
  forgettable: boolean;
  lifecycle: 'draft' | 'complete';
  attributes: AgreementAttribute[];
  partial_allowed: boolean;
  duration_days: number | null;
  compatible_with_version_id: string;
  approval: 'draft' | 'submitted' | 'approved' | 'rejected';
  pending: Partial<AgreementFields> | null;
  drafted_by: string | null;
  submitted_at: Date | null;
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  revision_id: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

/** The columns a create or update sets. */
export type AgreementFields = Pick<
  AgreementRow,
  | 'service_id'
  | 'policy_id'
  | 'version'
  | 'controller_id'
  | 'controller_name'
  | 'controller_url'
  | 'purpose'
  | 'purpose_cy'
  | 'purpose_description'
  | 'purpose_description_cy'
  | 'dpv_purpose'
  | 'lawful_basis'
  | 'data_use'
  | 'dpia'
  | 'dpia_date'
  | 'dpia_summary_url'
  | 'active'
  | 'forgettable'
  | 'lifecycle'
  | 'attributes'
  | 'partial_allowed'
  | 'duration_days'
  | 'compatible_with_version_id'
>;
export const AGREEMENT_FIELDS: Array<keyof AgreementFields> = [
  'service_id',
  'policy_id',
  'version',
  'controller_id',
  'controller_name',
  'controller_url',
  'purpose',
  'purpose_cy',
  'purpose_description',
  'purpose_description_cy',
  'dpv_purpose',
  'lawful_basis',
  'data_use',
  'dpia',
  'dpia_date',
  'dpia_summary_url',
  'active',
  'forgettable',
  'lifecycle',
  'attributes',
  'partial_allowed',
  'duration_days',
  'compatible_with_version_id',
];

export interface IndividualRow {
  id: string;
  organisation_id: string;
  external_id: string;
  external_id_type: string;
  identity_provider_id: string;
  account_id: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export const POLICY_FIELDS = [
  'name',
  'version',
  'url',
  'jurisdiction',
  'industry_sector',
  'data_retention_period_days',
  'geographic_restriction',
  'storage_location',
] as const;
export type PolicyFields = Pick<PolicyRow, (typeof POLICY_FIELDS)[number]>;

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.floor(Number.isFinite(n) ? n : lo)));
export const page = (offset: number, limit: number) => `OFFSET ${clamp(offset, 0, 2 ** 31 - 1)} LIMIT ${clamp(limit, 1, 10_000)}`;
const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

export const store = {
  // Policies
  async insertPolicy(tx: Queryable, id: string, organisationId: string, f: PolicyFields): Promise<PolicyRow> {
    const { rows } = await tx.query<PolicyRow>(
      `INSERT INTO consent.policies (id, organisation_id, ${POLICY_FIELDS.join(', ')})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [id, organisationId, ...POLICY_FIELDS.map((k) => f[k])],
    );
    return rows[0];
  },
  async updatePolicy(tx: Queryable, id: string, f: PolicyFields): Promise<PolicyRow> {
    const { rows } = await tx.query<PolicyRow>(
      `UPDATE consent.policies SET ${POLICY_FIELDS.map((k, i) => `${k} = $${i + 2}`).join(', ')}, updated_at = now()
        WHERE id = $1 RETURNING *`,
      [id, ...POLICY_FIELDS.map((k) => f[k])],
    );
    return rows[0];
  },
  async policy(q: Queryable, organisationId: string | null, id: string, lock = false): Promise<PolicyRow | null> {
    const { rows } = await q.query<PolicyRow>(
      `SELECT * FROM consent.policies WHERE id = $1 AND ($2::uuid IS NULL OR organisation_id = $2) AND deleted_at IS NULL${lock ? ' FOR UPDATE' : ''}`,
      [id, organisationId],
    );
    return rows[0] ?? null;
  },
  async policies(q: Queryable, organisationId: string, offset: number, limit: number): Promise<{ rows: PolicyRow[]; total: number }> {
    const [list, count] = await Promise.all([
      q.query<PolicyRow>(
        `SELECT * FROM consent.policies WHERE organisation_id = $1 AND deleted_at IS NULL ORDER BY created_at, id ${page(offset, limit)}`,
        [organisationId],
      ),
      q.query<{ n: number }>('SELECT count(*)::int AS n FROM consent.policies WHERE organisation_id = $1 AND deleted_at IS NULL', [
        organisationId,
      ]),
    ]);
    return { rows: list.rows, total: count.rows[0].n };
  },
  async setPolicyRevision(tx: Queryable, id: string, revisionId: string, deleted = false): Promise<void> {
    await tx.query(`UPDATE consent.policies SET revision_id = $2${deleted ? ', deleted_at = now()' : ''} WHERE id = $1`, [id, revisionId]);
  },
  async policyInUse(q: Queryable, id: string): Promise<boolean> {
    const { rows } = await q.query('SELECT 1 FROM consent.agreements WHERE policy_id = $1 AND active AND deleted_at IS NULL LIMIT 1', [id]);
    return rows.length > 0;
  },

  // Data agreements
  async insertAgreement(
    tx: Queryable,
    a: { id: string; organisation_id: string; approval: AgreementRow['approval']; drafted_by: string | null } & AgreementFields,
  ): Promise<AgreementRow> {
    const cols = ['id', 'organisation_id', 'approval', 'drafted_by', ...AGREEMENT_FIELDS];
    const vals = cols.map((c) => (c === 'attributes' ? json(a.attributes) : (a as any)[c]));
    const { rows } = await tx.query<AgreementRow>(
      `INSERT INTO consent.agreements (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`,
      vals,
    );
    return rows[0];
  },
  async updateAgreement(tx: Queryable, id: string, f: Partial<AgreementRow>): Promise<AgreementRow> {
    const keys = Object.keys(f).filter((k) => (f as any)[k] !== undefined);
    const { rows } = await tx.query<AgreementRow>(
      `UPDATE consent.agreements SET ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')}${keys.length ? ', ' : ''}updated_at = now()
        WHERE id = $1 RETURNING *`,
      [id, ...keys.map((k) => (k === 'attributes' || k === 'pending' ? json((f as any)[k]) : (f as any)[k]))],
    );
    return rows[0];
  },
  async agreement(q: Queryable, organisationId: string | null, id: string, lock = false): Promise<AgreementRow | null> {
    const { rows } = await q.query<AgreementRow>(
      `SELECT * FROM consent.agreements WHERE id = $1 AND ($2::uuid IS NULL OR organisation_id = $2) AND deleted_at IS NULL${lock ? ' FOR UPDATE' : ''}`,
      [id, organisationId],
    );
    return rows[0] ?? null;
  },
  async agreements(
    q: Queryable,
    filter: { organisationId?: string; serviceIds?: string[]; live?: boolean; awaitingApproval?: boolean },
    offset = 0,
    limit = 1000,
  ): Promise<{ rows: AgreementRow[]; total: number }> {
    const where = ['deleted_at IS NULL'];
    const params: unknown[] = [];
    if (filter.organisationId) where.push(`organisation_id = $${params.push(filter.organisationId)}`);
    if (filter.serviceIds) where.push(`service_id = ANY($${params.push(filter.serviceIds)}::uuid[])`);
    if (filter.live) where.push(`active AND lifecycle = 'complete' AND revision_id IS NOT NULL`);
    if (filter.awaitingApproval) where.push(`(approval = 'submitted' OR pending IS NOT NULL)`);
    const w = where.join(' AND ');
    const [list, count] = await Promise.all([
      q.query<AgreementRow>(`SELECT * FROM consent.agreements WHERE ${w} ORDER BY created_at, id ${page(offset, limit)}`, params),
      q.query<{ n: number }>(`SELECT count(*)::int AS n FROM consent.agreements WHERE ${w}`, params),
    ]);
    return { rows: list.rows, total: count.rows[0].n };
  },
  /** Live consent agreements of a service for a purpose (the ask page, decide). */
  async liveFor(q: Queryable, serviceId: string, purpose: string): Promise<AgreementRow[]> {
    const { rows } = await q.query<AgreementRow>(
      `SELECT * FROM consent.agreements
        WHERE service_id = $1 AND dpv_purpose = $2 AND lawful_basis = 'consent' AND active AND lifecycle = 'complete'
          AND revision_id IS NOT NULL AND deleted_at IS NULL
        ORDER BY created_at DESC`,
      [serviceId, purpose],
    );
    return rows;
  },

  // Individuals
  async insertIndividual(
    tx: Queryable,
    i: Pick<IndividualRow, 'id' | 'organisation_id' | 'external_id' | 'external_id_type' | 'identity_provider_id' | 'account_id'>,
  ): Promise<IndividualRow> {
    const { rows } = await tx.query<IndividualRow>(
      `INSERT INTO consent.individuals (id, organisation_id, external_id, external_id_type, identity_provider_id, account_id)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [i.id, i.organisation_id, i.external_id, i.external_id_type, i.identity_provider_id, i.account_id],
    );
    return rows[0];
  },
  /** The organisation's individual for an identity account, made if missing (race-safe). */
  async individualForAccount(tx: Queryable, id: string, organisationId: string, accountId: string): Promise<IndividualRow> {
    const { rows } = await tx.query<IndividualRow>(
      `WITH ins AS (
         INSERT INTO consent.individuals (id, organisation_id, account_id, external_id_type, identity_provider_id)
         VALUES ($1, $2, $3, 'identity', 'cityscape-identity')
         ON CONFLICT (organisation_id, account_id) WHERE account_id IS NOT NULL AND deleted_at IS NULL DO NOTHING RETURNING *)
       SELECT * FROM ins
       UNION ALL
       SELECT * FROM consent.individuals WHERE organisation_id = $2 AND account_id = $3 AND deleted_at IS NULL
       LIMIT 1`,
      [id, organisationId, accountId],
    );
    return rows[0];
  },
  async individualOfAccount(q: Queryable, organisationId: string, accountId: string): Promise<IndividualRow | null> {
    const { rows } = await q.query<IndividualRow>(
      'SELECT * FROM consent.individuals WHERE organisation_id = $1 AND account_id = $2 AND deleted_at IS NULL',
      [organisationId, accountId],
    );
    return rows[0] ?? null;
  },
  async updateIndividual(
    tx: Queryable,
    id: string,
    f: Pick<IndividualRow, 'external_id' | 'external_id_type' | 'identity_provider_id'>,
  ): Promise<IndividualRow> {
    const { rows } = await tx.query<IndividualRow>(
      `UPDATE consent.individuals SET external_id = $2, external_id_type = $3, identity_provider_id = $4, updated_at = now()
        WHERE id = $1 RETURNING *`,
      [id, f.external_id, f.external_id_type, f.identity_provider_id],
    );
    return rows[0];
  },
  async individual(q: Queryable, organisationId: string, id: string): Promise<IndividualRow | null> {
    const { rows } = await q.query<IndividualRow>(
      'SELECT * FROM consent.individuals WHERE id = $1 AND organisation_id = $2 AND deleted_at IS NULL',
      [id, organisationId],
    );
    return rows[0] ?? null;
  },
  async individuals(
    q: Queryable,
    organisationId: string,
    offset: number,
    limit: number,
  ): Promise<{ rows: IndividualRow[]; total: number }> {
    const [list, count] = await Promise.all([
      q.query<IndividualRow>(
        `SELECT * FROM consent.individuals WHERE organisation_id = $1 AND deleted_at IS NULL ORDER BY created_at, id ${page(offset, limit)}`,
        [organisationId],
      ),
      q.query<{ n: number }>('SELECT count(*)::int AS n FROM consent.individuals WHERE organisation_id = $1 AND deleted_at IS NULL', [
        organisationId,
      ]),
    ]);
    return { rows: list.rows, total: count.rows[0].n };
  },
};
