// /consent/config/…: an organisation's policies, data agreements and individuals (webhooks are
// in api-webhooks.ts). Changes need an organisation's key; an auditor's key may read.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { caller, idParam, individualOf, paging, query, requireKind, route, scopeOf, type ApiDeps } from './api.js';
import { agreementInput, individualInput, policyFields } from './parse.js';
import { agreementJson, individualJson, paginationJson, policyJson, revisionJson } from './representation.js';
import { store, type PolicyRow } from './store.js';
import { notFound } from './errors.js';
import * as S from './schema.js';
import type { RevisionRow } from './revisions.js';

const TAGS = ['consent'];
const PolicyId = Type.Object({ policyId: Type.String() });
const AgreementId = Type.Object({ dataAgreementId: Type.String() });
const IndividualId = Type.Object({ individualId: Type.String() });
const o = (props: Record<string, any>) => Type.Object(props, { additionalProperties: true });
const PolicyAndRevision = o({ policy: S.Policy, revision: S.Revision });
const AgreementAndRevision = o({ dataAgreement: S.DataAgreement, revision: Type.Optional(S.Revision) });
const RevisionOnly = o({ revision: S.Revision });

/** A policy as of one of its revisions (the snapshot's objectData). */
function policyAt(r: RevisionRow) {
  return (JSON.parse(r.serialized_snapshot) as { objectData: ReturnType<typeof policyJson> }).objectData;
}

export function configRoutes(app: FastifyInstance, d: ApiDeps) {
  const { ctx, agreements } = d;
  const db = ctx.db;
  const readers = (req: FastifyRequest) => requireKind(req, 'organisation', 'auditor');

  async function policyRead(req: FastifyRequest) {
    const c = caller(req);
    const id = idParam(req, 'policyId', 'Policy');
    const revisionId = query(req, 'revisionId');
    if (revisionId) {
      const r = /^[0-9a-f-]{36}$/i.test(revisionId) ? await agreements.revision(c.organisationId, id, revisionId) : null;
      if (!r) throw notFound('Revision', revisionId);
      return { policy: policyAt(r), revision: revisionJson(r) };
    }
    const p = await store.policy(db, c.organisationId, id);
    if (!p) throw notFound('Policy', id);
    const r = await agreements.latestRevision(id);
    return { policy: policyJson(p), revision: r ? revisionJson(r) : undefined };
  }

  app.post(
    '/config/policy/',
    route(TAGS, 'Create a policy', { body: S.body('policy', S.Policy), response: { 200: PolicyAndRevision } }),
    async (req) => {
      const c = requireKind(req, 'organisation');
      const { policy, revision } = await agreements.createPolicy(scopeOf(c), policyFields(req.body));
      return { policy: policyJson(policy), revision: revisionJson(revision) };
    },
  );
  app.get(
    '/config/policy/:policyId/',
    route(TAGS, 'Read a policy and its latest revision (or the one named by revisionId)', {
      params: PolicyId,
      querystring: Type.Object({ revisionId: Type.Optional(Type.String()) }),
      response: { 200: PolicyAndRevision },
    }),
    async (req) => {
      readers(req);
      return policyRead(req);
    },
  );
  app.put(
    '/config/policy/:policyId/',
    route(TAGS, 'Update a policy (a new revision)', {
      params: PolicyId,
      body: S.body('policy', S.Policy),
      response: { 200: PolicyAndRevision },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation');
      const { policy, revision } = await agreements.updatePolicy(scopeOf(c), idParam(req, 'policyId', 'Policy'), policyFields(req.body));
      return { policy: policyJson(policy), revision: revisionJson(revision) };
    },
  );
  app.delete(
    '/config/policy/:policyId/',
    route(TAGS, 'Delete a policy not used by an active agreement', { params: PolicyId, response: { 200: RevisionOnly } }),
    async (req) => {
      const c = requireKind(req, 'organisation');
      const r = revisionJson(await agreements.deletePolicy(scopeOf(c), idParam(req, 'policyId', 'Policy')));
      return { ...r, revision: r };
    },
  );
  app.get(
    '/config/policy/:policyId/revisions/',
    route(TAGS, "A policy's revisions, oldest first", {
      params: PolicyId,
      querystring: S.Paging,
      response: { 200: o({ policy: S.Policy, revisions: Type.Array(S.Revision), pagination: S.Pagination }) },
    }),
    async (req) => {
      const c = readers(req);
      const id = idParam(req, 'policyId', 'Policy');
      const { offset, limit } = paging(req);
      const p: PolicyRow | null = await store.policy(db, c.organisationId, id);
      if (!p) throw notFound('Policy', id);
      const { rows, total } = await agreements.revisions(c.organisationId, id, offset, limit);
      return { policy: policyJson(p), revisions: rows.map(revisionJson), pagination: paginationJson(total, offset, limit) };
    },
  );
  app.get(
    '/config/policies/',
    route(TAGS, "The organisation's policies", {
      querystring: S.Paging,
      response: { 200: o({ policies: Type.Array(S.Policy), pagination: S.Pagination }) },
    }),
    async (req) => {
      const c = readers(req);
      const { offset, limit } = paging(req);
      const { rows, total } = await store.policies(db, c.organisationId, offset, limit);
      return { policies: rows.map(policyJson), pagination: paginationJson(total, offset, limit) };
    },
  );

  // Data agreements
  async function agreementRead(req: FastifyRequest, liveOnly = false) {
    const c = caller(req);
    const id = idParam(req, 'dataAgreementId', 'Data agreement');
    const found = await ctx.agreement(id);
    const a = found?.agreement;
    if (!a || a.organisation_id !== c.organisationId || (liveOnly && !(a.active && a.lifecycle === 'complete' && a.revision_id)))
      throw notFound('Data agreement', id);
    return { dataAgreement: agreementJson(a, found.policy), revision: found.revision ? revisionJson(found.revision) : undefined };
  }
  const agreementOut = (r: Awaited<ReturnType<typeof agreements.create>>) => ({
    dataAgreement: agreementJson(r.agreement, r.policy),
    revision: revisionJson(r.revision),
  });

  app.post(
    '/config/data-agreement/',
    route(TAGS, 'Create a data agreement (published at once as its first revision)', {
      body: S.body('dataAgreement', S.DataAgreement),
      response: { 200: AgreementAndRevision },
    }),
    async (req) => agreementOut(await agreements.create(scopeOf(requireKind(req, 'organisation')), agreementInput(req.body))),
  );
  app.get(
    '/config/data-agreement/:dataAgreementId/',
    route(TAGS, 'Read a data agreement and its latest revision', { params: AgreementId, response: { 200: AgreementAndRevision } }),
    async (req) => {
      readers(req);
      return agreementRead(req);
    },
  );
  app.put(
    '/config/data-agreement/:dataAgreementId/',
    route(TAGS, 'Update a data agreement (a new revision; existing consents keep the revision they agreed to)', {
      params: AgreementId,
      body: S.body('dataAgreement', S.DataAgreement),
      response: { 200: AgreementAndRevision },
    }),
    async (req) =>
      agreementOut(
        await agreements.update(
          scopeOf(requireKind(req, 'organisation')),
          idParam(req, 'dataAgreementId', 'Data agreement'),
          agreementInput(req.body),
        ),
      ),
  );
  app.delete(
    '/config/data-agreement/:dataAgreementId/',
    route(TAGS, 'Delete a data agreement (its consents no longer allow anything)', {
      params: AgreementId,
      response: { 200: RevisionOnly },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation');
      const r = revisionJson(await agreements.remove(scopeOf(c), idParam(req, 'dataAgreementId', 'Data agreement')));
      return { ...r, revision: r };
    },
  );
  app.get(
    '/config/data-agreement/:dataAgreementId/revisions/',
    route(TAGS, "A data agreement's revisions, oldest first", {
      params: AgreementId,
      querystring: S.Paging,
      response: { 200: o({ dataAgreement: S.DataAgreement, revisions: Type.Array(S.Revision), pagination: S.Pagination }) },
    }),
    async (req) => {
      const c = readers(req);
      const { dataAgreement } = await agreementRead(req);
      const { offset, limit } = paging(req);
      const { rows, total } = await agreements.revisions(c.organisationId, dataAgreement.id, offset, limit);
      return { dataAgreement, revisions: rows.map(revisionJson), pagination: paginationJson(total, offset, limit) };
    },
  );
  app.get(
    '/config/data-agreements/',
    route(TAGS, "The organisation's data agreements (as dataAgreements, and as the spec's dataAgreement)", {
      querystring: S.Paging,
      response: {
        200: o({ dataAgreements: Type.Array(S.DataAgreement), dataAgreement: Type.Array(S.DataAgreement), pagination: S.Pagination }),
      },
    }),
    async (req) => {
      const c = readers(req);
      const { offset, limit } = paging(req);
      const list = await agreementList(d, c.organisationId, offset, limit, false);
      return { dataAgreements: list.items, dataAgreement: list.items, pagination: list.pagination };
    },
  );

  // Individuals (the same under /service, where they may also be updated)
  for (const base of ['/config', '/service']) {
    const tags = TAGS;
    app.post(
      `${base}/individual/`,
      route(tags, 'Create an individual', { body: S.body('individual', S.Individual), response: { 200: o({ individual: S.Individual }) } }),
      async (req) => {
        const c = requireKind(req, 'organisation');
        return { individual: individualJson(await d.records.createIndividual(c.organisationId, individualInput(req.body))) };
      },
    );
    app.get(
      `${base}/individual/:individualId/`,
      route(tags, 'Read an individual', { params: IndividualId, response: { 200: o({ individual: S.Individual }) } }),
      async (req) => {
        const c = caller(req);
        const id = idParam(req, 'individualId', 'Individual');
        if (c.kind === 'individual') {
          const own = await individualOf(req, d);
          if (!own || own.id !== id) throw notFound('Individual', id);
          return { individual: individualJson(own) };
        }
        requireKind(req, 'organisation');
        const i = await store.individual(db, c.organisationId, id);
        if (!i) throw notFound('Individual', id);
        return { individual: individualJson(i) };
      },
    );
    app.get(
      `${base}/individuals/`,
      route(tags, "The organisation's individuals", {
        querystring: S.Paging,
        response: { 200: o({ individuals: Type.Array(S.Individual), pagination: S.Pagination }) },
      }),
      async (req) => {
        const c = requireKind(req, 'organisation');
        const { offset, limit } = paging(req);
        const { rows, total } = await store.individuals(db, c.organisationId, offset, limit);
        return { individuals: rows.map(individualJson), pagination: paginationJson(total, offset, limit) };
      },
    );
  }
  app.put(
    '/service/individual/:individualId/',
    route(TAGS, 'Update an individual', {
      params: IndividualId,
      body: S.body('individual', S.Individual),
      response: { 200: o({ individual: S.Individual }) },
    }),
    async (req) => {
      const c = requireKind(req, 'organisation');
      return {
        individual: individualJson(
          await d.records.updateIndividual(c.organisationId, idParam(req, 'individualId', 'Individual'), individualInput(req.body)),
        ),
      };
    },
  );
}

/** A page of an organisation's agreements (all, or only live ones), with their policies. */
export async function agreementList(d: ApiDeps, organisationId: string, offset: number, limit: number, live: boolean) {
  const { rows, total } = await store.agreements(d.ctx.db, { organisationId, live }, offset, limit);
  const policies = new Map<string, PolicyRow | null>();
  for (const a of rows)
    if (a.policy_id && !policies.has(a.policy_id)) policies.set(a.policy_id, await store.policy(d.ctx.db, null, a.policy_id));
  return {
    items: rows.map((a) => agreementJson(a, a.policy_id ? (policies.get(a.policy_id) ?? null) : null)),
    pagination: paginationJson(total, offset, limit),
  };
}
