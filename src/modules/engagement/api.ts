// The engagement JSON API at /engagement/v1: consultations as open data (no personal data:
// participants are numbers within a consultation), and writes with an `engagement` API key
// of the service (Authorization: Bearer …): open a consultation, publish the response. A key
// acts only for its own service. Each route has one TypeBox schema (validation, types, OpenAPI).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Forbidden, NotFound, Unauthorised } from '../../kernel/errors.js';
import type { Actor, CatalogueService } from '../catalogue/index.js';
import { isUuid, type EngagementService } from './service.js';
import type { Responses } from './service-response.js';
import type { Conversations } from './service-conversation.js';
import { PolisFormatError } from './polis.js';
import { BadRequest } from '../../kernel/errors.js';
import { commentJson, consultationJson } from './present.js';
import { ConsultationDetailOut, ConsultationInput, ConsultationOut, ErrorBody, OptionOut, ResponseInput } from './schema.js';

export const API_PREFIX = '/engagement/v1';
const tags = ['engagement'];
const security = [{ bearerAuth: [] }];

export function engagementApi(
  app: FastifyInstance,
  svc: EngagementService,
  responses: Responses,
  conv: Conversations,
  catalogue: CatalogueService,
  publicUrl: string,
) {
  async function keyActor(req: FastifyRequest): Promise<{ actor: Actor; serviceId: string }> {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!token) throw new Unauthorised('Send an engagement API key as "Authorization: Bearer <key>"');
    const key = await catalogue.verifyApiKey(token, 'engagement' as never);
    if (!key || !key.serviceId) throw new Unauthorised('The API key is not valid or has been revoked', 'invalid_api_key');
    return { actor: { kind: 'apikey', id: key.keyId }, serviceId: key.serviceId };
  }
  const slugs = async () => new Map((await catalogue.listServices()).map((s) => [s.id, s.slug]));

  async function detail(id: string) {
    if (!isUuid(id)) throw new NotFound('No such consultation', 'consultation_not_found');
    const c = await svc.get(id);
    const [options, comments, counts, names] = await Promise.all([svc.options(c.id), svc.comments(c.id), svc.counts(c.id), slugs()]);
    return {
      ...consultationJson(c, names.get(c.service_id) ?? '', publicUrl, counts.participants),
      options: options.map((o) => ({ id: o.id, label: o.label, label_cy: o.label_cy, support: o.support, oppose: o.oppose })),
      comments: comments.map(commentJson),
    };
  }

  app.get(
    `${API_PREFIX}/consultations`,
    {
      config: { api: true },
      schema: {
        tags,
        summary: 'List consultations (open data, OGL)',
        querystring: Type.Object({ service: Type.Optional(Type.String({ maxLength: 80 })) }),
        response: { 200: Type.Object({ consultations: Type.Array(ConsultationOut) }), 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const slug = (req.query as { service?: string }).service;
      const serviceIds = slug ? [(await catalogue.getService(slug)).id] : undefined;
      const [all, names] = await Promise.all([svc.list({ serviceIds }), slugs()]);
      const consultations = await Promise.all(
        all.map(async (c) => consultationJson(c, names.get(c.service_id) ?? '', publicUrl, (await svc.counts(c.id)).participants)),
      );
      return { consultations };
    },
  );

  app.get(
    `${API_PREFIX}/consultations/:id`,
    {
      config: { api: true },
      schema: {
        tags,
        summary: 'A consultation with its options and comments (hidden comments show only the reason)',
        params: Type.Object({ id: Type.String({ maxLength: 40 }) }),
        response: { 200: ConsultationDetailOut, 404: ErrorBody },
      },
    },
    async (req) => detail((req.params as { id: string }).id),
  );

  app.post(
    `${API_PREFIX}/consultations`,
    {
      config: { api: true },
      bodyLimit: 128 * 1024,
      schema: {
        tags,
        summary: "Open a consultation on the key's service",
        security,
        body: ConsultationInput,
        response: { 201: ConsultationDetailOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (req, reply) => {
      const { actor, serviceId } = await keyActor(req);
      const s = await catalogue.getServiceById(serviceId);
      if (!s) throw new Forbidden();
      const c = await svc.create(actor, s.slug, req.body as ConsultationInput);
      return reply.status(201).send(await detail(c.id));
    },
  );

  app.post(
    `${API_PREFIX}/consultations/:id/response`,
    {
      config: { api: true },
      bodyLimit: 64 * 1024,
      schema: {
        tags,
        summary: '"You said, we did": publish the response, linked to the decision it led to (recorded in the decision log) or why not',
        security,
        params: Type.Object({ id: Type.String({ maxLength: 40 }) }),
        body: ResponseInput,
        response: { 200: ConsultationOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => {
      const { actor, serviceId } = await keyActor(req);
      const { id } = req.params as { id: string };
      if (!isUuid(id)) throw new NotFound('No such consultation', 'consultation_not_found');
      const c = await svc.get(id);
      if (c.service_id !== serviceId) throw new NotFound('No such consultation', 'consultation_not_found'); // another service's: not even its existence
      await responses.respond(actor, c.id, req.body as never);
      const after = await svc.get(c.id);
      return consultationJson(after, (await slugs()).get(after.service_id) ?? '', publicUrl, (await svc.counts(c.id)).participants);
    },
  );
  app.post(
    `${API_PREFIX}/conversations/import`,
    {
      config: { api: true },
      bodyLimit: 50 * 1024 * 1024,
      schema: {
        tags,
        summary: "Import a conversation from Pol.is's open data export (comments.csv, and votes.csv or participants-votes.csv)",
        security,
        body: Type.Object(
          {
            title: Type.String({ minLength: 1, maxLength: 200 }),
            question: Type.String({ minLength: 1, maxLength: 500 }),
            comments_csv: Type.String({ minLength: 1 }),
            votes_csv: Type.Optional(Type.String()),
            participants_votes_csv: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            id: Type.String(),
            statements: Type.Integer(),
            votes: Type.Integer(),
            participants: Type.Integer(),
            url: Type.String(),
          }),
          400: ErrorBody,
          401: ErrorBody,
        },
      },
    },
    async (req, reply) => {
      const { actor, serviceId } = await keyActor(req);
      const s = await catalogue.getServiceById(serviceId);
      if (!s) throw new Forbidden();
      const b = req.body as { title: string; question: string; comments_csv: string; votes_csv?: string; participants_votes_csv?: string };
      try {
        const r = await conv.importPolis(actor, s.slug, b, {
          comments: b.comments_csv,
          votes: b.votes_csv,
          participantsVotes: b.participants_votes_csv,
        });
        return reply.status(201).send({ ...r, url: `${publicUrl}/conversations/${r.id}` });
      } catch (err) {
        if (err instanceof PolisFormatError)
          throw new BadRequest(err.message, [{ field: err.file, message: err.message }], 'invalid_polis_export');
        throw err;
      }
    },
  );
  void OptionOut;
}
