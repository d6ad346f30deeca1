// The catalogue's JSON API at /api/catalogue/v1: public reads as open data; writes need a
// catalogue admin API key (Authorization: Bearer …). Each route has one schema.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { createCache } from '../../kernel/cache.js';
import { Type } from '@sinclair/typebox';
import { Unauthorised } from '../../kernel/errors.js';
import type { CatalogueService, Actor } from './service.js';
import {
  ApiKey,
  Decision,
  DecisionInput,
  ErrorBody,
  FeedbackInput,
  KEY_PLATFORMS,
  KEY_TYPES,
  OfficeHolder,
  OfficeHolderInput,
  ORG_KINDS,
  Organisation,
  OrganisationInput,
  PHASES,
  RoadmapInput,
  RoadmapItem,
  Satisfaction,
  Service,
  ServiceDetail,
  ServiceInput,
  ServicePatch,
  Team,
  TeamInput,
} from './schema.js';

export const API_PREFIX = '/api/catalogue/v1';
const tags = ['catalogue'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const Slug = Type.Object({ slug: Type.String({ maxLength: 80 }) });
const lit = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));
const security = [{ bearerAuth: [] }];

export function catalogueApi(parent: FastifyInstance, catalogue: CatalogueService) {
  // Each route's schema validates the request, types its handler and documents it in /openapi.json.
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  /** Writes need a catalogue admin key. */
  async function adminActor(req: FastifyRequest): Promise<Actor> {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!token) throw new Unauthorised('Send a catalogue admin API key as "Authorization: Bearer <key>"');
    const key = await catalogue.verifyApiKey(token, 'catalogue');
    if (!key || key.type !== 'admin')
      throw new Unauthorised('The API key is not valid, has been revoked, or is not a catalogue admin key', 'invalid_api_key');
    return { kind: 'apikey', id: key.keyId };
  }
  const write = { config: { api: true }, bodyLimit: 64 * 1024 };

  // Open-data reads are served as cached bytes (serialised by the route's own response
  // schema), cleared whenever the catalogue changes in any process.
  const bodies = createCache<Buffer>({ ttlMs: 5000, max: 500 });
  catalogue.onChange(() => bodies.clear());
  const cachedJson = async (req: FastifyRequest, reply: FastifyReply, compute: () => Promise<unknown>) => {
    const body = await bodies.wrap(req.url, async () => Buffer.from(reply.serialize(await compute()) as string));
    return reply.type('application/json; charset=utf-8').send(body);
  };

  app.get(
    `${API_PREFIX}/organisations`,
    {
      config: { api: true },
      schema: {
        tags,
        summary: 'List organisations',
        querystring: Type.Object({ kind: Type.Optional(lit(ORG_KINDS)) }),
        response: { 200: Type.Object({ organisations: Type.Array(Organisation) }), 400: ErrorBody },
      },
    },
    (req, reply) => cachedJson(req, reply, async () => ({ organisations: await catalogue.listOrganisations(req.query.kind) })),
  );

  app.get(
    `${API_PREFIX}/organisations/:slug`,
    {
      config: { api: true },
      schema: {
        tags,
        summary: 'An organisation with its teams and services',
        params: Slug,
        response: {
          200: Type.Object({ organisation: Organisation, teams: Type.Array(Team), services: Type.Array(Service) }),
          404: ErrorBody,
        },
      },
    },
    (req, reply) =>
      cachedJson(req, reply, async () => {
        const { slug } = req.params;
        const organisation = await catalogue.getOrganisation(slug);
        const [teams, services] = await Promise.all([catalogue.listTeams(organisation.id), catalogue.listServices({ organisation: slug })]);
        return { organisation, teams, services };
      }),
  );

  app.get(
    `${API_PREFIX}/services`,
    {
      config: { api: true },
      schema: {
        tags,
        summary: 'Find services',
        querystring: Type.Object({
          q: Type.Optional(Type.String({ maxLength: 200 })),
          organisation: Type.Optional(Type.String({ maxLength: 80 })),
          organisation_kind: Type.Optional(lit(ORG_KINDS)),
          phase: Type.Optional(lit(PHASES)),
        }),
        response: { 200: Type.Object({ services: Type.Array(Service) }), 400: ErrorBody, 404: ErrorBody },
      },
    },
    (req, reply) =>
      cachedJson(req, reply, async () => {
        const q = req.query;
        return {
          services: await catalogue.listServices({ q: q.q, organisation: q.organisation, orgKind: q.organisation_kind, phase: q.phase }),
        };
      }),
  );

  app.get(
    `${API_PREFIX}/services/:slug`,
    {
      config: { api: true },
      schema: {
        tags,
        summary: 'A service: who is accountable, decisions, roadmap, user satisfaction',
        params: Slug,
        response: { 200: ServiceDetail, 404: ErrorBody },
      },
    },
    (req, reply) => cachedJson(req, reply, () => catalogue.getServiceDetail(req.params.slug)),
  );

  app.get(
    `${API_PREFIX}/services/:slug/satisfaction`,
    {
      config: { api: true },
      schema: {
        tags,
        summary: 'User satisfaction: (mean rating − 1) / 4 over the last N days',
        params: Slug,
        querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, default: 30 })) }),
        response: { 200: Satisfaction, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const s = await catalogue.getService(req.params.slug);
      return catalogue.satisfaction(s.id, req.query.days ?? 30);
    },
  );

  app.post(
    `${API_PREFIX}/services/:slug/feedback`,
    {
      ...write,
      config: { api: true, rateLimit: { max: 30, timeWindow: '1 minute' } },
      schema: {
        tags,
        summary: 'Give feedback on a service (public)',
        params: Slug,
        body: FeedbackInput,
        response: { 201: Type.Object({ received: Type.Boolean() }), ...errors },
      },
    },
    async (req, reply) => {
      await catalogue.submitFeedback(req.params.slug, req.body);
      return reply.status(201).send({ received: true });
    },
  );

  // Writes (catalogue admin key)
  app.post(
    `${API_PREFIX}/organisations`,
    {
      ...write,
      schema: { tags, security, summary: 'Create an organisation', body: OrganisationInput, response: { 201: Organisation, ...errors } },
    },
    async (req, reply) => reply.status(201).send(await catalogue.createOrganisation(await adminActor(req), req.body)),
  );

  app.patch(
    `${API_PREFIX}/organisations/:slug`,
    {
      ...write,
      schema: {
        tags,
        security,
        summary: 'Change an organisation',
        params: Slug,
        body: Type.Omit(OrganisationInput, ['slug']),
        response: { 200: Organisation, ...errors },
      },
    },
    async (req) => catalogue.updateOrganisation(await adminActor(req), req.params.slug, req.body),
  );

  app.post(
    `${API_PREFIX}/organisations/:slug/teams`,
    {
      ...write,
      schema: {
        tags,
        security,
        summary: 'Add a team to an organisation',
        params: Slug,
        body: TeamInput,
        response: { 201: Team, ...errors },
      },
    },
    async (req, reply) => reply.status(201).send(await catalogue.createTeam(await adminActor(req), req.params.slug, req.body)),
  );

  app.post(
    `${API_PREFIX}/services`,
    {
      ...write,
      schema: { tags, security, summary: 'Create a service', body: ServiceInput, response: { 201: Service, ...errors } },
    },
    async (req, reply) => reply.status(201).send(await catalogue.createService(await adminActor(req), req.body)),
  );

  app.patch(
    `${API_PREFIX}/services/:slug`,
    {
      ...write,
      schema: { tags, security, summary: 'Change a service', params: Slug, body: ServicePatch, response: { 200: Service, ...errors } },
    },
    async (req) => catalogue.updateService(await adminActor(req), req.params.slug, req.body),
  );

  app.put(
    `${API_PREFIX}/services/:slug/office-holder`,
    {
      ...write,
      schema: {
        tags,
        security,
        summary: 'Set the accountable office-holder (the previous one is kept as history)',
        params: Slug,
        body: OfficeHolderInput,
        response: { 200: Type.Object({ office_holders: Type.Array(OfficeHolder) }), ...errors },
      },
    },
    async (req) => ({
      office_holders: await catalogue.setOfficeHolder(await adminActor(req), req.params.slug, req.body),
    }),
  );

  app.post(
    `${API_PREFIX}/services/:slug/decisions`,
    {
      ...write,
      schema: { tags, security, summary: 'Record a decision', params: Slug, body: DecisionInput, response: { 201: Decision, ...errors } },
    },
    async (req, reply) => reply.status(201).send(await catalogue.addDecision(await adminActor(req), req.params.slug, req.body)),
  );

  app.post(
    `${API_PREFIX}/services/:slug/roadmap`,
    {
      ...write,
      schema: {
        tags,
        security,
        summary: 'Add a roadmap item',
        params: Slug,
        body: RoadmapInput,
        response: { 201: RoadmapItem, ...errors },
      },
    },
    async (req, reply) => reply.status(201).send(await catalogue.saveRoadmapItem(await adminActor(req), req.params.slug, null, req.body)),
  );

  app.put(
    `${API_PREFIX}/services/:slug/roadmap/:id`,
    {
      ...write,
      schema: {
        tags,
        security,
        summary: 'Change a roadmap item',
        params: Type.Object({ slug: Type.String(), id: Type.String({ format: 'uuid' }) }),
        body: RoadmapInput,
        response: { 200: RoadmapItem, ...errors },
      },
    },
    async (req) => catalogue.saveRoadmapItem(await adminActor(req), req.params.slug, req.params.id, req.body),
  );

  app.get(
    `${API_PREFIX}/services/:slug/api-keys`,
    {
      config: { api: true },
      schema: {
        tags,
        security,
        summary: "A service's API keys (never their secrets)",
        params: Slug,
        response: { 200: Type.Object({ api_keys: Type.Array(ApiKey) }), ...errors },
      },
    },
    async (req) => {
      await adminActor(req);
      const s = await catalogue.getService(req.params.slug);
      return { api_keys: await catalogue.listApiKeys(s.id) };
    },
  );

  app.post(
    `${API_PREFIX}/services/:slug/api-keys`,
    {
      ...write,
      schema: {
        tags,
        security,
        summary: 'Create an API key for a service and platform; the secret is in this response only',
        params: Slug,
        body: Type.Object(
          { platform: lit(KEY_PLATFORMS), type: lit(KEY_TYPES), name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ api_key: ApiKey, secret: Type.String() }), ...errors },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const { key, secret } = await catalogue.createApiKey(await adminActor(req), { serviceSlug: req.params.slug, ...body });
      return reply.status(201).send({ api_key: key, secret });
    },
  );

  app.delete(
    `${API_PREFIX}/api-keys/:id`,
    {
      config: { api: true },
      schema: {
        tags,
        security,
        summary: 'Revoke an API key',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: ApiKey, ...errors },
      },
    },
    async (req) => catalogue.revokeApiKey(await adminActor(req), req.params.id),
  );
}
