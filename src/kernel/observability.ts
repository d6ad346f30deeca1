// /health (the process is up), /ready (the database answers), /metrics (Prometheus)
// and request metrics; the OpenAPI document at /openapi.json (its pages: src/modules/site).
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { Registry, collectDefaultMetrics, Histogram } from 'prom-client';
import type { Db } from './db.js';

export async function installObservability(app: FastifyInstance, db: Db, opts: { publicUrl: string; version: string }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    duration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.get('/health', { config: { api: true } }, async () => ({ status: 'ok' }));
  app.get('/ready', { config: { api: true } }, async (_req, reply) => {
    try {
      await db.query('SELECT 1');
      return { status: 'ok', database: db.kind };
    } catch {
      return reply.status(503).send({ status: 'unavailable', database: db.kind });
    }
  });
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Cityscape',
        version: opts.version,
        description: 'Shared digital civic infrastructure: every platform API in one document.',
      },
      servers: [{ url: opts.publicUrl }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer' },
          // The GovStack Consent reference implementation's scheme: `Authorization: ApiKey <key>`.
          consentApiKey: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'ApiKey <consent API key>' },
        },
      },
    },
    hideUntagged: true,
  });
  app.get('/openapi.json', { config: { api: true } }, async () => app.swagger());
  return { registry };
}
