// /consent/service/…: reading agreements and policies, verifying consent (for data consumers),
// and an individual's consent records — create (or draft, sign, pair), read, list, opt in or
// out, and forget. The individual is the caller's own (an access token) or the one named by
// X-ConsentBB-IndividualId; records of other individuals or organisations are never found.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { randomUUID } from 'node:crypto';
import {
  caller,
  idParam,
  individualOf,
  namedIndividual,
  paging,
  query,
  requireKind,
  route,
  INDIVIDUAL_HEADER,
  type ApiDeps,
  type Caller,
} from './api.js';
import { agreementList } from './api-config.js';
import { recordChange, signatureInput } from './parse.js';
import { agreementJson, paginationJson, policyJson, recordJson, revisionJson, signatureJson } from './representation.js';
import { recordStore, type RecordRow, type SignatureRow } from './store-records.js';
import { store } from './store.js';
import { latestRevision } from './revisions.js';
import { recordData, type Author } from './service-records.js';
import { signingRequest, verifyClientSignature } from './signatures.js';
import { badRequest, notFound } from './errors.js';
import * as S from './schema.js';

const TAGS = ['consent'];
const o = (props: Record<string, any>) => Type.Object(props, { additionalProperties: true });
const AgreementId = Type.Object({ dataAgreementId: Type.String() });
const RecordId = Type.Object({ consentRecordId: Type.String() });
const Headers = Type.Object({
  [INDIVIDUAL_HEADER]: Type.Optional(Type.String({ description: 'The individual acted for (with an organisation’s key)' })),
});
const RecordAndRevision = o({ consentRecord: S.ConsentRecord, revision: S.Revision });
const Records = o({ consentRecords: Type.Array(S.ConsentRecord), pagination: S.Pagination });

const authorOf = (c: Caller): Author =>
  c.kind === 'individual' ? { actor: 'individual', byIndividual: true, via: 'api' } : { actor: c.actor, byIndividual: false, via: 'api' };

export function serviceRoutes(app: FastifyInstance, d: ApiDeps) {
  const { ctx, records } = d;
  const db = ctx.db;

  app.get(
    '/service/data-agreement/:dataAgreementId/',
    route(TAGS, 'Read a data agreement and its latest revision', {
      params: AgreementId,
      response: { 200: o({ dataAgreement: S.DataAgreement, revision: Type.Optional(S.Revision) }) },
    }),
    async (req) => {
      const c = caller(req);
      const id = idParam(req, 'dataAgreementId', 'Data agreement');
      const found = await ctx.agreement(id);
      const a = found?.agreement;
      const live = a && a.active && a.lifecycle === 'complete' && a.revision_id;
      if (!a || a.organisation_id !== c.organisationId || (c.kind === 'individual' && !live)) throw notFound('Data agreement', id);
      return { dataAgreement: agreementJson(a, found.policy), revision: found.revision ? revisionJson(found.revision) : undefined };
    },
  );
  app.get(
    '/service/policy/:policyId/',
    route(TAGS, 'Read a policy and its latest revision (or the one named by revisionId)', {
      params: Type.Object({ policyId: Type.String() }),
      querystring: Type.Object({ revisionId: Type.Optional(Type.String()) }),
      response: { 200: o({ policy: S.Policy, revision: Type.Optional(S.Revision) }) },
    }),
    async (req) => {
      const c = caller(req);
      const id = idParam(req, 'policyId', 'Policy');
      const revisionId = query(req, 'revisionId');
      if (revisionId) {
        const r = /^[0-9a-f-]{36}$/i.test(revisionId) ? await d.agreements.revision(c.organisationId, id, revisionId) : null;
        if (!r) throw notFound('Revision', revisionId);
        return { policy: JSON.parse(r.serialized_snapshot).objectData, revision: revisionJson(r) };
      }
      const p = await store.policy(db, c.organisationId, id);
      if (!p) throw notFound('Policy', id);
      const r = await latestRevision(db, id);
      return { policy: policyJson(p), revision: r ? revisionJson(r) : undefined };
    },
  );

  // Verification, for data consumers: does consent exist?
  app.get(
    '/service/verification/data-agreements/',
    route(TAGS, 'Active data agreements that consent can be verified against', {
      querystring: S.Paging,
      response: { 200: o({ dataAgreements: Type.Array(S.DataAgreement), pagination: S.Pagination }) },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation', 'auditor');
      const { offset, limit } = paging(req);
      const list = await agreementList(d, c.organisationId, offset, limit, true);
      return { dataAgreements: list.items, pagination: list.pagination };
    },
  );
  app.get(
    '/service/verification/consent-records/',
    route(TAGS, 'Consent records (latest revision), filtered by dataAgreementId, individualId and optIn', {
      querystring: Type.Object({
        ...S.Paging.properties,
        dataAgreementId: Type.Optional(Type.String()),
        individualId: Type.Optional(Type.String()),
        optIn: Type.Optional(Type.Boolean()),
      }),
      response: { 200: Records },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation', 'auditor');
      return recordPage(req, c.organisationId, filters(req));
    },
  );
  app.get(
    '/service/verification/consent-record/:consentRecordId/',
    route(TAGS, 'Read a consent record and its latest revision', { params: RecordId, response: { 200: RecordAndRevision } }),
    async (req) => {
      const c = requireKind(req, 'organisation', 'auditor');
      const r = await recordStore.get(db, c.organisationId, idParam(req, 'consentRecordId', 'Consent record'));
      if (!r) throw notFound('Consent record', (req.params as { consentRecordId: string }).consentRecordId);
      return { consentRecord: recordJson(r), revision: revisionJson((await latestRevision(db, r.id))!) };
    },
  );

  // An individual's records
  app.post(
    '/service/individual/record/data-agreement/:dataAgreementId/',
    route(TAGS, 'Record consent (opt in) to the current revision of an agreement, or to revisionId', {
      params: AgreementId,
      headers: Headers,
      querystring: Type.Object({ individualId: Type.Optional(Type.String()), revisionId: Type.Optional(Type.String()) }),
      response: { 200: RecordAndRevision },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation', 'individual');
      // An organisation's individual is checked by the insert itself (one round trip fewer).
      const individual = c.kind === 'individual' ? (await individualOf(req, d, { make: true }))! : { id: namedIndividual(req) };
      const body = (req.body ?? {}) as Record<string, unknown>;
      const change =
        body && typeof body === 'object' && ('optIn' in body || 'consentRecord' in body || 'attributes' in body) ? recordChange(body) : {};
      const { record, revision } = await records.create({
        organisationId: c.organisationId,
        agreementId: idParam(req, 'dataAgreementId', 'Data agreement'),
        individualId: individual.id,
        revisionId: query(req, 'revisionId'),
        optIn: change.optIn,
        attributes: change.attributes,
        expiresAt: change.expiresAt,
        author: authorOf(c),
      });
      return { consentRecord: recordJson(record), revision: revisionJson(revision) };
    },
  );
  app.get(
    '/service/individual/record/data-agreement/:dataAgreementId/',
    route(TAGS, "The individual's consent record for an agreement", {
      params: AgreementId,
      headers: Headers,
      response: { 200: RecordAndRevision },
    }),
    async (req) => {
      requireKind(req, 'organisation', 'individual');
      const agreementId = idParam(req, 'dataAgreementId', 'Data agreement');
      const individual = await individualOf(req, d);
      const r = individual ? await recordStore.forAgreement(db, agreementId, individual.id) : null;
      if (!r || r.organisation_id !== caller(req).organisationId) throw notFound('Consent record for data agreement', agreementId);
      return { consentRecord: recordJson(r), revision: revisionJson((await latestRevision(db, r.id))!) };
    },
  );
  app.get(
    '/service/individual/record/data-agreement/:dataAgreementId/all/',
    route(TAGS, "The individual's consent records for an agreement", {
      params: AgreementId,
      headers: Headers,
      querystring: S.Paging,
      response: { 200: Records },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation', 'individual');
      const individual = await individualOf(req, d);
      const agreementId = idParam(req, 'dataAgreementId', 'Data agreement');
      if (!individual) return { consentRecords: [], pagination: paginationJson(0, 0, paging(req).limit) };
      return recordPage(req, c.organisationId, { individualId: individual.id, agreementId });
    },
  );
  app.get(
    '/service/individual/record/consent-record/',
    route(TAGS, "The individual's consent records", { headers: Headers, querystring: S.Paging, response: { 200: Records } }),
    async (req) => {
      const c = requireKind(req, 'organisation', 'individual');
      const individual = await individualOf(req, d);
      if (!individual) return { consentRecords: [], pagination: paginationJson(0, 0, paging(req).limit) };
      return recordPage(req, c.organisationId, { individualId: individual.id });
    },
  );
  app.put(
    '/service/individual/record/consent-record/:consentRecordId/',
    route(TAGS, 'Opt in or out (and, for Cityscape, limit to fewer attributes or a sooner end): a new revision', {
      params: RecordId,
      headers: Headers,
      body: S.body('consentRecord', o({ optIn: Type.Boolean() })),
      response: { 200: RecordAndRevision },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation', 'individual');
      const individual = await individualOf(req, d);
      const id = idParam(req, 'consentRecordId', 'Consent record');
      if (!individual) throw notFound('Consent record', id);
      const out = await records.change({
        organisationId: c.organisationId,
        recordId: id,
        individualId: individual.id,
        change: recordChange(req.body),
        author: authorOf(c),
      });
      return { consentRecord: recordJson(out.record), revision: revisionJson(out.revision) };
    },
  );

  // Drafts and signatures: draft → the individual signs `payload` → paired create.
  app.post(
    '/service/individual/record/consent-record/draft/',
    route(TAGS, 'A draft (unsaved) consent record and signature to sign, for dataAgreementId', {
      headers: Headers,
      querystring: Type.Object({
        individualId: Type.Optional(Type.String()),
        dataAgreementId: Type.String(),
        revisionId: Type.Optional(Type.String()),
      }),
      response: { 200: o({ consentRecord: S.ConsentRecord, signature: S.Signature }) },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation', 'individual');
      const individual = (await individualOf(req, d, { make: true }))!;
      const agreementId = query(req, 'dataAgreementId');
      if (!agreementId) throw badRequest('dataAgreementId is required', 'dataAgreementId');
      const { agreement, revision } = await records.agreementFor(c.organisationId, agreementId, query(req, 'revisionId'));
      const draft = {
        dataAgreementId: agreement.id,
        dataAgreementRevisionId: revision.id,
        dataAgreementRevisionHash: revision.serialized_hash,
        individualId: individual.id,
        optIn: true,
        state: 'unsigned',
        attributes: agreement.attributes.map((a) => a.id),
      };
      return { consentRecord: draft, signature: signingRequest({ snapshot: JSON.stringify(draft) }) };
    },
  );
  app.post(
    '/service/individual/record/consent-record/',
    route(TAGS, 'Create a consent record with its signature (from a signed draft)', {
      headers: Headers,
      body: o({ consentRecord: S.ConsentRecord, signature: S.Signature }),
      response: { 200: o({ consentRecord: S.ConsentRecord, revision: S.Revision, signature: S.Signature }) },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation', 'individual');
      const body = (req.body ?? {}) as Record<string, any>;
      const draft = body.consentRecord;
      if (!draft || typeof draft !== 'object' || Array.isArray(draft)) throw badRequest('consentRecord is required', 'consentRecord');
      const sig = signatureInput(body);
      let individualId: string;
      if (c.kind === 'individual') individualId = (await individualOf(req, d, { make: true }))!.id;
      else {
        const named = typeof draft.individualId === 'string' ? draft.individualId : undefined;
        const ind =
          named && /^[0-9a-f-]{36}$/i.test(named) ? await store.individual(db, c.organisationId, named) : await individualOf(req, d);
        if (!ind) throw notFound('Individual', String(named));
        individualId = ind.id;
      }
      if (typeof draft.dataAgreementId !== 'string')
        throw badRequest('consentRecord.dataAgreementId is required', 'consentRecord.dataAgreementId');
      const verified =
        sig.signature && sig.verificationMethod
          ? verifyClientSignature({
              signature: String(sig.signature),
              verificationMethod: String(sig.verificationMethod),
              payload: String(sig.payload ?? ''),
            })
          : false;
      const { record, revision } = await records.create({
        organisationId: c.organisationId,
        agreementId: draft.dataAgreementId,
        individualId,
        revisionId: typeof draft.dataAgreementRevisionId === 'string' ? draft.dataAgreementRevisionId : null,
        optIn: typeof draft.optIn === 'boolean' ? draft.optIn : true,
        attributes: Array.isArray(draft.attributes) ? draft.attributes.filter((a: unknown) => typeof a === 'string') : undefined,
        author: authorOf(c),
      });
      const signature = await storeClientSignature(record, revision.id, sig, verified, true);
      return { consentRecord: recordJson(signature.record), revision: revisionJson(revision), signature: signatureJson(signature.row) };
    },
  );
  app.post(
    '/service/individual/record/consent-record/:consentRecordId/signature/',
    route(TAGS, 'A Signature for the record’s latest revision, with a payload ready for signing', {
      params: RecordId,
      headers: Headers,
      body: S.body('signature', S.Signature),
      response: { 200: o({ signature: S.Signature }) },
    }),
    async (req) => {
      const r = await ownRecord(req);
      const rev = (await latestRevision(db, r.id))!;
      const draft = signingRequest({ snapshot: rev.serialized_snapshot, revision: rev });
      const given = req.body ? signatureInput(req.body) : {};
      const row = await recordStore.insertSignature(db, {
        ...toRow(
          draft,
          r,
          String(given.verificationSignedBy ?? ''),
          String(given.verificationSignedAs ?? (caller(req).kind === 'individual' ? 'individual' : '')),
        ),
        verification_method: String(given.verificationMethod ?? ''),
      });
      await recordStore.update(db, r.id, { state: 'pending' });
      return { signature: signatureJson(row) };
    },
  );
  app.put(
    '/service/individual/record/consent-record/:consentRecordId/signature/',
    route(TAGS, 'Add the signature to the record’s unsigned Signature; the record becomes signed', {
      params: RecordId,
      headers: Headers,
      body: S.body('signature', S.Signature),
      response: { 200: o({ signature: S.Signature }) },
    }),
    async (req) => {
      const r = await ownRecord(req);
      const sig = signatureInput(req.body);
      if (!sig.signature) throw badRequest('signature.signature is required', 'signature.signature');
      const rev = (await latestRevision(db, r.id))!;
      const { rows } = await db.query<SignatureRow>(
        `SELECT * FROM consent.signatures WHERE record_id = $1 AND signature = '' AND object_reference = $2 ORDER BY created_at DESC LIMIT 1`,
        [r.id, rev.id],
      );
      const pending =
        rows[0] ??
        (await recordStore.insertSignature(db, toRow(signingRequest({ snapshot: rev.serialized_snapshot, revision: rev }), r, '', '')));
      const method = String(sig.verificationMethod ?? pending.verification_method);
      const verified = method
        ? verifyClientSignature({ signature: String(sig.signature), verificationMethod: method, payload: pending.payload })
        : false;
      const { rows: updated } = await db.query<SignatureRow>(
        `UPDATE consent.signatures SET signature = $2, verification_method = $3, verification_signed_by = coalesce($4, verification_signed_by),
           verification_signed_as = coalesce($5, verification_signed_as), verification_artifact = coalesce($6, verification_artifact),
           verification_jws_header = coalesce($7, verification_jws_header), verified = $8 WHERE id = $1 RETURNING *`,
        [
          pending.id,
          sig.signature,
          method,
          sig.verificationSignedBy ?? null,
          sig.verificationSignedAs ?? null,
          sig.verificationArtifact ?? null,
          sig.verificationJwsHeader ?? null,
          verified,
        ],
      );
      await recordStore.update(db, r.id, { state: 'signed', signature_id: pending.id });
      return { signature: signatureJson(updated[0]) };
    },
  );
  app.delete(
    '/service/individual/record/',
    route(TAGS, "Right to be forgotten: delete the individual's records on forgettable agreements", {
      headers: Headers,
      response: { 200: o({ deleted: Type.Integer() }) },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation', 'individual');
      const individual = await individualOf(req, d);
      if (!individual) return { deleted: 0 };
      return { deleted: await records.forget(c.organisationId, individual.id, c.actor) };
    },
  );

  async function ownRecord(req: FastifyRequest): Promise<RecordRow> {
    const c = requireKind(req, 'organisation', 'individual');
    const id = idParam(req, 'consentRecordId', 'Consent record');
    const individual = c.kind === 'individual' || req.headers[INDIVIDUAL_HEADER] ? await individualOf(req, d) : null;
    const r = await recordStore.get(db, c.organisationId, id);
    if (!r || (individual && r.individual_id !== individual.id) || (c.kind === 'individual' && !individual))
      throw notFound('Consent record', id);
    return r;
  }

  async function storeClientSignature(
    record: RecordRow,
    revisionId: string,
    sig: Record<string, unknown>,
    verified: boolean,
    withoutReference: boolean,
  ) {
    const row = await recordStore.insertSignature(db, {
      id: randomUUID(),
      organisation_id: record.organisation_id,
      record_id: record.id,
      payload: String(sig.payload ?? ''),
      signature: String(sig.signature ?? ''),
      verification_method: String(sig.verificationMethod ?? ''),
      verification_payload: canonicalDraft(record),
      verification_payload_hash: '',
      verification_artifact: String(sig.verificationArtifact ?? ''),
      verification_signed_by: String(sig.verificationSignedBy ?? ''),
      verification_signed_as: String(sig.verificationSignedAs ?? ''),
      verification_jws_header: String(sig.verificationJwsHeader ?? ''),
      timestamp: new Date().toISOString(),
      signed_without_object_reference: withoutReference,
      object_type: 'revision',
      object_reference: revisionId,
      verified,
    });
    const state = row.signature ? 'signed' : 'pending';
    const updated = await recordStore.update(db, record.id, { state, signature_id: row.id });
    return { row, record: updated };
  }

  function filters(req: FastifyRequest) {
    const agreementId = query(req, 'dataAgreementId');
    const individualId = query(req, 'individualId');
    const optIn = query(req, 'optIn');
    for (const [k, v] of Object.entries({ dataAgreementId: agreementId, individualId }))
      if (v && !/^[0-9a-f-]{36}$/i.test(v)) throw badRequest(`${k} is not an id`, k);
    if (optIn && !/^(true|false)$/i.test(optIn)) throw badRequest('optIn must be true or false', 'optIn');
    return { agreementId, individualId, optIn: optIn ? optIn.toLowerCase() === 'true' : undefined };
  }

  async function recordPage(
    req: FastifyRequest,
    organisationId: string,
    f: { individualId?: string; agreementId?: string; optIn?: boolean },
  ) {
    const { offset, limit } = paging(req);
    const { rows, total } = await recordStore.list(db, { organisationId, ...f }, offset, limit);
    return { consentRecords: rows.map(recordJson), pagination: paginationJson(total, offset, limit) };
  }
}

/** What a paired signature was over: the draft as it was handed out. */
function canonicalDraft(r: RecordRow): string {
  const d = recordData({ ...r, account_id: null });
  return JSON.stringify({
    dataAgreementId: d.dataAgreementId,
    dataAgreementRevisionId: d.dataAgreementRevisionId,
    individualId: d.individualId,
    optIn: d.optIn,
  });
}

function toRow(draft: ReturnType<typeof signingRequest>, r: RecordRow, signedBy: string, signedAs: string): SignatureRow {
  return {
    id: randomUUID(),
    organisation_id: r.organisation_id,
    record_id: r.id,
    payload: draft.payload,
    signature: '',
    verification_method: '',
    verification_payload: draft.verificationPayload,
    verification_payload_hash: draft.verificationPayloadHash,
    verification_artifact: '',
    verification_signed_by: signedBy.slice(0, 2000),
    verification_signed_as: signedAs.slice(0, 100),
    verification_jws_header: '',
    timestamp: draft.timestamp,
    signed_without_object_reference: false,
    object_type: 'revision',
    object_reference: draft.objectReference,
    verified: false,
  };
}
