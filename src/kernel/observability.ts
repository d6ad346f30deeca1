// /health (the process is up), /ready (the database answers), /metrics (Prometheus: only to
// the addresses allowed, or with the bearer token) and request metrics; the OpenAPI document at /openapi.json (its pages: src/modules/site).
import { BlockList, isIPv4 } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import { Registry, collectDefaultMetrics, Histogram } from 'prom-client';
import type { Db } from './db.js';
import { safeEqual } from './crypto.js';

/** Addresses and CIDRs → a check of a request's client address (req.ip, which follows TRUST_PROXY). */
export function addressCheck(list: string[]): (ip: string) => boolean {
  const allowed = new BlockList();
  for (const entry of list) {
    const [ip, bits] = entry.split('/');
    const type = isIPv4(ip) ? 'ipv4' : 'ipv6';
    if (bits === undefined) allowed.addAddress(ip, type);
    else allowed.addSubnet(ip, Number(bits), type);
  }
  return (raw) => {
    const ip = raw.startsWith('::ffff:') && isIPv4(raw.slice(7)) ? raw.slice(7) : raw; // IPv4 over an IPv6 socket
    return allowed.check(ip, isIPv4(ip) ? 'ipv4' : 'ipv6');
  };
}

export async function installObservability(
  app: FastifyInstance,
  db: Db,
  opts: { publicUrl: string; version: string; metrics: { allow: string[]; token: string | undefined } },
) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  // Each (method, route, status) series is looked up once, not hashed from its labels on every
  // response; a callback hook, as it runs on every response.
  const series = new Map<string, { observe(v: number): void }>();
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const k = `${req.method} ${reply.statusCode} ${route}`;
    let s = series.get(k);
    if (!s) series.set(k, (s = duration.labels({ method: req.method, route, status: String(reply.statusCode) })));
    s.observe(reply.elapsedTime / 1000);
    done();
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
  // Metrics say a lot about a deployment (routes, traffic, memory): not for the public.
  const allowed = addressCheck(opts.metrics.allow);
  const bearer = (req: FastifyRequest) => /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  app.get('/metrics', { config: { api: true } }, async (req, reply) => {
    const token = bearer(req);
    const byToken = !!opts.metrics.token && !!token && safeEqual(token, opts.metrics.token);
    if (!byToken && !allowed(req.ip)) {
      if (opts.metrics.token) reply.header('www-authenticate', 'Bearer realm="metrics"');
      return reply
        .status(opts.metrics.token ? 401 : 403)
        .type('text/plain; charset=utf-8')
        .send('Metrics are served only to the addresses in METRICS_ALLOW, or with the bearer token in METRICS_TOKEN.\n');
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });

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
          // OFREP's API key header (experiments).
          ApiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
    hideUntagged: true,
  });
  app.get('/openapi.json', { config: { api: true } }, async () => app.swagger());
  return { registry };
}
