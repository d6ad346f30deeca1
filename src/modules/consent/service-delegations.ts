// Delegations: a person lets a parent, carer or attorney act for them — for some services and
// purposes, until a date. The person invites the other with a single-use link (only its hash
// is kept); accepting checks the evidence (a lasting power of attorney, or a parental link)
// with the evidence checker. Both people see it; the person can revoke it at any time, and
// the delegate can stop acting. Consents given under a delegation are marked with it.
import { randomUUID } from 'node:crypto';
import { randomToken, sha256 } from '../../kernel/crypto.js';
import type { Ctx } from './context.js';
import { peopleStore, type DelegationRow } from './store-people.js';
import { BIRTH_REFERENCE, LPA_REFERENCE, type EvidenceChecker } from './evidence.js';
import { badRequest, notFound } from './errors.js';

const DAY = 86_400_000;
const INVITE_DAYS = 7;
const MAX_YEARS = 5;

export interface DelegationInput {
  relationship: 'parent' | 'carer' | 'attorney';
  delegateName: string;
  serviceIds: string[] | null;
  purposes: string[] | null;
  expiresAt: Date;
  evidenceRef: string;
}

export function createDelegationService(ctx: Ctx, evidence: EvidenceChecker) {
  const { db } = ctx;

  const live = (d: DelegationRow, at = Date.now()) => d.status === 'active' && new Date(d.expires_at).getTime() > at;

  return {
    live,

    /** The person asks someone to act for them: returns the invitation link's token (shown once). */
    async invite(
      grantor: { accountId: string; name: string },
      input: DelegationInput,
    ): Promise<{ delegation: DelegationRow; token: string }> {
      const fields: Array<{ field: string; message: string }> = [];
      if (!['parent', 'carer', 'attorney'].includes(input.relationship)) fields.push({ field: 'relationship', message: 'relationship' });
      if (!input.delegateName.trim() || input.delegateName.length > 200) fields.push({ field: 'delegateName', message: 'delegateName' });
      const now = Date.now();
      if (!(input.expiresAt.getTime() > now + DAY / 2) || input.expiresAt.getTime() > now + MAX_YEARS * 366 * DAY)
        fields.push({ field: 'expires-day', message: 'expires' });
      const ref = input.evidenceRef.trim().toUpperCase();
      if (input.relationship === 'attorney' && !LPA_REFERENCE.test(ref)) fields.push({ field: 'evidenceRef', message: 'lpa' });
      if (input.relationship === 'parent' && !BIRTH_REFERENCE.test(ref)) fields.push({ field: 'evidenceRef', message: 'birth' });
      if (fields.length) throw Object.assign(badRequest(fields[0].message, fields[0].field), { fields });
      const token = randomToken(24);
      const delegation = await peopleStore.insertDelegation(db, {
        id: randomUUID(),
        grantor_account_id: grantor.accountId,
        grantor_name: grantor.name.slice(0, 200),
        delegate_name: input.delegateName.trim(),
        relationship: input.relationship,
        service_ids: input.serviceIds?.length ? input.serviceIds : null,
        purposes: input.purposes?.length ? input.purposes : null,
        expires_at: input.expiresAt,
        evidence_type: input.relationship === 'attorney' ? 'lpa' : input.relationship === 'parent' ? 'parental_link' : 'grant',
        evidence_ref: input.relationship === 'carer' ? '' : ref,
        evidence_detail: '',
        invite_hash: sha256(token),
        invite_expires_at: new Date(now + INVITE_DAYS * DAY),
        status: 'invited',
      });
      return { delegation, token };
    },

    /** The invitation behind a link, while it can still be answered. */
    async invitation(token: string): Promise<DelegationRow | null> {
      if (typeof token !== 'string' || token.length > 100) return null;
      const d = await peopleStore.delegationByInvite(db, sha256(token));
      return d && d.status === 'invited' && d.invite_expires_at && new Date(d.invite_expires_at).getTime() > Date.now() ? d : null;
    },

    /** The invited person accepts (evidence checked) or declines. */
    async answer(
      token: string,
      delegate: { accountId: string; name: string | null; birthDate: string | null },
      accept: boolean,
    ): Promise<{ delegation: DelegationRow; problem?: string }> {
      return db.transaction(async (tx) => {
        const d = await peopleStore.delegationByInvite(tx, sha256(token), true);
        if (!d || d.status !== 'invited' || !d.invite_expires_at || new Date(d.invite_expires_at).getTime() <= Date.now())
          throw notFound('Invitation', '');
        if (d.grantor_account_id === delegate.accountId) throw badRequest('self');
        if (!accept) return { delegation: await peopleStore.updateDelegation(tx, d.id, { status: 'declined', invite_hash: null }) };
        let detail = 'Granted by the person themselves';
        if (d.evidence_type !== 'grant') {
          const r = await evidence.check({
            type: d.evidence_type,
            reference: d.evidence_ref,
            grantor: { name: d.grantor_name || null, birthDate: null },
            delegate: { name: delegate.name, birthDate: delegate.birthDate },
          });
          if (!r.ok) return { delegation: d, problem: r.detail };
          detail = r.detail;
        }
        const delegation = await peopleStore.updateDelegation(tx, d.id, {
          status: 'active',
          delegate_account_id: delegate.accountId,
          delegate_name: delegate.name || d.delegate_name,
          evidence_detail: detail,
          accepted_at: new Date(),
          invite_hash: null,
        });
        await ctx.audit.record(tx, {
          actor: `citizen:${delegate.accountId}`,
          action: 'consent.delegation.accept',
          subject: `consent.delegation:${d.id}`,
        });
        return { delegation };
      });
    },

    /** Either person ends it. */
    async revoke(accountId: string, id: string): Promise<DelegationRow> {
      return db.transaction(async (tx) => {
        const d = await peopleStore.delegation(tx, id, true);
        if (!d || (d.grantor_account_id !== accountId && d.delegate_account_id !== accountId)) throw notFound('Delegation', id);
        if (d.status === 'revoked' || d.status === 'declined') return d;
        const by = d.grantor_account_id === accountId ? 'person' : 'delegate';
        await ctx.audit.record(tx, {
          actor: `citizen:${accountId}`,
          action: 'consent.delegation.revoke',
          subject: `consent.delegation:${id}`,
          after: { by },
        });
        return peopleStore.updateDelegation(tx, id, { status: 'revoked', revoked_at: new Date(), revoked_by: by, invite_hash: null });
      });
    },

    list: (accountId: string) => peopleStore.delegationsOf(db, accountId),
    get: (id: string) => peopleStore.delegation(db, id),

    /** Live delegations this citizen holds that cover a service and purpose (the ask page). */
    async actingFor(accountId: string, serviceId: string, purpose: string): Promise<DelegationRow[]> {
      return (await peopleStore.delegationsOf(db, accountId)).filter(
        (d) =>
          d.delegate_account_id === accountId &&
          live(d) &&
          (!d.service_ids || d.service_ids.includes(serviceId)) &&
          (!d.purposes || d.purposes.includes(purpose)),
      );
    },
  };
}
export type DelegationService = ReturnType<typeof createDelegationService>;
