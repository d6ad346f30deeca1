// JSON routes: the published JSON Schema of definitions; the pull API a team reads its
// submissions from and acknowledges (API key for platform 'forms', scoped to its service);
// and a team's own definition (read, and publish a new version).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { BadRequest, NotFound, Unauthorised } from '../../kernel/errors.js';
import type { VerifiedKey } from '../catalogue/index.js';
import { InvalidDefinition, jsonSchema } from './definition.js';
import type { FormsService } from './service.js';
import { submissionJson, type Deliveries } from './deliveries.js';

export const API_PREFIX = '/forms/api';

export function formsApi(
  app: FastifyInstance,
  d: {
    service: FormsService;
    deliveries: Deliveries;
    verifyKey(secret: string): Promise<VerifiedKey | null>;
    serviceSlug(serviceId: string): Promise<string | null>;
    publicUrl: string;
  },
) {
  const schema = jsonSchema(d.publicUrl);
  app.get('/forms/schema/v1.json', async (_req, reply) =>
    reply.header('cache-control', 'public, max-age=3600').type('application/schema+json').send(schema),
  );

  app.register(async (api) => {
    const r = api.withTypeProvider<TypeBoxTypeProvider>();
    api.addHook('onRequest', async (req) => {
      const m = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
      const key = m ? await d.verifyKey(m[1]) : null;
      if (!key?.serviceId) throw new Unauthorised('Give a forms API key of the service as "Authorization: Bearer <key>"');
      (req as FastifyRequest & { formsKey?: VerifiedKey }).formsKey = key;
    });
    const serviceOf = (req: FastifyRequest) => (req as FastifyRequest & { formsKey?: VerifiedKey }).formsKey!.serviceId!;
    const tags = ['Forms'];

    r.get(
      `${API_PREFIX}/v1/submissions`,
      {
        schema: {
          tags,
          summary: 'Submissions not yet acknowledged, oldest first',
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }),
        },
      },
      async (req) => {
        const rows = await d.deliveries.pending(serviceOf(req), req.query.limit ?? 100);
        const out = [];
        for (const s of rows) out.push(submissionJson(s, await d.service.filesOf(s.id), d.publicUrl));
        return { submissions: out };
      },
    );
    r.get(
      `${API_PREFIX}/v1/submissions/:id`,
      { schema: { tags, summary: 'One submission', params: Type.Object({ id: Type.String({ format: 'uuid' }) }) } },
      async (req) => {
        const s = await d.service.submission(req.params.id, serviceOf(req));
        if (!s) throw new NotFound('No such submission');
        return submissionJson(s, await d.service.filesOf(s.id), d.publicUrl);
      },
    );
    r.post(
      `${API_PREFIX}/v1/submissions/:id/acknowledge`,
      {
        schema: {
          tags,
          summary: 'Acknowledge a submission: it leaves the list of pending ones',
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        },
      },
      async (req) => {
        const out = await d.deliveries.acknowledge(serviceOf(req), req.params.id);
        if (out === 'unknown') throw new NotFound('No such submission for this service');
        return { id: req.params.id, acknowledged: true, already: out === 'already' };
      },
    );
    r.get(
      `${API_PREFIX}/v1/submissions/:id/files/:file`,
      {
        schema: {
          tags,
          summary: 'A file uploaded with a submission',
          params: Type.Object({ id: Type.String({ format: 'uuid' }), file: Type.String({ format: 'uuid' }) }),
        },
      },
      async (req, reply) => {
        const f = await d.deliveries.file(serviceOf(req), req.params.id, req.params.file);
        if (!f) throw new NotFound('No such file');
        return reply
          .type(f.type)
          .header('content-disposition', `attachment; filename="${f.name.replace(/[^\w.-]/g, '_')}"`)
          .header('x-content-type-options', 'nosniff')
          .send(Buffer.from(f.data));
      },
    );
    r.get(
      `${API_PREFIX}/v1/definition`,
      { schema: { tags, summary: "The service's form definition (live, or the newest draft)" } },
      async (req) => {
        const form = await d.service.byService(serviceOf(req));
        const v = form ? await d.service.version(form.id, form.live_version ?? form.draft_version ?? 0) : null;
        if (!form || !v) throw new NotFound('This service has no form yet');
        return { version: v.version, live: form.live_version === v.version, definition: v.definition };
      },
    );
    r.post(
      `${API_PREFIX}/v1/definition`,
      {
        schema: {
          tags,
          summary: 'Save a new version of the form (a draft, or live with ?live=true); refused with the path of each error',
          querystring: Type.Object({ live: Type.Optional(Type.Boolean()) }),
          body: Type.Object({}, { additionalProperties: true }),
        },
      },
      async (req, reply) => {
        const serviceId = serviceOf(req);
        const form = await d.service.byService(serviceId);
        const slug = form?.slug ?? (await d.serviceSlug(serviceId));
        if (!slug) throw new NotFound('No such service');
        try {
          const saved = await d.service.save({ id: serviceId, slug }, req.body, {
            by: `api-key:${(req as FastifyRequest & { formsKey?: VerifiedKey }).formsKey!.keyId}`,
            live: req.query.live === true,
          });
          return reply.status(201).send({ version: saved.version, live: req.query.live === true, url: `${d.publicUrl}/forms/${slug}` });
        } catch (e) {
          if (e instanceof InvalidDefinition)
            throw new BadRequest(
              e.message,
              e.errors.map((x) => ({ field: x.path || '/', message: x.message })),
            );
          throw e;
        }
      },
    );
  });
}
