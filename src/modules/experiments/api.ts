// The flag management API: a service's whole flagd document per environment.
// PUT /experiments/v1/services/{slug}/flags replaces it (validated against flagd's schema; a
// wrong one is refused with the JSON pointer of each problem), GET returns it with its ETag,
// GET …/flags/revisions lists its history. Only that service's `experiments` key may do either.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFound } from '../../kernel/errors.js';
import type { Auth, Caller } from './auth.js';
import type { FlagStore } from './flags.js';
import { ApiError, EnvQuery, FlagDocumentBody, Revision, SavedDocument, SlugParams } from './schema.js';
import { Type } from '@sinclair/typebox';

export const API_PREFIX = '/experiments/v1';

const route = (summary: string, schema: Record<string, unknown>) => ({
  config: { api: true, csrf: false },
  schema: {
    tags: ['experiments'],
    summary,
    security: [{ bearerAuth: [] as string[] }],
    ...schema,
    response: { ...((schema.response as object) ?? {}), 400: ApiError, 401: ApiError, 404: ApiError },
  },
});

export function flagsApi(app: FastifyInstance, deps: { auth: Auth; flags: FlagStore }) {
  const { auth, flags } = deps;

  /** The caller, who must hold a key of the service named in the path (another service's key sees nothing). */
  async function owner(req: FastifyRequest): Promise<Caller> {
    const c = await auth.caller(req);
    if ((req.params as { slug: string }).slug !== c.slug)
      throw new NotFound('No flags for that service with this key', 'service_not_found');
    return c;
  }

  app.put(
    `${API_PREFIX}/services/:slug/flags`,
    route('Replace the service’s flag document (flagd format) for the key’s environment', {
      params: SlugParams,
      querystring: EnvQuery,
      body: FlagDocumentBody,
      response: { 200: SavedDocument },
    }),
    async (req) => {
      const c = await owner(req);
      const saved = await flags.save(
        `apikey:${c.keyId}`,
        { id: c.serviceId, organisationId: c.organisationId },
        c.environment,
        req.body,
        'Replaced through the API',
      );
      return { service: c.slug, environment: c.environment, version: saved.version, etag: saved.etag, flags: [...saved.set.flags.keys()] };
    },
  );

  app.get(
    `${API_PREFIX}/services/:slug/flags`,
    route('The service’s flag document for the key’s environment', {
      params: SlugParams,
      querystring: EnvQuery,
      response: { 200: FlagDocumentBody },
    }),
    async (req, reply) => {
      const c = await owner(req);
      const loaded = flags.get(c.serviceId, c.environment);
      if (loaded) reply.header('etag', loaded.etag).header('x-flags-version', String(loaded.version));
      return loaded?.set.document ?? { flags: {} };
    },
  );

  app.get(
    `${API_PREFIX}/services/:slug/flags/revisions`,
    route('Every saved version of the flag document, newest first', {
      params: SlugParams,
      querystring: EnvQuery,
      response: { 200: Type.Object({ revisions: Type.Array(Revision) }) },
    }),
    async (req) => {
      const c = await owner(req);
      const revisions = await flags.revisions(c.serviceId, c.environment);
      return { revisions: revisions.map(({ document: _d, ...r }) => r) };
    },
  );
}
