// Server-Sent Events: /performance/services/{slug}/live and /performance/live?services=a,b.
// Each stream sends the services' figures at once and again whenever they change, in any process
// (live.ts). Figures are a state, not a log: a client that reconnects (EventSource does, sending
// Last-Event-ID) gets the current figures straight away, so it never misses anything that matters.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { BadRequest, HttpError } from '../../kernel/errors.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { LiveHub, LiveFigures } from './live.js';

const MAX_SERVICES = 50;
const PING_MS = 20_000;

export function sseRoutes(app: FastifyInstance, catalogue: CatalogueService, hub: LiveHub, opts: { maxStreams?: number } = {}) {
  const maxStreams = opts.maxStreams ?? 10_000;
  const open = new Set<ServerResponse>();

  function stream(req: FastifyRequest, reply: FastifyReply, services: Array<{ id: string; slug: string }>) {
    if (open.size >= maxStreams) throw new HttpError(503, 'too_many_streams', 'Too many live streams are open; try again shortly');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // proxies must pass each event on at once
      'x-content-type-options': 'nosniff',
      'x-request-id': req.id,
    });
    res.write('retry: 3000\n\n');
    const slugs = new Map(services.map((s) => [s.id, s.slug]));
    let seq = 0;
    const stop = hub.watch([...slugs.keys()], (f: LiveFigures) => {
      seq += 1;
      const data = JSON.stringify({ service: slugs.get(f.serviceId), serviceId: f.serviceId, figures: f.figures, at: f.at });
      res.write(`id: ${Date.parse(f.at)}-${seq}\nevent: figures\ndata: ${data}\n\n`);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), PING_MS);
    open.add(res);
    const close = () => {
      if (!open.delete(res)) return;
      stop();
      clearInterval(ping);
    };
    req.raw.on('close', close);
    res.on('close', close);
  }

  app.get('/performance/services/:slug/live', { config: { api: true } }, async (req, reply) => {
    const s = await catalogue.getService((req.params as { slug: string }).slug);
    stream(req, reply, [{ id: s.id, slug: s.slug }]);
  });

  app.get('/performance/live', { config: { api: true } }, async (req, reply) => {
    const raw = (req.query as Record<string, unknown>).services;
    const slugs = [
      ...new Set(
        (typeof raw === 'string' ? raw : '')
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    ];
    if (!slugs.length)
      throw new BadRequest('Give the services to watch: ?services=slug,slug', [{ field: 'services', message: 'Required' }]);
    if (slugs.length > MAX_SERVICES)
      throw new BadRequest(`At most ${MAX_SERVICES} services at once`, [{ field: 'services', message: 'Too many' }]);
    const services = await Promise.all(slugs.map((slug) => catalogue.getService(slug.slice(0, 100))));
    stream(
      req,
      reply,
      services.map((s) => ({ id: s.id, slug: s.slug })),
    );
  });

  // Close the streams before the server stops, or it would wait for every browser to leave.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });
  return { open: () => open.size };
}
