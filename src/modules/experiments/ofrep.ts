// OFREP at /ofrep/v1 (specs/ofrep/openapi.yaml): single evaluation, bulk evaluation with
// ETag/If-None-Match → 304, the provider configuration, and the change event stream of
// event-streams.yaml. Callers authenticate with their service's `experiments` key (Bearer or
// X-API-Key); the key's type picks the environment. Errors answer in OFREP's shapes.
// CORS is open (keys, never cookies) so browser apps on the service's own site can call it.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { HttpError } from '../../kernel/errors.js';
import type { Auth, Caller } from './auth.js';
import type { FlagStore } from './flags.js';
import type { Resolution } from './flagd.js';
import type { Environment } from './store.js';
import { OfrepError } from './errors.js';
import type { Exposures } from './exposures.js';
import {
  BulkResponseLoose,
  Configuration,
  EvaluationFailure,
  EvaluationRequest,
  EvaluationSuccess,
  EventsQuery,
  FlagKeyParams,
  GeneralError,
} from './schema.js';

export const OFREP_PREFIX = '/ofrep/v1';
const PER_SECOND = 20_000; // evaluations per key per second before 429
const HEARTBEAT_MS = 25_000;
const CHANNEL_TTL_S = 24 * 3600;

const route = (summary: string, schema: Record<string, unknown>): RouteShorthandOptions => ({
  schema: {
    tags: ['ofrep'],
    summary,
    security: [{ ApiKeyAuth: [] as string[] }, { bearerAuth: [] as string[] }] as Array<Record<string, string[]>>,
    ...schema,
    response: { ...((schema.response as object) ?? {}), 401: GeneralError, 429: GeneralError, 500: GeneralError },
  } as RouteShorthandOptions['schema'],
  config: { api: true, csrf: false, rateLimit: false } as RouteShorthandOptions['config'],
});

/** The OFREP body of one resolution: success (value, reason, variant, metadata) or failure. */
export function present(r: Resolution): Record<string, unknown> {
  const metadata = Object.keys(r.metadata).length ? r.metadata : undefined;
  if (r.errorCode) return { key: r.key, errorCode: r.errorCode, errorDetails: r.errorDetails, ...(metadata ? { metadata } : {}) };
  return { key: r.key, value: r.value, reason: r.reason, variant: r.variant, ...(metadata ? { metadata } : {}) };
}

function contextOf(body: unknown): Record<string, unknown> {
  const ctx = (body as { context?: unknown } | undefined)?.context;
  if (ctx === undefined || ctx === null) return {};
  if (typeof ctx !== 'object' || Array.isArray(ctx)) throw new OfrepError(400, 'INVALID_CONTEXT', 'context must be a JSON object');
  const t = (ctx as { targetingKey?: unknown }).targetingKey;
  if (t !== undefined && typeof t !== 'string') throw new OfrepError(400, 'INVALID_CONTEXT', 'context.targetingKey must be a string');
  return ctx as Record<string, unknown>;
}

export function ofrepApi(app: FastifyInstance, deps: { auth: Auth; flags: FlagStore; exposures: Exposures; secret: string }) {
  const { auth, flags, exposures } = deps;
  let second = 0;
  let counts = new Map<string, number>();
  const streams = new Set<() => void>();
  app.addHook('onClose', async () => {
    for (const end of streams) end();
  });

  const sign = (text: string) => createHmac('sha256', deps.secret).update(`ofrep-events|${text}`).digest('base64url').slice(0, 32);
  /** An opaque, signed channel name for one service's environment (EventSource cannot send headers). */
  const channels = new Map<string, { token: string; until: number }>();
  function channel(c: Caller): string {
    const id = `${c.serviceId}|${c.environment}`;
    const hit = channels.get(id);
    if (hit && hit.until > Date.now()) return hit.token;
    const token = newChannel(c);
    if (channels.size > 10_000) channels.clear();
    channels.set(id, { token, until: Date.now() + 3600_000 });
    return token;
  }
  function newChannel(c: Caller): string {
    const body = Buffer.from(`${c.serviceId}|${c.environment}|${Math.floor(Date.now() / 1000) + CHANNEL_TTL_S}`).toString('base64url');
    return `${body}.${sign(body)}`;
  }
  function openChannel(token: string): { serviceId: string; environment: Environment } | null {
    const [body, mac] = token.split('.');
    if (!body || !mac || mac.length !== 32) return null;
    const want = Buffer.from(sign(body));
    if (!timingSafeEqual(want, Buffer.from(mac))) return null;
    const [serviceId, environment, until] = Buffer.from(body, 'base64url').toString('utf8').split('|');
    if ((environment !== 'test' && environment !== 'live') || !(Number(until) > Date.now() / 1000)) return null;
    return { serviceId, environment };
  }

  async function caller(req: FastifyRequest): Promise<Caller> {
    const c = await auth.caller(req);
    const now = Math.floor(Date.now() / 1000);
    if (now !== second) [second, counts] = [now, new Map()];
    const n = (counts.get(c.keyId) ?? 0) + 1;
    counts.set(c.keyId, n);
    if (n > PER_SECOND)
      throw Object.assign(new HttpError(429, 'rate_limited', 'Too many evaluations: slow down'), { headers: { 'retry-after': '1' } });
    return c;
  }

  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith(OFREP_PREFIX)) return;
    reply.header('access-control-allow-origin', '*');
    reply.header('access-control-expose-headers', 'ETag');
  });
  app.options(`${OFREP_PREFIX}/*`, { config: { csrf: false, rateLimit: false }, schema: { hide: true } }, async (_req, reply) =>
    reply
      .header('access-control-allow-methods', 'GET, POST, OPTIONS')
      .header('access-control-allow-headers', 'Authorization, X-API-Key, Content-Type, If-None-Match')
      .header('access-control-max-age', '600')
      .code(204)
      .send(),
  );

  app.post(
    `${OFREP_PREFIX}/evaluate/flags/:key`,
    route('Evaluate one flag (server-side providers)', {
      params: FlagKeyParams,
      body: EvaluationRequest,
      response: { 200: EvaluationSuccess, 400: EvaluationFailure, 404: EvaluationFailure },
    }),
    async (req, reply) => {
      const c = await caller(req);
      const context = contextOf(req.body);
      const r = flags.evaluate(c.serviceId, c.environment, (req.params as { key: string }).key, context);
      if (r.errorCode) return reply.code(r.errorCode === 'FLAG_NOT_FOUND' ? 404 : 400).send(present(r));
      exposures.note(c.serviceId, c.environment, r, context.targetingKey);
      return present(r);
    },
  );

  app.post(
    `${OFREP_PREFIX}/evaluate/flags`,
    route('Evaluate every flag for one context (client-side providers); ETag / If-None-Match', {
      body: EvaluationRequest,
      // The documented shape is BulkResponse; it is serialised with JSON.stringify, as a union per
      // item would make the serialiser try each branch for every flag.
      response: { 200: BulkResponseLoose, 304: { type: 'null', description: 'Not modified' }, 400: EvaluationFailure },
    }),
    async (req, reply) => {
      const c = await caller(req);
      const context = contextOf(req.body);
      const loaded = flags.get(c.serviceId, c.environment);
      const etag = `"${createHash('sha1')
        .update(`${loaded?.etag ?? 'none'}|${JSON.stringify(context)}`)
        .digest('base64url')}"`;
      reply.header('etag', etag);
      const inm = req.headers['if-none-match'];
      if (typeof inm === 'string' && inm.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`))
        return reply.code(304).send();
      const results = flags.evaluateAll(c.serviceId, c.environment, context);
      for (const r of results) if (!r.errorCode) exposures.note(c.serviceId, c.environment, r, context.targetingKey);
      const metadata = loaded?.set.metadata ?? {};
      return {
        flags: results.map(present),
        ...(Object.keys(metadata).length ? { metadata } : {}),
        eventStreams: [{ type: 'sse', endpoint: { requestUri: `${OFREP_PREFIX}/events?channel=${channel(c)}` }, inactivityDelaySec: 120 }],
      };
    },
  );

  app.get(`${OFREP_PREFIX}/configuration`, route('What this OFREP server supports', { response: { 200: Configuration } }), async (req) => {
    await caller(req);
    return {
      name: 'Cityscape experiments',
      capabilities: {
        cacheInvalidation: { polling: { enabled: true, minPollingIntervalMs: 1000 } },
        flagEvaluation: { supportedTypes: ['boolean', 'string', 'integer', 'float', 'object'] },
        eventStreams: { sse: true },
      },
    };
  });

  // The event stream (event-streams.yaml): `refetchEvaluation` whenever the document changes.
  app.get(
    `${OFREP_PREFIX}/events`,
    {
      config: { api: true, csrf: false, rateLimit: false } as RouteShorthandOptions['config'],
      schema: { tags: ['ofrep'], summary: 'Flag change notifications (SSE); the URL comes from eventStreams', querystring: EventsQuery },
    },
    async (req, reply: FastifyReply) => {
      const ch = openChannel((req.query as { channel: string }).channel);
      if (!ch) throw new HttpError(401, 'unauthorised', 'This event stream channel is unknown or has expired: re-fetch the evaluations');
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'access-control-allow-origin': '*',
      });
      const send = (version: number) => {
        const loaded = flags.get(ch.serviceId, ch.environment);
        const data = {
          type: 'refetchEvaluation',
          etag: loaded?.etag ?? '',
          lastModified: Math.floor(Date.parse(loaded?.updatedAt ?? '') / 1000) || 0,
        };
        res.write(`id: ${version}\nevent: message\ndata: ${JSON.stringify(data)}\n\n`);
      };
      res.write('retry: 2000\n\n');
      const last = Number(req.headers['last-event-id']);
      const current = flags.get(ch.serviceId, ch.environment)?.version ?? 0;
      if (Number.isFinite(last) && req.headers['last-event-id'] !== undefined && last < current) send(current);
      const off = flags.onChange((serviceId, env, version) => {
        if (serviceId === ch.serviceId && env === ch.environment) send(version);
      });
      const beat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
      beat.unref();
      const close = () => {
        clearInterval(beat);
        off();
        streams.delete(end);
      };
      const end = () => {
        close();
        res.end();
      };
      streams.add(end);
      req.raw.on('close', close);
    },
  );
}
