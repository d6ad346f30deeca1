// The citizen's side: which agreement answers a service's request, giving or declining it
// (for themselves or, under a delegation, for someone else), and everything they have agreed
// to, with the agreement and service it belongs to, for their pages.
import type { Ctx, ServiceInfo } from './context.js';
import { store, type AgreementRow, type PolicyRow } from './store.js';
import { recordStore, type RecordRow } from './store-records.js';
import type { RecordService, Author, RecordChange } from './service-records.js';
import type { RevisionRow } from './revisions.js';
import { notFound } from './errors.js';

export interface Delegated {
  delegationId: string;
  delegateAccountId: string;
}

export interface CitizenRecord {
  record: RecordRow;
  agreement: AgreementRow;
  policy: PolicyRow | null;
  service: ServiceInfo | null;
  state: 'active' | 'expired' | 'withdrawn' | 'declined';
}

export function createCitizenService(ctx: Ctx, records: RecordService) {
  const { db } = ctx;

  const author = (by?: Delegated): Author =>
    by
      ? { actor: `delegate:${by.delegationId}`, byIndividual: false, via: 'delegate', delegationId: by.delegationId, sign: true }
      : { actor: 'individual', byIndividual: true, via: 'page', sign: true };

  return {
    /** The live consent agreement of a service for a purpose that covers most of the facts asked for. */
    async agreementFor(
      serviceId: string,
      purpose: string,
      attributes: string[],
    ): Promise<{ agreement: AgreementRow; policy: PolicyRow | null; revision: RevisionRow } | null> {
      const live = await store.liveFor(db, serviceId, purpose);
      let best: AgreementRow | null = null;
      let bestScore = -1;
      for (const a of live) {
        const ids = new Set(a.attributes.map((x) => x.id));
        const score = attributes.filter((x) => ids.has(x)).length;
        if (score > bestScore) [best, bestScore] = [a, score];
      }
      if (!best) return null;
      const found = await ctx.agreement(best.id);
      return found?.revision ? { agreement: found.agreement, policy: found.policy, revision: found.revision } : null;
    },

    /** The citizen's answer to an agreement: agree (to these facts) or not. */
    async answer(input: {
      subject: string;
      agreementId: string;
      agree: boolean;
      attributes?: string[];
      by?: Delegated;
    }): Promise<RecordRow> {
      const found = await ctx.agreement(input.agreementId);
      if (!found) throw notFound('Data agreement', input.agreementId);
      const org = found.agreement.organisation_id;
      const individual = await records.forAccount(org, input.subject);
      const existing = await recordStore.forAgreement(db, found.agreement.id, individual.id);
      if (!existing) {
        return (
          await records.create({
            organisationId: org,
            agreementId: found.agreement.id,
            individualId: individual.id,
            optIn: input.agree,
            attributes: input.attributes,
            author: author(input.by),
          })
        ).record;
      }
      const change: RecordChange = input.agree ? { optIn: true, renew: true, attributes: input.attributes } : { optIn: false };
      return (await records.change({ organisationId: org, recordId: existing.id, change, author: author(input.by) })).record;
    },

    /** Withdraw or limit one of the citizen's own records (or one they act for under a delegation). */
    change(subject: string, recordId: string, change: RecordChange, by?: Delegated) {
      return records.change({ organisationId: null, recordId, accountId: subject, change, author: author(by) });
    },

    /** Every agreement the citizen has answered, newest first, with where it stands now. */
    async list(subject: string): Promise<CitizenRecord[]> {
      const rows = await recordStore.ofAccount(db, subject);
      const out: CitizenRecord[] = [];
      for (const record of rows) {
        const found = await ctx.agreement(record.agreement_id);
        if (!found) continue; // deleted agreements no longer apply
        out.push({
          record,
          agreement: found.agreement,
          policy: found.policy,
          service: await ctx.service(record.service_id),
          state: stateOf(record),
        });
      }
      return out;
    },

    async one(subject: string, recordId: string): Promise<CitizenRecord | null> {
      const record = /^[0-9a-f-]{36}$/i.test(recordId) ? await recordStore.get(db, null, recordId) : null;
      if (!record || record.account_id !== subject) return null;
      const found = await ctx.agreement(record.agreement_id);
      if (!found) return null;
      return {
        record,
        agreement: found.agreement,
        policy: found.policy,
        service: await ctx.service(record.service_id),
        state: stateOf(record),
      };
    },
  };
}
export type CitizenService = ReturnType<typeof createCitizenService>;

export function stateOf(r: RecordRow, at = Date.now()): CitizenRecord['state'] {
  if (r.status === 'withdrawn') return 'withdrawn';
  if (r.status === 'declined') return 'declined';
  if (r.expires_at && new Date(r.expires_at).getTime() <= at) return 'expired';
  return 'active';
}
