// Data agreements drafted in the staff console go live only when a data protection officer of
// the organisation approves them — and never by the person who drafted them. A live agreement
// is changed the same way: the change waits in `pending` until approved, then becomes a new
// signed revision. DPOs are appointed per organisation by its administrators.
import { randomUUID } from 'node:crypto';
import type { Actor } from '../catalogue/index.js';
import type { Ctx, ServiceInfo } from './context.js';
import { store, AGREEMENT_FIELDS, type AgreementFields, type AgreementRow } from './store.js';
import { peopleStore } from './store-people.js';
import { bumpMajor, checkAgreement, fill, fillPolicy, type AgreementInput, type AgreementService } from './service-agreements.js';
import { agreementSnapshot } from './representation.js';
import { badRequest, forbidden, notFound } from './errors.js';

export type StaffActor = Actor & { kind: 'staff' };
const who = (a: StaffActor) => `staff:${a.email}`;

export function createApprovalService(ctx: Ctx, agreements: AgreementService) {
  const { db, audit } = ctx;

  async function policyFor(organisationId: string, input: AgreementInput) {
    const p = input.policy;
    if (!p?.name || !p.url) return null;
    const { policy } = await agreements.createPolicy({ organisationId, serviceId: null, actor: 'console' }, fillPolicy(p));
    return policy;
  }

  async function load(id: string): Promise<AgreementRow> {
    const a = /^[0-9a-f-]{36}$/i.test(id) ? await store.agreement(db, null, id) : null;
    if (!a) throw notFound('Data agreement', id);
    return a;
  }

  async function requireDpo(actor: StaffActor, a: AgreementRow) {
    if (!(await peopleStore.isDpo(db, a.organisation_id, actor.id)))
      throw forbidden('Only a data protection officer of this organisation can decide on data agreements');
    if (a.drafted_by === who(actor)) throw forbidden('Someone other than the person who drafted it must approve it');
  }

  return {
    load,
    isDpo: (organisationId: string, staffId: string) => peopleStore.isDpo(db, organisationId, staffId),

    /** A new draft for a service: nothing goes live until a DPO approves it. */
    async draft(actor: StaffActor, service: ServiceInfo, input: AgreementInput): Promise<AgreementRow> {
      const fields = { ...fill(input, service, null, ctx.config.publicUrl), active: false, lifecycle: 'draft' as const };
      checkAgreement(fields);
      const policy = await policyFor(service.organisation.id, input);
      return db.transaction(async (tx) => {
        const a = await store.insertAgreement(tx, {
          id: randomUUID(),
          organisation_id: service.organisation.id,
          approval: 'draft',
          drafted_by: who(actor),
          ...fields,
          policy_id: policy?.id ?? null,
        });
        await audit.record(tx, {
          actor: who(actor),
          action: 'consent.agreement.draft',
          subject: `consent.agreement:${a.id}`,
          organisationId: a.organisation_id,
          after: agreementSnapshot(a, policy),
        });
        return a;
      });
    },

    /** Edits a draft, or proposes a change to a live agreement (kept in `pending` until approved). */
    async propose(actor: StaffActor, a: AgreementRow, input: AgreementInput): Promise<AgreementRow> {
      const service = await ctx.service(a.service_id);
      if (!service) throw badRequest('The agreement’s service no longer exists');
      const live = !!a.revision_id;
      const fields: AgreementFields = {
        ...fill(input, service, null, ctx.config.publicUrl),
        active: live ? a.active : false,
        lifecycle: live ? a.lifecycle : 'draft',
      };
      checkAgreement(fields);
      const policy = await policyFor(a.organisation_id, input);
      fields.policy_id = policy?.id ?? a.policy_id;
      const next = live
        ? await store.updateAgreement(db, a.id, { pending: fields, approval: 'approved', drafted_by: who(actor), decision_note: null })
        : await store.updateAgreement(db, a.id, { ...fields, approval: 'draft', drafted_by: who(actor), decision_note: null });
      await db.transaction((tx) =>
        audit.record(tx, {
          actor: who(actor),
          action: 'consent.agreement.propose',
          subject: `consent.agreement:${a.id}`,
          organisationId: a.organisation_id,
          after: fields,
        }),
      );
      return next;
    },

    async submit(actor: StaffActor, a: AgreementRow): Promise<AgreementRow> {
      if (a.revision_id && !a.pending) throw badRequest('There is no change to submit');
      return store.updateAgreement(db, a.id, {
        approval: a.revision_id ? 'approved' : 'submitted',
        submitted_at: new Date(),
        decision_note: null,
      });
    },

    /** A DPO approves: the draft or pending change is published as a new signed revision. */
    async approve(actor: StaffActor, a: AgreementRow): Promise<AgreementRow> {
      await requireDpo(actor, a);
      if (!(a.approval === 'submitted' || (a.revision_id && a.pending))) throw badRequest('Nothing is waiting for approval');
      await ctx.signer();
      const service = await ctx.service(a.service_id);
      if (!service) throw badRequest('The agreement’s service no longer exists');
      return db.transaction(async (tx) => {
        const fields: Partial<AgreementRow> = a.pending
          ? Object.fromEntries(AGREEMENT_FIELDS.map((k) => [k, (a.pending as any)[k] ?? (a as any)[k]]))
          : {};
        if (a.revision_id && fields.version === a.version) fields.version = bumpMajor(a.version);
        const row = await store.updateAgreement(tx, a.id, {
          ...fields,
          ...(a.revision_id ? {} : { active: true, lifecycle: 'complete' as const }),
          approval: 'approved',
          pending: null,
          decided_by: who(actor),
          decided_at: new Date(),
        });
        const policy = row.policy_id ? await store.policy(tx, null, row.policy_id) : null;
        await agreements.publishIn(tx, row, policy, who(actor));
        await audit.record(tx, {
          actor: who(actor),
          action: 'consent.agreement.approve',
          subject: `consent.agreement:${a.id}`,
          organisationId: a.organisation_id,
          after: agreementSnapshot(row, policy),
        });
        return row;
      });
    },

    async reject(actor: StaffActor, a: AgreementRow, note: string): Promise<AgreementRow> {
      await requireDpo(actor, a);
      const row = await store.updateAgreement(db, a.id, {
        ...(a.revision_id ? { pending: null } : { approval: 'rejected' as const }),
        decided_by: who(actor),
        decided_at: new Date(),
        decision_note: note.slice(0, 2000),
      });
      await db.transaction((tx) =>
        audit.record(tx, {
          actor: who(actor),
          action: 'consent.agreement.reject',
          subject: `consent.agreement:${a.id}`,
          organisationId: a.organisation_id,
          after: { note },
        }),
      );
      return row;
    },

    /** A DPO stops (or restarts) new consents to a live agreement: a new revision records it. */
    async setActive(actor: StaffActor, a: AgreementRow, active: boolean): Promise<AgreementRow> {
      if (!(await peopleStore.isDpo(db, a.organisation_id, actor.id)))
        throw forbidden('Only a data protection officer of this organisation can do this');
      if (!a.revision_id || a.active === active) return a;
      await ctx.signer();
      return db.transaction(async (tx) => {
        const row = await store.updateAgreement(tx, a.id, { active });
        const policy = row.policy_id ? await store.policy(tx, null, row.policy_id) : null;
        await agreements.publishIn(tx, row, policy, who(actor));
        await audit.record(tx, {
          actor: who(actor),
          action: active ? 'consent.agreement.activate' : 'consent.agreement.deactivate',
          subject: `consent.agreement:${a.id}`,
          organisationId: a.organisation_id,
        });
        return row;
      });
    },

    dpos: (organisationId: string) => peopleStore.dpos(db, organisationId),
    async appoint(actor: StaffActor, organisationId: string, staff: { id: string; email: string }) {
      await peopleStore.appointDpo(db, organisationId, staff.id, staff.email, who(actor));
      await db.transaction((tx) =>
        audit.record(tx, { actor: who(actor), action: 'consent.dpo.appoint', subject: `catalogue.staff:${staff.id}`, organisationId }),
      );
    },
    async remove(actor: StaffActor, organisationId: string, staffId: string) {
      await peopleStore.removeDpo(db, organisationId, staffId);
      await db.transaction((tx) =>
        audit.record(tx, { actor: who(actor), action: 'consent.dpo.remove', subject: `catalogue.staff:${staffId}`, organisationId }),
      );
    },
  };
}
export type ApprovalService = ReturnType<typeof createApprovalService>;
