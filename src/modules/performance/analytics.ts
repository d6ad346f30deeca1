// Cookieless page analytics, as Plausible does it. A page view arrives from the tiny script
// (POST /performance/api/event, Plausible's Events API shape) or, without JavaScript, from an
// image (GET /performance/pixel.gif). The visitor is a hash of (today's salt, service, address,
// user agent): nothing is stored in the browser, the address and user agent are never kept, and
// the salt is deleted the next day, so yesterday's hashes can never be linked to anyone again.
// Views are buffered for a moment and written in batches.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Db } from '../../kernel/db.js';
import type { CatalogueService } from '../catalogue/index.js';
import { cleanProps, cleanText, type Measurement } from './measure.js';
import { writeMeasurements } from './ingest.js';
import { store } from './store.js';
import { utcDay } from './ranges.js';

const STATIC = join(dirname(fileURLToPath(import.meta.url)), 'static');
const BOTS = /bot|crawl|spider|slurp|headless|lighthouse|preview|curl|wget|python|java\/|go-http|node-fetch|axios|monitor|uptime/i;
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const FLUSH_MS = 200;
const FLUSH_AT = 500;

export interface PageView {
  serviceId: string;
  name: string;
  path: string;
  referrer: string;
  device: string;
  ip: string;
  ua: string;
  props: Record<string, string | number> | null;
  at: Date;
}

export function deviceOf(ua: string, width: unknown): string {
  const w = typeof width === 'number' ? width : Number(width);
  if (Number.isFinite(w) && w > 0) return w < 576 ? 'mobile' : w < 992 ? 'tablet' : 'desktop';
  if (/ipad|tablet/i.test(ua)) return 'tablet';
  return /mobi|android|iphone/i.test(ua) ? 'mobile' : 'desktop';
}

/** Where the visitor came from: utm_source, or the referring site's host (not its path, which may hold personal data). */
export function sourceOf(url: URL, referrer: unknown): string {
  const utm = url.searchParams.get('utm_source') ?? url.searchParams.get('ref');
  if (utm) return cleanText(utm, 100)!.toLowerCase();
  if (typeof referrer !== 'string' || !referrer) return '';
  try {
    const r = new URL(referrer);
    if (r.host === url.host || !/^https?:$/.test(r.protocol)) return '';
    return r.hostname.replace(/^www\./, '').slice(0, 100);
  } catch {
    return '';
  }
}

export function createAnalytics(deps: { db: Db; log: Logger; catalogue: CatalogueService }) {
  const { db, log, catalogue } = deps;
  let buffer: PageView[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  let salt: { day: string; value: string } | null = null;

  /** Today's salt (UTC day), made by whichever process asks first; older ones are deleted. */
  async function todaysSalt(day: string): Promise<string> {
    if (salt?.day === day) return salt.value;
    await db.query('INSERT INTO performance.salts (day, salt) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING', [
      day,
      randomBytes(32).toString('hex'),
    ]);
    await db.query('DELETE FROM performance.salts WHERE day < $1', [day]);
    const { rows } = await db.query<{ salt: string }>('SELECT salt FROM performance.salts WHERE day = $1', [day]);
    salt = { day, value: rows[0].salt };
    return salt.value;
  }

  async function write(views: PageView[]): Promise<void> {
    const byDay = new Map<string, string>();
    for (const v of views) {
      const day = utcDay(v.at);
      if (!byDay.has(day)) byDay.set(day, await todaysSalt(day));
    }
    const seen = views.map((v) => {
      const day = utcDay(v.at);
      const visitor = createHash('sha256')
        .update(`${byDay.get(day)}|${v.serviceId}|${v.ip}|${v.ua}`)
        .digest('hex')
        .slice(0, 24);
      return { serviceId: v.serviceId, day, visitor, at: v.at };
    });
    await db.transaction(async (tx) => {
      const fresh = await store.seeVisitors(tx, seen);
      const rows: Measurement[] = [];
      views.forEach((v, i) => {
        const pageview = v.name === 'pageview';
        rows.push({
          serviceId: v.serviceId,
          at: v.at,
          type: pageview ? 'page.view' : 'page.event',
          dim: pageview ? v.path : v.name,
          key: null,
          value: null,
          props: { ...(v.props ?? {}), path: v.path, ...(v.referrer ? { referrer: v.referrer } : {}), device: v.device },
        });
        const k = `${v.serviceId}|${seen[i].visitor}`;
        if (fresh.delete(k))
          rows.push({ serviceId: v.serviceId, at: v.at, type: 'page.visitor', dim: v.device, key: null, value: null, props: null });
      });
      await writeMeasurements(tx, rows);
    });
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const views = buffer;
    buffer = [];
    if (!views.length) return flushing;
    flushing = flushing.then(() => write(views)).catch((err) => log.error({ err, views: views.length }, 'page views could not be written'));
    return flushing;
  }

  function add(v: PageView) {
    buffer.push(v);
    if (buffer.length >= FLUSH_AT) void flush();
    else timer ??= setTimeout(() => void flush(), FLUSH_MS);
  }

  /** Checks an event and queues it. Returns field errors, or whether it was dropped (bot, unknown service). */
  async function accept(
    req: FastifyRequest,
    body: Record<string, unknown>,
  ): Promise<{ errors?: Record<string, string[]>; dropped?: boolean }> {
    const name = cleanText(body.name ?? body.n, 120);
    const rawUrl = body.url ?? body.u;
    const domain = cleanText(body.domain ?? body.d, 100);
    const errors: Record<string, string[]> = {};
    if (!name) errors.name = ['is required'];
    if (!domain) errors.domain = ['is required'];
    let url: URL | null = null;
    try {
      if (typeof rawUrl === 'string' && rawUrl.length <= 2000) url = new URL(rawUrl, 'http://service.invalid');
    } catch {
      url = null;
    }
    if (!url) errors.url = ['is required and must be a URL'];
    if (Object.keys(errors).length) return { errors };
    const ua = String(req.headers['user-agent'] ?? '').slice(0, 500);
    if (!ua || BOTS.test(ua)) return { dropped: true };
    const service = await catalogue.getService(domain!).catch(() => null);
    if (!service) return { dropped: true };
    add({
      serviceId: service.id,
      name: name!,
      path: cleanText(decodeURIPath(url!.pathname), 200) || '/',
      referrer: sourceOf(url!, body.referrer ?? body.r),
      device: deviceOf(ua, body.screen_width ?? body.w),
      ip: req.ip,
      ua,
      props: cleanProps(body.props ?? body.p),
      at: new Date(),
    });
    return {};
  }

  function routes(app: FastifyInstance) {
    // Pages on other sites may load the script and send events here.
    const crossOrigin = (reply: FastifyReply) =>
      reply.header('access-control-allow-origin', '*').header('x-cross-origin-resource-policy', 'cross-origin');

    // Accepts Plausible's Events API body, as JSON or as the text/plain a beacon sends.
    // No CSRF token: a page view changes nothing of the visitor's, and beacons carry no token.
    app.post('/performance/api/event', { config: { api: true, csrf: false }, bodyLimit: 16_384 }, async (req, reply) => {
      crossOrigin(reply);
      let body: unknown = req.body;
      if (typeof body === 'string') {
        try {
          body = JSON.parse(body);
        } catch {
          return reply.status(400).send({ errors: { body: ['must be JSON'] } });
        }
      }
      if (!body || typeof body !== 'object' || Array.isArray(body))
        return reply.status(400).send({ errors: { body: ['must be a JSON object'] } });
      const r = await accept(req, body as Record<string, unknown>);
      if (r.errors) return reply.status(400).send({ errors: r.errors });
      if (r.dropped) reply.header('x-performance-dropped', '1');
      return reply.status(202).type('text/plain; charset=utf-8').send('ok');
    });

    app.options('/performance/api/event', async (_req, reply) =>
      crossOrigin(reply)
        .header('access-control-allow-methods', 'POST')
        .header('access-control-allow-headers', 'content-type')
        .status(204)
        .send(),
    );

    app.get('/performance/script.js', (_req, reply) =>
      crossOrigin(reply)
        .type('text/javascript; charset=utf-8')
        .sendFile('script.js', STATIC, { maxAge: '1d' } as any),
    );

    // The no-JavaScript fallback: <noscript><img src="/performance/pixel.gif?d=slug&u=/path" alt=""></noscript>
    app.get('/performance/pixel.gif', async (req, reply) => {
      const q = req.query as Record<string, unknown>;
      const page = typeof q.u === 'string' ? q.u : typeof req.headers.referer === 'string' ? req.headers.referer : '/';
      await accept(req, { name: 'pageview', domain: q.d, url: page, referrer: q.r }).catch((err) =>
        log.warn({ err }, 'pixel view not counted'),
      );
      return crossOrigin(reply).header('cache-control', 'no-store').type('image/gif').send(PIXEL);
    });

    // The security headers say same-origin; the script and pixel are meant for other sites too.
    app.addHook('onSend', async (_req, reply, payload) => {
      if (reply.getHeader('x-cross-origin-resource-policy')) {
        reply.header('cross-origin-resource-policy', 'cross-origin').removeHeader('x-cross-origin-resource-policy');
      }
      return payload;
    });

    app.addHook('onClose', async () => {
      await flush();
    });
  }

  return { routes, flush, accept };
}

function decodeURIPath(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}
