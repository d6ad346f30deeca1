// Individuals and consent records: give, decline, withdraw, limit, sign, forget. Every change
// is a new signed revision of the record with its outbox event, in one transaction; a change
// that takes consent away waits until every process has been told (decide.ts) before it returns.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../kernel/db.js';
import type { Ctx } from './context.js';
import { store, type AgreementRow, type IndividualRow } from './store.js';
import { recordStore, SUBJECT_CHANNEL, type NewRecord, type RecordRow, type RecordStatus, type SignatureRow } from './store-records.js';
import { buildRevision, canonical, insertRevision, latestRevision, sha256, type RevisionRow } from './revisions.js';
import { badRequest, conflict, notFound } from './errors.js';
import type { Signer } from './keys.js';
import { createRecordWriter } from './store-batch.js';

export const SIGNATURE_TYP = 'consent-signature+jws';
const DAY = 86_400_000;

/** Who made a change and how: an organisation's key, the citizen on their pages, or someone acting for them. */
export interface Author {
  actor: string; // authorizedByOther: 'apikey:<id>', 'individual', 'delegate:<id>', 'staff:<email>'
  byIndividual: boolean;
  via: 'api' | 'page' | 'delegate';
  delegationId?: string | null;
  /** Sign the new revision with the platform key on the individual's behalf (their own pages). */
  sign?: boolean;
}

export interface RecordChange {
  optIn?: boolean;
  /** Agree afresh (to the agreement as it is now, with these facts) even if already agreed. */
  renew?: boolean;
  attributes?: string[];
  expiresAt?: Date | null;
}

/** The record's state as its revision records it (signature and state are about the revision, so left out). */
export function recordData(r: Omit<NewRecord, 'state' | 'signature_id' | 'revision_id'>) {
  return {
    id: r.id,
    dataAgreementId: r.agreement_id,
    dataAgreementRevisionId: r.agreement_revision_id,
    dataAgreementRevisionHash: r.agreement_revision_hash,
    individualId: r.individual_id,
    optIn: r.opt_in,
    status: r.status,
    attributes: r.attributes,
    givenAt: r.given_at ? new Date(r.given_at).toISOString() : null,
    expiresAt: r.expires_at ? new Date(r.expires_at).toISOString() : null,
    delegationId: r.delegation_id,
    via: r.via,
  };
}

/** The platform's signature over a record revision, on the individual's (or their delegate's) behalf. */
export function platformSignature(signer: Signer, jwksUrl: string, rev: RevisionRow, recordId: string, by: Author): SignatureRow {
  const timestamp = new Date().toISOString();
  const fields = {
    verificationPayload: rev.serialized_snapshot,
    verificationPayloadHash: sha256(rev.serialized_snapshot),
    verificationMethod: `${jwksUrl}#${signer.kid}`,
    verificationArtifact: '',
    verificationSignedBy: by.delegationId ? `delegate:${by.delegationId}` : `individual:${rev.authorized_by_individual ?? ''}`,
    verificationSignedAs: by.delegationId ? 'delegate' : 'individual',
    timestamp,
    signedWithoutObjectReference: false,
    objectType: 'revision',
    objectReference: rev.id,
  };
  const payload = canonical(fields);
  const jws = signer.sign(payload, SIGNATURE_TYP);
  return {
    id: randomUUID(),
    organisation_id: rev.organisation_id,
    record_id: recordId,
    payload,
    signature: jws,
    verification_method: fields.verificationMethod,
    verification_payload: fields.verificationPayload,
    verification_payload_hash: fields.verificationPayloadHash,
    verification_artifact: '',
    verification_signed_by: fields.verificationSignedBy,
    verification_signed_as: fields.verificationSignedAs,
    verification_jws_header: Buffer.from(jws.split('.')[0], 'base64url').toString('utf8'),
    timestamp,
    signed_without_object_reference: false,
    object_type: 'revision',
    object_reference: rev.id,
    verified: true,
  };
}

const EVENT: Record<string, string> = {
  given: 'consent.record.given',
  declined: 'consent.record.declined',
  withdrawn: 'consent.record.withdrawn',
  limited: 'consent.record.limited',
  signed: 'consent.record.signed',
};

export function createRecordService(ctx: Ctx) {
  const { db } = ctx;
  const writer = createRecordWriter(db);

  /** The agreement (of this organisation) and the revision a new record points at. */
  async function agreementFor(organisationId: string, agreementId: string, revisionId?: string | null, forNew = true) {
    const found = typeof agreementId === 'string' && /^[0-9a-f-]{36}$/i.test(agreementId) ? await ctx.agreement(agreementId) : null;
    if (!found || found.agreement.organisation_id !== organisationId) throw notFound('Data agreement', String(agreementId));
    const { agreement } = found;
    if (forNew && (!agreement.active || agreement.lifecycle !== 'complete' || !found.revision))
      throw badRequest('This data agreement is not active: consent records can be made only for an active, complete agreement');
    let revision = found.revision;
    if (revisionId && revisionId !== revision?.id) {
      const { rows } = await db.query<RevisionRow>(
        "SELECT * FROM consent.revisions WHERE id = $1 AND object_id = $2 AND schema_name = 'DataAgreement'",
        [/^[0-9a-f-]{36}$/i.test(revisionId) ? revisionId : '00000000-0000-0000-0000-000000000000', agreement.id],
      );
      if (!rows[0]) throw notFound('Revision', revisionId);
      revision = rows[0];
    }
    return { agreement, revision: revision!, policy: found.policy };
  }

  function checkAttributes(agreement: AgreementRow, wanted: string[] | undefined, optIn: boolean): string[] {
    const all = agreement.attributes.map((a) => a.id);
    if (wanted === undefined || !optIn) return wanted ?? all;
    const unknown = wanted.filter((w) => !all.includes(w));
    if (unknown.length) throw badRequest(`Not an attribute of this agreement: ${unknown.slice(0, 3).join(', ')}`, 'attributes');
    const chosen = all.filter((a) => wanted.includes(a));
    if (all.length && !chosen.length) throw badRequest('Choose at least one attribute, or opt out', 'attributes');
    if (!agreement.partial_allowed && chosen.length !== all.length)
      throw badRequest('This agreement must be agreed to whole', 'attributes');
    return chosen;
  }

  async function create(input: {
    organisationId: string;
    agreementId: string;
    individualId: string;
    revisionId?: string | null;
    optIn?: boolean;
    attributes?: string[];
    expiresAt?: Date | null;
    author: Author;
  }): Promise<{ record: RecordRow; revision: RevisionRow; signature: SignatureRow | null }> {
    const { agreement, revision: agreementRevision } = await agreementFor(input.organisationId, input.agreementId, input.revisionId);
    const optIn = input.optIn ?? true;
    const now = new Date();
    const status: RecordStatus = optIn ? 'given' : 'declined';
    const longest = agreement.duration_days ? new Date(now.getTime() + agreement.duration_days * DAY) : null;
    const r: NewRecord = {
      id: randomUUID(),
      organisation_id: input.organisationId,
      agreement_id: agreement.id,
      individual_id: input.individualId,
      account_id: null,
      service_id: agreement.service_id,
      agreement_revision_id: agreementRevision.id,
      agreement_revision_hash: agreementRevision.serialized_hash,
      opt_in: optIn,
      status,
      state: input.author.sign ? 'signed' : 'unsigned',
      signature_id: null,
      attributes: optIn ? checkAttributes(agreement, input.attributes, true) : [],
      given_at: optIn ? now : null,
      expires_at: optIn ? shorter(longest, input.expiresAt ?? null) : null,
      delegation_id: input.author.delegationId ?? null,
      via: input.author.via,
      revision_id: null,
    };
    const signer = await ctx.signer();
    const revision = buildRevision(signer, {
      organisationId: r.organisation_id,
      schemaName: 'ConsentRecord',
      objectId: r.id,
      objectData: recordData(r),
      authorizedByIndividual: input.author.byIndividual ? r.individual_id : null,
      authorizedByOther: input.author.actor,
      predecessor: null,
      at: now,
    });
    r.revision_id = revision.id;
    const signature = input.author.sign ? platformSignature(signer, ctx.urls.jwks, revision, r.id, input.author) : null;
    if (signature) r.signature_id = signature.id;
    const event = { type: EVENT[status], payload: eventPayload(r) };
    const out = signature ? await recordStore.create(db, r, revision, event, signature) : await writer.write(r, revision, event);
    if (!out.individual) throw notFound('Individual', input.individualId);
    if (!out.created) throw conflict('This individual already has a consent record for this data agreement: update it instead');
    if (out.accountId) ctx.decider.invalidate(out.accountId);
    return {
      record: { ...r, account_id: out.accountId, reminded_at: null, withdrawn_at: null, created_at: now, updated_at: now },
      revision,
      signature,
    };
  }

  /** A change to an existing record: opt in or out, fewer facts, a sooner end. */
  async function change(input: {
    organisationId: string | null;
    recordId: string;
    individualId?: string;
    accountId?: string;
    change: RecordChange;
    author: Author;
  }): Promise<{ record: RecordRow; revision: RevisionRow; signature: SignatureRow | null; changed: boolean }> {
    let notice: ReturnType<Ctx['decider']['notice']> | undefined;
    // Read outside the transaction what it needs (PGlite runs one statement stream at a time).
    await ctx.signer();
    const pre = /^[0-9a-f-]{36}$/i.test(input.recordId) ? await recordStore.get(db, input.organisationId, input.recordId) : null;
    if (!pre) throw notFound('Consent record', input.recordId);
    const found = await agreementFor(pre.organisation_id, pre.agreement_id, null, false);
    try {
      const out = await db.transaction(async (tx) => {
        const r = await recordStore.get(tx, input.organisationId, input.recordId, true);
        if (!r || (input.individualId && r.individual_id !== input.individualId) || (input.accountId && r.account_id !== input.accountId))
          throw notFound('Consent record', input.recordId);
        const next = apply(r, input.change, found);
        if (!next) return { record: r, revision: (await latestRevision(tx, r.id))!, signature: null, changed: false };
        const reduces =
          r.opt_in && (!next.opt_in || next.attributes.length < r.attributes.length || shorterThan(next.expires_at, r.expires_at));
        if (reduces && r.account_id) notice = ctx.decider.notice(r.account_id);
        const kind = next.status !== r.status || next.opt_in !== r.opt_in ? next.status : 'limited';
        return write(tx, r, next, kind, input.author, notice?.payload);
      });
      if (notice) await notice.settled();
      else if (out.record.account_id) ctx.decider.invalidate(out.record.account_id);
      return out;
    } catch (err) {
      notice?.cancel();
      throw err;
    }
  }

  /** The record after the change, or null when nothing changes. */
  function apply(r: RecordRow, c: RecordChange, found: { agreement: AgreementRow; revision: RevisionRow | null }): RecordRow | null {
    const now = new Date();
    const n: RecordRow = { ...r };
    const { agreement, revision } = found;
    if ((c.optIn !== undefined && c.optIn !== r.opt_in) || (c.renew && c.optIn)) {
      if (c.optIn) {
        // Agreeing again is to the agreement as it is now.
        if (!agreement.active || agreement.lifecycle !== 'complete' || !revision)
          throw badRequest('This data agreement is not active: consent can be given only to an active, complete agreement');
        Object.assign(n, {
          opt_in: true,
          status: 'given',
          given_at: now,
          withdrawn_at: null,
          agreement_revision_id: revision.id,
          agreement_revision_hash: revision.serialized_hash,
          attributes: checkAttributes(agreement, c.attributes, true),
          expires_at: shorter(
            agreement.duration_days ? new Date(now.getTime() + agreement.duration_days * DAY) : null,
            c.expiresAt ?? null,
          ),
          reminded_at: null,
        });
        return n;
      }
      Object.assign(n, {
        opt_in: false,
        status: r.status === 'given' ? 'withdrawn' : r.status,
        withdrawn_at: r.status === 'given' ? now : r.withdrawn_at,
      });
      return n;
    }
    if (!r.opt_in) {
      if (c.attributes !== undefined || c.expiresAt !== undefined) throw badRequest('This consent is not given: opt in before limiting it');
      return null;
    }
    let changed = false;
    if (c.attributes !== undefined) {
      const chosen = checkAttributes(agreement, c.attributes, true).filter((a) => r.attributes.includes(a));
      if (chosen.length !== c.attributes.length)
        throw badRequest('A consent can be limited to fewer facts, not widened: opt in again for more', 'attributes');
      if (chosen.length !== r.attributes.length) [n.attributes, changed] = [chosen, true];
    }
    if (c.expiresAt !== undefined && c.expiresAt !== null) {
      if (c.expiresAt.getTime() <= now.getTime())
        throw badRequest('The end date must be in the future: to stop now, withdraw', 'expiresAt');
      if (r.expires_at && c.expiresAt.getTime() > new Date(r.expires_at).getTime())
        throw badRequest('A consent can be made to end sooner, not later', 'expiresAt');
      if (!r.expires_at || c.expiresAt.getTime() !== new Date(r.expires_at).getTime())
        [n.expires_at, n.reminded_at, changed] = [c.expiresAt, null, true];
    }
    return changed ? n : null;
  }

  async function write(tx: Queryable, r: RecordRow, n: RecordRow, kind: string, author: Author, notifyPayload?: string) {
    const prev = await latestRevision(tx, r.id);
    const signer = await ctx.signer();
    const revision = buildRevision(signer, {
      organisationId: r.organisation_id,
      schemaName: 'ConsentRecord',
      objectId: r.id,
      objectData: recordData({ ...n, delegation_id: author.delegationId ?? n.delegation_id, via: author.via }),
      authorizedByIndividual: author.byIndividual ? r.individual_id : null,
      authorizedByOther: author.actor,
      predecessor: prev,
    });
    await insertRevision(tx, revision, prev?.id ?? null);
    const signature = author.sign
      ? await recordStore.insertSignature(tx, platformSignature(signer, ctx.urls.jwks, revision, r.id, author))
      : null;
    const record = await recordStore.update(tx, r.id, {
      opt_in: n.opt_in,
      status: n.status,
      attributes: n.attributes,
      given_at: n.given_at,
      expires_at: n.expires_at,
      withdrawn_at: n.withdrawn_at,
      agreement_revision_id: n.agreement_revision_id,
      agreement_revision_hash: n.agreement_revision_hash,
      reminded_at: n.reminded_at,
      delegation_id: author.delegationId ?? (author.via === 'delegate' ? n.delegation_id : null),
      via: author.via,
      revision_id: revision.id,
      state: signature ? 'signed' : 'unsigned',
      signature_id: signature?.id ?? null,
    });
    await ctx.events.append(tx, { stream: `consent.record:${r.id}`, type: EVENT[kind], payload: eventPayload(record) });
    if (r.account_id) await tx.query(`SELECT pg_notify('${SUBJECT_CHANNEL}', $1)`, [notifyPayload ?? r.account_id]);
    return { record, revision, signature, changed: true };
  }

  return {
    agreementFor,
    create,
    change,
    write,

    // Individuals
    async createIndividual(
      organisationId: string,
      f: Pick<IndividualRow, 'external_id' | 'external_id_type' | 'identity_provider_id'>,
    ): Promise<IndividualRow> {
      return store.insertIndividual(db, { id: randomUUID(), organisation_id: organisationId, account_id: null, ...f });
    },
    async updateIndividual(
      organisationId: string,
      id: string,
      f: Pick<IndividualRow, 'external_id' | 'external_id_type' | 'identity_provider_id'>,
    ) {
      if (!(await store.individual(db, organisationId, id))) throw notFound('Individual', id);
      return store.updateIndividual(db, id, f);
    },
    /** The organisation's individual for a signed-in citizen (made on first use). */
    forAccount: (organisationId: string, accountId: string) => store.individualForAccount(db, randomUUID(), organisationId, accountId),

    /** Right to be forgotten: deletes the individual's records (and their revisions) on forgettable agreements. */
    async forget(organisationId: string, individualId: string, actor: string): Promise<number> {
      const ind = await store.individual(db, organisationId, individualId);
      if (!ind) throw notFound('Individual', individualId);
      const deleted = await db.transaction(async (tx) => {
        const { rows } = await tx.query<{ id: string }>(
          `SELECT r.id FROM consent.records r JOIN consent.agreements a ON a.id = r.agreement_id
            WHERE r.individual_id = $1 AND r.organisation_id = $2 AND a.forgettable FOR UPDATE OF r`,
          [individualId, organisationId],
        );
        if (!rows.length) return 0;
        const ids = rows.map((r) => r.id);
        await tx.query("SELECT set_config('consent.forget', 'on', true)");
        await tx.query('DELETE FROM consent.revisions WHERE object_id = ANY($1::uuid[])', [ids]);
        await tx.query('DELETE FROM consent.signatures WHERE record_id = ANY($1::uuid[])', [ids]);
        await tx.query('DELETE FROM consent.records WHERE id = ANY($1::uuid[])', [ids]);
        await tx.query("SELECT set_config('consent.forget', 'off', true)");
        for (const id of ids)
          await ctx.events.append(tx, {
            stream: `consent.record:${id}`,
            type: 'consent.record.deleted',
            payload: { id, record_id: id, organisation_id: organisationId, individual_id: individualId },
          });
        await ctx.audit.record(tx, {
          actor,
          action: 'consent.records.forget',
          subject: `consent.individual:${individualId}`,
          organisationId,
          after: { records: ids.length },
        });
        if (ind.account_id) await tx.query(`SELECT pg_notify('${SUBJECT_CHANNEL}', $1)`, [ind.account_id]);
        return ids.length;
      });
      if (ind.account_id) ctx.decider.invalidate(ind.account_id);
      return deleted;
    },
  };
}
export type RecordService = ReturnType<typeof createRecordService>;

function shorter(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return b.getTime() < a.getTime() ? b : a;
}
function shorterThan(a: Date | null, b: Date | null): boolean {
  if (!a) return false;
  return !b || new Date(a).getTime() < new Date(b).getTime();
}

export function eventPayload(
  r: Pick<RecordRow, 'id' | 'organisation_id' | 'agreement_id' | 'service_id' | 'individual_id' | 'opt_in' | 'attributes' | 'status'>,
) {
  return {
    record_id: r.id,
    organisation_id: r.organisation_id,
    agreement_id: r.agreement_id,
    service_id: r.service_id,
    individual_id: r.individual_id,
    opt_in: r.opt_in,
    status: r.status,
    attributes: r.attributes,
  };
}
