// Policies and data agreements: create, change, delete — each change a new signed revision in
// the same transaction, with an audit entry and an outbox event. Through the API an
// organisation publishes directly (its key is its authority); in the staff console a team
// drafts and a data protection officer approves before anything goes live (service-approvals.ts).
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../kernel/db.js';
import { AGREEMENTS_CHANNEL, type Ctx, type OrgScope } from './context.js';
import { store, type AgreementFields, type AgreementRow, type PolicyFields, type PolicyRow } from './store.js';
import { SUBJECT_CHANNEL } from './store-records.js';
import { buildRevision, insertRevision, latestRevision, type RevisionRow } from './revisions.js';
import { agreementSnapshot, policyJson } from './representation.js';
import { badRequest, notFound } from './errors.js';

export const LAWFUL_BASES = ['consent', 'legal_obligation', 'contract', 'vital_interest', 'public_task', 'legitimate_interest'] as const;
export type AgreementInput = Partial<AgreementFields> & { policy?: ({ id?: string } & Partial<PolicyFields>) | null };

const ATTRIBUTE_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/;
const DPV = /^[a-z][a-z0-9-]{0,19}:[A-Za-z][A-Za-z0-9]{0,99}$/;

function text(v: unknown, field: string, max: number, required = false): void {
  if (typeof v !== 'string') throw badRequest(`${field} must be a string`, field);
  if (required && !v.trim()) throw badRequest(`${field} is required`, field);
  if (v.length > max) throw badRequest(`${field} must be ${max} characters or fewer`, field);
}

/** The rules every agreement keeps, however it was made. */
export function checkAgreement(f: AgreementFields): void {
  text(f.purpose, 'purpose', 500, true);
  text(f.purpose_description, 'purposeDescription', 5000);
  text(f.version, 'version', 50, true);
  text(f.controller_name, 'controllerName', 300, true);
  text(f.controller_url, 'controllerUrl', 2000);
  text(f.dpia, 'dpia', 5000);
  if (!(LAWFUL_BASES as readonly string[]).includes(f.lawful_basis))
    throw badRequest(`lawfulBasis must be one of ${LAWFUL_BASES.join(', ')}`, 'lawfulBasis');
  if (!DPV.test(f.dpv_purpose)) throw badRequest('dpvPurpose must be a DPV term such as dpv:ServiceProvision', 'dpvPurpose');
  if (f.duration_days !== null && (!Number.isInteger(f.duration_days) || f.duration_days < 1 || f.duration_days > 36500))
    throw badRequest('durationDays must be a whole number of days from 1 to 36500', 'durationDays');
  if (f.attributes.length > 100) throw badRequest('An agreement can name at most 100 attributes', 'dataAttributes');
  const seen = new Set<string>();
  for (const a of f.attributes) {
    if (!ATTRIBUTE_ID.test(a.id)) throw badRequest('Each attribute id must be 1–200 letters, digits or ._:/-', 'dataAttributes');
    if (seen.has(a.id)) throw badRequest(`Attribute ${a.id} is named twice`, 'dataAttributes');
    seen.add(a.id);
    text(a.name, 'dataAttributes.name', 200, true);
    text(a.description, 'dataAttributes.description', 2000);
  }
}

export function createAgreementService(ctx: Ctx) {
  const { db, audit, events } = ctx;

  async function serviceOf(scope: OrgScope, serviceId: string | null | undefined) {
    const id = serviceId ?? scope.serviceId;
    if (!id) throw badRequest('serviceId is required: the catalogue service that asks for consent', 'serviceId');
    const s = typeof id === 'string' ? await ctx.service(id) : null;
    if (!s || s.organisation.id !== scope.organisationId)
      throw badRequest('serviceId must be one of your organisation’s services', 'serviceId');
    return s;
  }

  async function changed(tx: Queryable, type: string, id: string, organisationId: string, payload: Record<string, unknown> = {}) {
    await events.append(tx, {
      stream: `consent.${type.split('.')[1]}:${id}`,
      type,
      payload: { id, organisation_id: organisationId, ...payload },
    });
  }

  /** Drops every process's cached agreements and decisions after an agreement changed. */
  async function agreementsChanged(tx: Queryable, id: string) {
    await tx.query(`SELECT pg_notify('${AGREEMENTS_CHANNEL}', $1), pg_notify('${SUBJECT_CHANNEL}', '*')`, [id]);
  }

  async function resolvePolicy(tx: Queryable, scope: OrgScope, p: AgreementInput['policy']): Promise<PolicyRow | null> {
    if (!p) return null;
    if (p.id) {
      const found = /^[0-9a-f-]{36}$/i.test(p.id) ? await store.policy(tx, scope.organisationId, p.id) : null;
      if (found) return found;
      if (!p.name) throw notFound('Policy', p.id);
    }
    if (!p.name || !p.url) return null;
    return (await createPolicyIn(tx, scope, fillPolicy(p))).policy;
  }

  async function publishIn(tx: Queryable, a: AgreementRow, policy: PolicyRow | null, actor: string, deleted = false): Promise<RevisionRow> {
    const prev = await latestRevision(tx, a.id);
    const rev = buildRevision(await ctx.signer(), {
      organisationId: a.organisation_id,
      schemaName: 'DataAgreement',
      objectId: a.id,
      objectData: { ...agreementSnapshot(a, policy), ...(deleted ? { deleted: true } : {}) },
      authorizedByOther: actor,
      predecessor: prev,
    });
    await insertRevision(tx, rev, prev?.id ?? null);
    await store.updateAgreement(tx, a.id, { revision_id: rev.id, ...(deleted ? { deleted_at: new Date() } : {}) });
    await agreementsChanged(tx, a.id);
    return rev;
  }

  async function createPolicyIn(tx: Queryable, scope: OrgScope, f: PolicyFields) {
    checkPolicy(f);
    const policy = await store.insertPolicy(tx, randomUUID(), scope.organisationId, f);
    const revision = buildRevision(await ctx.signer(), {
      organisationId: scope.organisationId,
      schemaName: 'Policy',
      objectId: policy.id,
      objectData: policyJson(policy),
      authorizedByOther: scope.actor,
      predecessor: null,
    });
    await insertRevision(tx, revision, null);
    await store.setPolicyRevision(tx, policy.id, revision.id);
    await audit.record(tx, {
      actor: scope.actor,
      action: 'consent.policy.create',
      subject: `consent.policy:${policy.id}`,
      organisationId: scope.organisationId,
      after: policyJson(policy),
    });
    await changed(tx, 'consent.policy.created', policy.id, scope.organisationId);
    return { policy, revision };
  }

  return {
    publishIn,
    serviceOf,

    // Policies
    async createPolicy(scope: OrgScope, f: PolicyFields) {
      await ctx.signer(); // loaded outside the transaction (PGlite runs one at a time)
      return db.transaction((tx) => createPolicyIn(tx, scope, f));
    },

    async updatePolicy(scope: OrgScope, id: string, f: PolicyFields) {
      checkPolicy(f);
      await ctx.signer();
      return db.transaction(async (tx) => {
        const before = await store.policy(tx, scope.organisationId, id, true);
        if (!before) throw notFound('Policy', id);
        const policy = await store.updatePolicy(tx, id, f);
        const prev = await latestRevision(tx, id);
        const revision = buildRevision(await ctx.signer(), {
          organisationId: scope.organisationId,
          schemaName: 'Policy',
          objectId: id,
          objectData: policyJson(policy),
          authorizedByOther: scope.actor,
          predecessor: prev,
        });
        await insertRevision(tx, revision, prev?.id ?? null);
        await store.setPolicyRevision(tx, id, revision.id);
        await audit.record(tx, {
          actor: scope.actor,
          action: 'consent.policy.update',
          subject: `consent.policy:${id}`,
          organisationId: scope.organisationId,
          before: policyJson(before),
          after: policyJson(policy),
        });
        await changed(tx, 'consent.policy.updated', id, scope.organisationId);
        return { policy, revision };
      });
    },

    async deletePolicy(scope: OrgScope, id: string): Promise<RevisionRow> {
      await ctx.signer();
      return db.transaction(async (tx) => {
        const policy = await store.policy(tx, scope.organisationId, id, true);
        if (!policy) throw notFound('Policy', id);
        if (await store.policyInUse(tx, id))
          throw badRequest('This policy governs an active data agreement: deactivate or delete the agreement first');
        const prev = await latestRevision(tx, id);
        const revision = buildRevision(await ctx.signer(), {
          organisationId: scope.organisationId,
          schemaName: 'Policy',
          objectId: id,
          objectData: { ...policyJson(policy), deleted: true },
          authorizedByOther: scope.actor,
          predecessor: prev,
        });
        await insertRevision(tx, revision, prev?.id ?? null);
        await store.setPolicyRevision(tx, id, revision.id, true);
        await audit.record(tx, {
          actor: scope.actor,
          action: 'consent.policy.delete',
          subject: `consent.policy:${id}`,
          organisationId: scope.organisationId,
          before: policyJson(policy),
        });
        await changed(tx, 'consent.policy.deleted', id, scope.organisationId);
        return revision;
      });
    },

    // Data agreements
    /** Through the API: the agreement is published (a signed revision) at once. */
    async create(
      scope: OrgScope,
      input: AgreementInput,
    ): Promise<{ agreement: AgreementRow; policy: PolicyRow | null; revision: RevisionRow }> {
      const service = await serviceOf(scope, input.service_id);
      await ctx.signer();
      return db.transaction(async (tx) => {
        const policy = await resolvePolicy(tx, scope, input.policy);
        const fields = fill(input, service, policy, ctx.config.publicUrl);
        checkAgreement(fields);
        const a = await store.insertAgreement(tx, {
          id: randomUUID(),
          organisation_id: scope.organisationId,
          approval: 'approved',
          drafted_by: scope.actor,
          ...fields,
        });
        const revision = await publishIn(tx, a, policy, scope.actor);
        await audit.record(tx, {
          actor: scope.actor,
          action: 'consent.agreement.create',
          subject: `consent.agreement:${a.id}`,
          organisationId: scope.organisationId,
          after: agreementSnapshot(a, policy),
        });
        await changed(tx, 'consent.agreement.created', a.id, scope.organisationId, { service_id: a.service_id });
        return { agreement: { ...a, revision_id: revision.id }, policy, revision };
      });
    },

    async update(
      scope: OrgScope,
      id: string,
      input: AgreementInput,
    ): Promise<{ agreement: AgreementRow; policy: PolicyRow | null; revision: RevisionRow }> {
      await ctx.signer();
      const current = await store.agreement(db, scope.organisationId, id);
      if (!current) throw notFound('Data agreement', id);
      const service = await serviceOf(scope, input.service_id ?? current.service_id);
      return db.transaction(async (tx) => {
        const before = await store.agreement(tx, scope.organisationId, id, true);
        if (!before) throw notFound('Data agreement', id);
        const policy =
          input.policy === undefined
            ? before.policy_id
              ? await store.policy(tx, null, before.policy_id)
              : null
            : await resolvePolicy(tx, scope, input.policy);
        const merged: AgreementInput = { ...pick(before), ...strip(input) };
        if (input.version === undefined || input.version === before.version) merged.version = bumpMajor(before.version);
        const fields = fill(merged, service, policy, ctx.config.publicUrl);
        checkAgreement(fields);
        const a = await store.updateAgreement(tx, id, { ...fields, approval: 'approved', pending: null });
        const revision = await publishIn(tx, a, policy, scope.actor);
        await audit.record(tx, {
          actor: scope.actor,
          action: 'consent.agreement.update',
          subject: `consent.agreement:${id}`,
          organisationId: scope.organisationId,
          before: agreementSnapshot(before, null),
          after: agreementSnapshot(a, policy),
        });
        await changed(tx, 'consent.agreement.updated', id, scope.organisationId, { service_id: a.service_id });
        return { agreement: { ...a, revision_id: revision.id }, policy, revision };
      });
    },

    async remove(scope: OrgScope, id: string): Promise<RevisionRow> {
      await ctx.signer();
      return db.transaction(async (tx) => {
        const a = await store.agreement(tx, scope.organisationId, id, true);
        if (!a) throw notFound('Data agreement', id);
        const policy = a.policy_id ? await store.policy(tx, null, a.policy_id) : null;
        const revision = await publishIn(tx, { ...a, active: false }, policy, scope.actor, true);
        await audit.record(tx, {
          actor: scope.actor,
          action: 'consent.agreement.delete',
          subject: `consent.agreement:${id}`,
          organisationId: scope.organisationId,
          before: agreementSnapshot(a, policy),
        });
        await changed(tx, 'consent.agreement.deleted', id, scope.organisationId, { service_id: a.service_id });
        return revision;
      });
    },

    async revisions(organisationId: string, objectId: string, offset: number, limit: number) {
      const [list, count] = await Promise.all([
        db.query<RevisionRow>(
          `SELECT * FROM consent.revisions WHERE object_id = $1 AND organisation_id = $2 ORDER BY seq OFFSET $3 LIMIT $4`,
          [objectId, organisationId, offset, limit],
        ),
        db.query<{ n: number }>('SELECT count(*)::int AS n FROM consent.revisions WHERE object_id = $1 AND organisation_id = $2', [
          objectId,
          organisationId,
        ]),
      ]);
      return { rows: list.rows, total: count.rows[0].n };
    },
    async revision(organisationId: string | null, objectId: string, revisionId: string): Promise<RevisionRow | null> {
      const { rows } = await db.query<RevisionRow>(
        'SELECT * FROM consent.revisions WHERE id = $1 AND object_id = $2 AND ($3::uuid IS NULL OR organisation_id = $3)',
        [revisionId, objectId, organisationId],
      );
      return rows[0] ?? null;
    },
    latestRevision: (objectId: string) => latestRevision(db, objectId),
  };
}
export type AgreementService = ReturnType<typeof createAgreementService>;

export function checkPolicy(f: PolicyFields): void {
  text(f.name, 'name', 300, true);
  text(f.version, 'version', 50, true);
  text(f.url, 'url', 2000, true);
  if (!/^https?:\/\/\S+$/.test(f.url)) throw badRequest('url must start with https:// or http://', 'url');
  for (const k of ['jurisdiction', 'industry_sector', 'geographic_restriction', 'storage_location'] as const) text(f[k], k, 300);
  if (!Number.isInteger(f.data_retention_period_days) || f.data_retention_period_days < 0 || f.data_retention_period_days > 36500)
    throw badRequest('dataRetentionPeriodDays must be a whole number of days from 0 to 36500', 'dataRetentionPeriodDays');
}

export function fillPolicy(p: Partial<PolicyFields>): PolicyFields {
  return {
    name: p.name ?? '',
    version: p.version ?? '1.0.0',
    url: p.url ?? '',
    jurisdiction: p.jurisdiction ?? '',
    industry_sector: p.industry_sector ?? '',
    data_retention_period_days: p.data_retention_period_days ?? 0,
    geographic_restriction: p.geographic_restriction ?? '',
    storage_location: p.storage_location ?? '',
  };
}

/** Defaults for what the caller left out: the controller is the service's organisation. */
export function fill(
  i: AgreementInput,
  service: { id: string; organisation: { id: string; slug: string; name: string } },
  policy: PolicyRow | null,
  publicUrl: string,
): AgreementFields {
  return {
    service_id: service.id,
    policy_id: policy?.id ?? null,
    version: i.version ?? '1.0.0',
    controller_id: i.controller_id || service.organisation.id,
    controller_name: i.controller_name || service.organisation.name,
    controller_url: i.controller_url || `${publicUrl}/organisations/${service.organisation.slug}`,
    purpose: i.purpose ?? '',
    purpose_cy: i.purpose_cy ?? null,
    purpose_description: i.purpose_description ?? '',
    purpose_description_cy: i.purpose_description_cy ?? null,
    dpv_purpose: i.dpv_purpose ?? 'dpv:ServiceProvision',
    lawful_basis: i.lawful_basis ?? 'consent',
    data_use: i.data_use ?? 'data_using_service',
    dpia: i.dpia ?? '',
    dpia_date: i.dpia_date ?? '',
    dpia_summary_url: i.dpia_summary_url ?? '',
    active: i.active ?? true,
    forgettable: i.forgettable ?? false,
    lifecycle: i.lifecycle ?? 'complete',
    attributes: i.attributes ?? [],
    partial_allowed: i.partial_allowed ?? true,
    duration_days: i.duration_days === undefined ? 365 : i.duration_days,
    compatible_with_version_id: i.compatible_with_version_id ?? '',
  };
}

function pick(a: AgreementRow): AgreementInput {
  const { policy_id: _p, ...rest } = Object.fromEntries(
    Object.entries(a).filter(
      ([k]) => !['id', 'organisation_id', 'approval', 'pending', 'revision_id', 'created_at', 'updated_at', 'deleted_at'].includes(k),
    ),
  ) as AgreementInput & { policy_id?: string };
  return rest;
}
const strip = (i: AgreementInput): AgreementInput => {
  const { policy: _policy, ...rest } = i;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
};

/** "1.2.3" → "2.0.0"; anything else gets ".1" more. */
export function bumpMajor(v: string): string {
  const m = /^(\d+)(\.\d+)*$/.exec(v);
  return m ? `${Number(m[1]) + 1}.0.0` : `${v}.1`.slice(0, 50);
}
