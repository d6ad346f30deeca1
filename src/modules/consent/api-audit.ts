// /consent/audit/…: what an auditor (a `team` consent key, read-only) or the organisation
// itself reads to check its consents: every record with its whole history (revisions and
// signatures, each verifiable with the published key), and every agreement.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { idParam, paging, query, requireKind, route, type ApiDeps } from './api.js';
import { agreementList } from './api-config.js';
import { agreementJson, paginationJson, recordJson, revisionJson, signatureJson } from './representation.js';
import { recordStore, type SignatureRow } from './store-records.js';
import { verifyChain, type RevisionRow } from './revisions.js';
import { badRequest, notFound } from './errors.js';
import * as S from './schema.js';

const TAGS = ['consent'];
const o = (props: Record<string, any>) => Type.Object(props, { additionalProperties: true });

export function auditRoutes(app: FastifyInstance, d: ApiDeps) {
  const { ctx } = d;
  const db = ctx.db;

  app.get(
    '/audit/consent-records/',
    route(TAGS, 'Consent records, filtered by dataAgreementId, individualId and optIn', {
      querystring: Type.Object({
        ...S.Paging.properties,
        dataAgreementId: Type.Optional(Type.String()),
        individualId: Type.Optional(Type.String()),
        optIn: Type.Optional(Type.Boolean()),
      }),
      response: { 200: o({ consentRecords: Type.Array(S.ConsentRecord), pagination: S.Pagination }) },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation', 'auditor');
      const { offset, limit } = paging(req);
      const f = { agreementId: query(req, 'dataAgreementId'), individualId: query(req, 'individualId'), optIn: query(req, 'optIn') };
      for (const [k, v] of Object.entries({ dataAgreementId: f.agreementId, individualId: f.individualId }))
        if (v && !/^[0-9a-f-]{36}$/i.test(v)) throw badRequest(`${k} is not an id`, k);
      if (f.optIn && !/^(true|false)$/i.test(f.optIn)) throw badRequest('optIn must be true or false', 'optIn');
      const { rows, total } = await recordStore.list(
        db,
        {
          organisationId: c.organisationId,
          agreementId: f.agreementId,
          individualId: f.individualId,
          optIn: f.optIn ? f.optIn.toLowerCase() === 'true' : undefined,
        },
        offset,
        limit,
      );
      return { consentRecords: rows.map(recordJson), pagination: paginationJson(total, offset, limit) };
    },
  );

  app.get(
    '/audit/consent-record/:consentRecordId/',
    route(TAGS, 'A consent record with every revision and signature, and whether its chain verifies', {
      params: Type.Object({ consentRecordId: Type.String() }),
      response: {
        200: o({
          consentRecord: S.ConsentRecord,
          revisions: Type.Array(S.Revision),
          signatures: Type.Array(S.Signature),
          verified: Type.Boolean(),
        }),
      },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation', 'auditor');
      const id = idParam(req, 'consentRecordId', 'Consent record');
      const r = await recordStore.get(db, c.organisationId, id);
      if (!r) throw notFound('Consent record', id);
      const [revs, sigs] = await Promise.all([
        db.query<RevisionRow>('SELECT * FROM consent.revisions WHERE object_id = $1 ORDER BY seq', [id]),
        db.query<SignatureRow>('SELECT * FROM consent.signatures WHERE record_id = $1 ORDER BY created_at, id', [id]),
      ]);
      const problems = verifyChain(await ctx.signer(), revs.rows);
      return {
        consentRecord: recordJson(r),
        revision: revisionJson(revs.rows[revs.rows.length - 1]),
        revisions: revs.rows.map(revisionJson),
        signatures: sigs.rows.map(signatureJson),
        verified: problems.length === 0,
        ...(problems.length ? { problems: problems.map((p) => p.problem) } : {}),
      };
    },
  );

  app.get(
    '/audit/data-agreements/',
    route(TAGS, 'Every data agreement of the organisation', {
      querystring: S.Paging,
      response: { 200: o({ dataAgreements: Type.Array(S.DataAgreement), pagination: S.Pagination }) },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation', 'auditor');
      const { offset, limit } = paging(req);
      const list = await agreementList(d, c.organisationId, offset, limit, false);
      return { dataAgreements: list.items, pagination: list.pagination };
    },
  );

  app.get(
    '/audit/data-agreement/:dataAgreementId/',
    route(TAGS, 'A data agreement and its latest revision', {
      params: Type.Object({ dataAgreementId: Type.String() }),
      response: { 200: o({ dataAgreement: S.DataAgreement, revision: Type.Optional(S.Revision) }) },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation', 'auditor');
      const id = idParam(req, 'dataAgreementId', 'Data agreement');
      const found = await ctx.agreement(id);
      if (!found || found.agreement.organisation_id !== c.organisationId) throw notFound('Data agreement', id);
      return {
        dataAgreement: agreementJson(found.agreement, found.policy),
        revision: found.revision ? revisionJson(found.revision) : undefined,
      };
    },
  );

  // GovStack's status check (its building-block test suite calls it first): public, no key.
  app.get(
    '/status/startup',
    {
      config: { api: true, csrf: false },
      schema: { tags: TAGS, summary: 'Whether the consent API is up and its database answers: { "status": "OK" | "ERROR" }' },
    },
    async (_req, reply) => {
      reply.header('cache-control', 'no-store');
      const ok = await ctx.db
        .query('SELECT 1')
        .then(() => true)
        .catch(() => false);
      return { status: ok ? 'OK' : 'ERROR' };
    },
  );

  // The platform's public keys: anyone may check a revision's or a receipt's signature.
  app.get(
    '/.well-known/jwks.json',
    {
      config: { api: true, csrf: false },
      schema: { tags: TAGS, summary: 'The public keys that sign revisions and receipts (JWKS, EdDSA)' },
    },
    async (_req, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return (await ctx.signer()).jwks();
    },
  );
}
