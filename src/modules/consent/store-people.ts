// SQL for the citizen's side that is not a consent record: delegations (someone acting for
// them), how they want to hear from us, notices already sent,
// and the staff who approve data agreements (data protection officers).
import type { Queryable } from '../../kernel/db.js';

export interface DelegationRow {
  id: string;
  grantor_account_id: string;
  grantor_name: string;
  delegate_account_id: string | null;
  delegate_name: string;
  relationship: 'parent' | 'carer' | 'attorney';
  service_ids: string[] | null;
  purposes: string[] | null;
  expires_at: Date;
  evidence_type: 'grant' | 'lpa' | 'parental_link';
  evidence_ref: string;
  evidence_detail: string;
  invite_hash: string | null;
  invite_expires_at: Date | null;
  status: 'invited' | 'active' | 'revoked' | 'declined';
  created_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
}

export interface PreferencesRow {
  account_id: string;
  channel: 'email' | 'sms' | 'none';
  notify_expiry: boolean;
  notify_use: boolean;
}

export const peopleStore = {
  async insertDelegation(
    q: Queryable,
    d: Omit<DelegationRow, 'created_at' | 'accepted_at' | 'revoked_at' | 'revoked_by' | 'delegate_account_id'>,
  ) {
    const { rows } = await q.query<DelegationRow>(
      `INSERT INTO consent.delegations (id, grantor_account_id, grantor_name, delegate_name, relationship, service_ids, purposes,
         expires_at, evidence_type, evidence_ref, evidence_detail, invite_hash, invite_expires_at, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
      [
        d.id,
        d.grantor_account_id,
        d.grantor_name,
        d.delegate_name,
        d.relationship,
        d.service_ids,
        d.purposes,
        d.expires_at,
        d.evidence_type,
        d.evidence_ref,
        d.evidence_detail,
        d.invite_hash,
        d.invite_expires_at,
        d.status,
      ],
    );
    return rows[0];
  },
  async delegation(q: Queryable, id: string, lock = false): Promise<DelegationRow | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const { rows } = await q.query<DelegationRow>(`SELECT * FROM consent.delegations WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  },
  async delegationByInvite(q: Queryable, hash: string, lock = false): Promise<DelegationRow | null> {
    const { rows } = await q.query<DelegationRow>(`SELECT * FROM consent.delegations WHERE invite_hash = $1${lock ? ' FOR UPDATE' : ''}`, [
      hash,
    ]);
    return rows[0] ?? null;
  },
  async updateDelegation(q: Queryable, id: string, f: Partial<DelegationRow>): Promise<DelegationRow> {
    const keys = Object.keys(f);
    const { rows } = await q.query<DelegationRow>(
      `UPDATE consent.delegations SET ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')} WHERE id = $1 RETURNING *`,
      [id, ...keys.map((k) => (f as any)[k])],
    );
    return rows[0];
  },
  /** Delegations a citizen granted, and those they hold for others. */
  async delegationsOf(q: Queryable, accountId: string): Promise<DelegationRow[]> {
    const { rows } = await q.query<DelegationRow>(
      `SELECT * FROM consent.delegations WHERE grantor_account_id = $1 OR delegate_account_id = $1 ORDER BY created_at DESC`,
      [accountId],
    );
    return rows;
  },

  async preferences(q: Queryable, accountId: string): Promise<PreferencesRow> {
    const { rows } = await q.query<PreferencesRow>('SELECT * FROM consent.preferences WHERE account_id = $1', [accountId]);
    return rows[0] ?? { account_id: accountId, channel: 'email', notify_expiry: true, notify_use: true };
  },
  async savePreferences(q: Queryable, p: PreferencesRow): Promise<void> {
    await q.query(
      `INSERT INTO consent.preferences (account_id, channel, notify_expiry, notify_use) VALUES ($1, $2, $3, $4)
       ON CONFLICT (account_id) DO UPDATE SET channel = $2, notify_expiry = $3, notify_use = $4, updated_at = now()`,
      [p.account_id, p.channel, p.notify_expiry, p.notify_use],
    );
  },
  /** Records that a notice went out; false if one of this kind already did today. */
  async claimNotice(q: Queryable, recordId: string, kind: 'expiring' | 'used', day: string): Promise<boolean> {
    const { rowCount } = await q.query('INSERT INTO consent.notices (record_id, kind, day) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
      recordId,
      kind,
      day,
    ]);
    return rowCount === 1;
  },

  async dpos(
    q: Queryable,
    organisationId: string,
  ): Promise<Array<{ staff_id: string; email: string; appointed_by: string; appointed_at: Date }>> {
    const { rows } = await q.query<{ staff_id: string; email: string; appointed_by: string; appointed_at: Date }>(
      'SELECT staff_id, email, appointed_by, appointed_at FROM consent.dpos WHERE organisation_id = $1 ORDER BY appointed_at',
      [organisationId],
    );
    return rows;
  },
  async isDpo(q: Queryable, organisationId: string, staffId: string): Promise<boolean> {
    const { rows } = await q.query('SELECT 1 FROM consent.dpos WHERE organisation_id = $1 AND staff_id = $2', [organisationId, staffId]);
    return rows.length > 0;
  },
  async appointDpo(q: Queryable, organisationId: string, staffId: string, email: string, by: string): Promise<void> {
    await q.query(
      `INSERT INTO consent.dpos (organisation_id, staff_id, email, appointed_by) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [organisationId, staffId, email, by],
    );
  },
  async removeDpo(q: Queryable, organisationId: string, staffId: string): Promise<void> {
    await q.query('DELETE FROM consent.dpos WHERE organisation_id = $1 AND staff_id = $2', [organisationId, staffId]);
  },
};
